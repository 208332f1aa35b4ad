import Foundation
import JobForgeTestSupport
import Testing

/// `suggest-noc --max-cost` as `impute --max-cost`: real runs against the loopback fake.
@Suite("suggest-noc --max-cost", .serialized)
struct SuggestNOCMaxCostTests {
    @Test("suggest-noc --max-cost stops before the title whose request would pass the limit, says which were left, exits 0; a later run asks only those")
    func stopsAndResumes() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-suggest-max-cost")
        defer { folder.remove() }
        let db = try await LLMFaultCLITests.store(in: folder)
        let fake = try await FakeOpenAIServer.start()
        defer { Task { await fake.stop() } }
        let environment = ["OPENAI_BASE_URL": await fake.baseURL.absoluteString, "OPENAI_API_KEY": await fake.apiKey!]
        // $1 per million tokens each way.
        let common = ["suggest-noc", "--db", db, "--price-in", "1", "--price-out", "1"]

        let dry = try await JobForgeBinary.run(common + ["--dry-run"], in: folder.url, environment: environment, timeout: 120)
        try #require(dry.status == 0, "\(dry.stderr)")
        let requests = dry.stdout.split(separator: "\n").filter { $0.hasPrefix("--- request ") }
        #expect(requests.count >= 3, "the sample has titles without a code: \(dry.stdout)")
        let firstTokens = try #require(requests.first.flatMap { line in
            line.range(of: #"~(\d+) tokens in"#, options: .regularExpression).map { Int(line[$0].dropFirst().prefix { $0.isNumber })! }
        })
        #expect(await fake.requestCount == 0)

        let none = try await JobForgeBinary.run(common + ["--max-cost", "0", "--json"], in: folder.url, environment: environment, timeout: 60)
        #expect(none.status == 0, "\(none.stderr)")
        let noneOutput = try #require(try JSONSerialization.jsonObject(with: Data(none.stdout.utf8)) as? [String: Any])
        #expect((noneOutput["titlesLeft"] as? [String])?.count == requests.count, "a limit of 0 leaves every title: \(noneOutput)")
        #expect((noneOutput["suggestions"] as? [Any])?.isEmpty == true)
        #expect(await fake.requestCount == 0, "a limit of 0 sends nothing")

        // Room for about one and a half requests: the first is asked, the rest left.
        let limit = Double(firstTokens + 120) * 1.5 / 1_000_000
        let limited = try await JobForgeBinary.run(common + ["--max-cost", String(limit)], in: folder.url, environment: environment, timeout: 120)
        #expect(limited.status == 0, "\(limited.stderr)")
        let stopLine = try #require(limited.stdout.split(separator: "\n").first { $0.hasPrefix("stopped at --max-cost: ") }, "\(limited.stdout)")
        let left = Int(stopLine.dropFirst("stopped at --max-cost: ".count).prefix { $0.isNumber }) ?? -1
        #expect(left >= 1 && left < requests.count, "\(stopLine)")
        let sent = await fake.requestCount
        #expect(sent >= 1)

        let rest = try await JobForgeBinary.run(common + ["--json"], in: folder.url, environment: environment, timeout: 120)
        #expect(rest.status == 0, "\(rest.stderr)")
        let output = try #require(try JSONSerialization.jsonObject(with: Data(rest.stdout.utf8)) as? [String: Any])
        #expect((output["titlesLeft"] as? [String])?.isEmpty == true)
        #expect((output["suggestions"] as? [Any])?.count == requests.count)
        #expect(await fake.requestCount - sent == left, "the titles answered under the limit come from the cache: only those left are asked")
    }

    @Test("suggest-noc --max-cost without a known price is refused with what to give, and sends nothing")
    func needsAPrice() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-suggest-max-cost-price")
        defer { folder.remove() }
        let db = try await LLMFaultCLITests.store(in: folder)
        let fake = try await FakeOpenAIServer.start()
        defer { Task { await fake.stop() } }
        let environment = ["OPENAI_BASE_URL": await fake.baseURL.absoluteString, "OPENAI_API_KEY": await fake.apiKey!]
        let run = try await JobForgeBinary.run(["suggest-noc", "--db", db, "--model", "local-model", "--max-cost", "1"],
                                               in: folder.url, environment: environment, timeout: 60)
        #expect(run.status == 1)
        #expect(run.stderr.contains("--price-in"), "\(run.stderr)")
        #expect(await fake.requestCount == 0)
    }
}
