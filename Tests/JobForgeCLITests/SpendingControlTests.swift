import Foundation
import JobForgeTestSupport
import Testing

/// `--max-cost`, the dry run's breakdown and the provider's prompt cache, as a user meets them:
/// real `jobforge impute` runs against the loopback fake.
@Suite("LLM spending control", .serialized)
struct SpendingControlTests {
    static func summary(_ stdout: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
    }

    @Test("impute --max-cost stops before the request that would pass the limit, says what was left, and a second run asks only that")
    func maxCostStopsAndResumes() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-max-cost")
        defer { folder.remove() }
        let db = try await LLMFaultCLITests.store(in: folder)
        let fake = try await FakeOpenAIServer.start()
        defer { Task { await fake.stop() } }
        let environment = ["OPENAI_BASE_URL": await fake.baseURL.absoluteString, "OPENAI_API_KEY": await fake.apiKey!]
        // $1 per million tokens each way: a request of this title costs about half a cent.
        let common = ["impute", "--db", db, "--concurrency", "1", "--price-in", "1", "--price-out", "1"] + LLMFaultCLITests.oneTitle

        let limited = try await JobForgeBinary.run(common + ["--max-cost", "0.02", "--json"], in: folder.url, environment: environment, timeout: 120)
        #expect(limited.status == 0, "\(limited.stderr)")
        let first = try Self.summary(limited.stdout)
        let asked = try #require(first["cellsAsked"] as? Int), left = try #require(first["cellsLeft"] as? Int)
        #expect(asked > 0 && left > 0, "some cells asked, some left: \(first)")
        #expect(asked + left == 263, "every cell of the title is asked or reported left")
        #expect((first["subjectsLeft"] as? [String]) == ["JA-0001"])
        let cost = try #require((first["estimatedCost"] as? NSNumber)?.doubleValue)
        #expect(cost <= 0.02, "spent \(cost) under a limit of 0.02")
        let sentFirst = await fake.requestCount
        #expect(sentFirst == first["requests"] as? Int)

        let text = try await JobForgeBinary.run(common + ["--max-cost", "0"], in: folder.url, environment: environment, timeout: 60)
        #expect(text.status == 0)
        #expect(text.stdout.contains("stopped at --max-cost: \(left) cells of 1 subjects left unasked (JA-0001)"), "\(text.stdout)")
        #expect(await fake.requestCount == sentFirst, "a limit of 0 sends nothing")

        let rest = try await JobForgeBinary.run(common + ["--json"], in: folder.url, environment: environment, timeout: 120)
        #expect(rest.status == 0, "\(rest.stderr)")
        let second = try Self.summary(rest.stdout)
        #expect(second["cellsLeft"] as? Int == 0)
        #expect(second["cellsAsked"] as? Int == left && second["answered"] as? Int == left,
                "the cells the limited run answered are filled: only those left are asked: \(second)")
        #expect(await fake.requestCount == sentFirst + (second["requests"] as? Int ?? -1))
    }

    @Test("impute --max-cost without a known price is refused with what to give")
    func maxCostNeedsAPrice() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-max-cost-price")
        defer { folder.remove() }
        let db = try await LLMFaultCLITests.store(in: folder)
        let fake = try await FakeOpenAIServer.start()
        defer { Task { await fake.stop() } }
        let environment = ["OPENAI_BASE_URL": await fake.baseURL.absoluteString, "OPENAI_API_KEY": await fake.apiKey!]
        let run = try await JobForgeBinary.run(["impute", "--db", db, "--model", "local-model", "--max-cost", "1"] + LLMFaultCLITests.oneTitle,
                                               in: folder.url, environment: environment, timeout: 60)
        #expect(run.status == 1)
        #expect(run.stderr.contains("--price-in"), "\(run.stderr)")
        #expect(await fake.requestCount == 0)
    }

    @Test("impute --dry-run breaks the estimate down by category and dimension; the parts add up to the total")
    func dryRunBreakdown() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-dry-breakdown")
        defer { folder.remove() }
        let db = try await LLMFaultCLITests.store(in: folder)
        let run = try await JobForgeBinary.run(["impute", "--db", db, "--dry-run"] + LLMFaultCLITests.oneTitle, in: folder.url, timeout: 60)
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        let start = try #require(lines.firstIndex { $0.hasPrefix("estimate by category and dimension") })
        let parts = lines[(start + 1)...].prefix { $0.hasPrefix("  ") }
        #expect(parts.count >= 2, "several categories or dimensions: \(parts)")
        let cells = parts.compactMap { line -> Int? in
            guard let range = line.range(of: #": (\d+) cells"#, options: .regularExpression) else { return nil }
            return Int(line[range].dropFirst(2).prefix { $0.isNumber })
        }
        #expect(cells.count == parts.count)
        #expect(cells.reduce(0, +) == 263)
        #expect(run.stdout.contains("263 cells in"))
        #expect(run.stdout.contains("Nothing was sent."))
    }

    @Test("cached input tokens reported by the server are counted, and priced at the cached rate of a known model")
    func cachedTokensArePriced() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-cached-tokens")
        defer { folder.remove() }
        let db = try await LLMFaultCLITests.store(in: folder)
        let fake = try await FakeOpenAIServer.start()
        defer { Task { await fake.stop() } }
        let environment = ["OPENAI_BASE_URL": await fake.baseURL.absoluteString, "OPENAI_API_KEY": await fake.apiKey!]
        let run = try await JobForgeBinary.run(["impute", "--db", db, "--concurrency", "1", "--model", "gpt-4o-mini", "--json"] + LLMFaultCLITests.oneTitle,
                                               in: folder.url, environment: environment, timeout: 120)
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try Self.summary(run.stdout)
        let tokensIn = try #require(summary["tokensIn"] as? Int), cached = try #require(summary["tokensCachedIn"] as? Int)
        let tokensOut = try #require(summary["tokensOut"] as? Int)
        // The title's requests share their beginning (instructions, the job, its known values):
        // every request after the first is served partly from the provider's cache.
        #expect(cached > 0 && cached < tokensIn)
        let expected = (Double(tokensIn - cached) * 0.15 + Double(cached) * 0.075 + Double(tokensOut) * 0.60) / 1_000_000
        let cost = try #require((summary["estimatedCost"] as? NSNumber)?.doubleValue)
        #expect(abs(cost - expected) < 1e-12, "cost \(cost), expected \(expected)")
    }
}
