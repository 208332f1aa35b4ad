import Foundation
import JobForgeTestSupport
import Testing

/// `jobforge suggest-noc --offline` on a store built from the shipped data, and the offline
/// candidates the LLM `suggest-noc` sends the model (the fake OpenAI server records the requests).
@Suite("suggest-noc --offline", .serialized)
struct SuggestNOCOfflineTests {
    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// `titles[i].candidates` of `--offline --json`.
    static func candidates(_ output: [String: Any]) throws -> [[[String: Any]]] {
        let titles = try #require(output["titles"] as? [[String: Any]])
        return try titles.map { try #require($0["candidates"] as? [[String: Any]]) }
    }

    @Test("ranks unit groups with evidence, with no key and no request; the model is asked among the offline candidates")
    func offlineAndTheModelsContext() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-noc-offline")
        defer { folder.remove() }
        let build = try JobForgeBinary.run(["build"], in: folder.url)
        #expect(build.status == 0, "\(build.stderr)")

        // No key, and a server that would record any request: --offline sends none.
        let fake = try await FakeOpenAIServer.start(expectedModel: "gpt-4o-2024-08-06")
        defer { Task { await fake.stop() } }
        let noKey = ["OPENAI_BASE_URL": await fake.baseURL.absoluteString]
        let ranked = try JobForgeBinary.run(["suggest-noc", "--offline", "data scientist", "registered nurse", "--top", "3", "--json"],
                                            in: folder.url, environment: noKey)
        #expect(ranked.status == 0, "\(ranked.stderr)")
        #expect(await fake.requestCount == 0)
        let lists = try Self.candidates(try Self.json(ranked.stdout))
        #expect(lists.count == 2 && lists.allSatisfy { $0.count == 3 })
        #expect(lists.map { $0.first?["unitGroup"] as? String } == ["21211", "31301"])
        for list in lists {
            #expect(list.map { $0["rank"] as? Int } == [1, 2, 3])
            #expect(list.allSatisfy { $0["score"] is Double || $0["score"] is NSNumber }, "scores are numbers")
            #expect(!((list[0]["matchedExampleTitles"] as? [String]) ?? []).isEmpty, "the evidence is listed")
        }
        let text = try JobForgeBinary.run(["suggest-noc", "--offline", "registered nurse"], in: folder.url, environment: noKey)
        #expect(text.status == 0)
        #expect(text.stdout.contains("1. 31301") && text.stdout.contains("matched: "), "\(text.stdout)")

        // With no text: the titles that have no code.
        let open = try JobForgeBinary.run(["suggest-noc", "--offline", "--json"], in: folder.url, environment: noKey)
        #expect(open.status == 0, "\(open.stderr)")
        let openTitles = try #require(try Self.json(open.stdout)["titles"] as? [[String: Any]])
        #expect(openTitles.count >= 3 && openTitles.allSatisfy { $0["id"] is String })
        #expect(await fake.requestCount == 0)

        // Mistakes say what to do.
        let unknown = try JobForgeBinary.run(["suggest-noc", "--offline", "--titles", "NO-SUCH-TITLE"], in: folder.url)
        #expect(unknown.status == 1 && unknown.stderr.contains("jobforge titles"), "\(unknown.stderr)")
        let both = try JobForgeBinary.run(["suggest-noc", "--offline", "--apply"], in: folder.url)
        #expect(both.status == 64 && both.stderr.contains("--offline"), "\(both.stderr)")

        // The LLM suggest-noc: each request lists the offline top 10 with the example titles that matched.
        let environment = ["OPENAI_BASE_URL": await fake.baseURL.absoluteString, "OPENAI_API_KEY": await fake.apiKey ?? ""]
        let asked = try JobForgeBinary.run(["suggest-noc"], in: folder.url, environment: environment)
        #expect(asked.status == 0, "\(asked.stderr)")
        let bodies = await fake.receivedBodies
        #expect(bodies.count == openTitles.count)
        for body in bodies {
            let request = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
            let messages = try #require(request["messages"] as? [[String: Any]])
            let user = try Self.json(try #require(messages.last?["content"] as? String))
            let title = try #require((user["job"] as? [String: Any])?["title"] as? String)
            let offered = try #require(user["offline_candidates"] as? [[String: Any]], "\(title): no offline candidates")
            let listed = try #require(user["noc_2021_unit_groups"] as? [String])
            #expect(offered.count == 10 && listed.count == 10, "fewer tokens: the model chooses among 10, not 516")
            #expect(listed.map { String($0.prefix(5)) } == offered.compactMap { $0["unit_group"] as? String })
            #expect(offered.contains { !(($0["matched_example_titles"] as? [String]) ?? []).isEmpty })
            let offline = try JobForgeBinary.run(["suggest-noc", "--offline", title, "--top", "10", "--json"], in: folder.url)
            let expected = try Self.candidates(try Self.json(offline.stdout))[0].compactMap { $0["unitGroup"] as? String }
            #expect(offered.compactMap { $0["unit_group"] as? String } == expected, "\(title)")
        }
    }
}
