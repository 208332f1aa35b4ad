import Foundation
import JobForgeCore
import JobForgeLLM
import JobForgeNet
import JobForgeStore
import JobForgeTestSupport
import Testing

/// Only answers that validate are cached: garbage is asked again once the service is healthy.
@Suite struct CacheValidationTests {
    static func store(_ directory: TemporaryDirectory) throws -> LLMLog {
        LLMLog(try SQLiteStore(path: directory.path("llm.sqlite").path, schemas: [LLMSchema.self]))
    }

    @Test("garbage served once (unreadable, off-scale, cut short) is not replayed: the next run asks again and fills the cells",
          arguments: [FakeOpenAIServer.Fault.invalidJSON, .offScaleValue, .outOfRangeConfidence, .truncated])
    func garbageIsAskedAgain(fault: FakeOpenAIServer.Fault) async throws {
        let harness = try await TierHarness.start(batchSize: 1)
        defer { Task { await harness.stop() } }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Self.store(directory)
        let request = RealDataInputs.request(cells: 2)

        await harness.fake.inject(fault, times: nil)
        let broken = try await harness.tier(recorder: log, runID: "run-1").run([request])
        #expect(broken.summary.invalid == 2, "\(broken.outcomes.map(\.detail))")
        #expect(broken.candidates.isEmpty)
        #expect(try log.cachedResponseCount() == 0, "no invalid answer is cached")

        await harness.fake.clearFaults()
        await harness.fake.resetCounters()
        let healthy = try await harness.tier(recorder: log, runID: "run-2").run([request])
        #expect(await harness.fake.requestCount == 2, "each cell is asked again")
        #expect(healthy.summary.answered == 2)
        #expect(healthy.summary.invalid == 0)
        #expect(healthy.candidates.count == 2)

        // Valid answers are cached: a third run sends nothing.
        await harness.fake.resetCounters()
        let third = try await harness.tier(recorder: log, runID: "run-3").run([request])
        #expect(await harness.fake.requestCount == 0)
        #expect(third.summary.answered == 2)
    }

    @Test("a store written before answers were checked: its cached garbage is not replayed, and the good answer replaces it")
    func cachedGarbageOfAnOlderStoreIsReplaced() async throws {
        let harness = try await TierHarness.start(batchSize: 2)
        defer { Task { await harness.stop() } }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Self.store(directory)
        let request = RealDataInputs.request(cells: 2)
        // A healthy run gives the prompt hash; its answer is then overwritten with garbage, as
        // the old code cached it.
        _ = try await harness.tier(recorder: log, runID: "run-0").run([request])
        let hash = try #require(try log.outcomes(runID: "run-0").first?.promptHash)
        try log.saveResponseRecord(LLMResponseRecord(
            model: TierHarness.model, promptHash: hash, requestID: nil,
            responseBody: Self.completion(content: #"{"answers": [{"attribute": oops"#),
            promptTokens: 1, completionTokens: 1, receivedAt: Date(), runID: "old"))
        await harness.fake.resetCounters()
        let rerun = try await harness.tier(recorder: log, runID: "run-1").run([request])
        #expect(await harness.fake.requestCount == 1)
        #expect(rerun.summary.answered == 2)
        #expect(LLMLog.isReplayable(body: try #require(try log.cachedResponseRecord(model: TierHarness.model, promptHash: hash)).responseBody))
    }

    @Test("clearCachedResponses: --status invalid removes unreadable, cut, out-of-range and recorded-invalid answers only; all removes all")
    func clearInvalid() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Self.store(directory)
        let good = #"{"answers":[{"attribute":"A1","rationale":"r","value":3,"confidence":0.5}]}"#
        let bodies: [String: String] = [
            "good": Self.completion(content: good),
            "refusal": Self.completion(content: nil, refusal: "no"),
            "unreadable": Self.completion(content: #"{"answers": [oops"#),
            "cut": Self.completion(content: good, finishReason: "length"),
            "confidence": Self.completion(content: good.replacingOccurrences(of: "0.5", with: "1.7")),
            "not-json": "<html>Bad gateway</html>",
            "recorded-invalid": Self.completion(content: good),
        ]
        for (hash, body) in bodies {
            try log.saveResponseRecord(LLMResponseRecord(model: "m", promptHash: hash, requestID: nil, responseBody: body,
                                                         promptTokens: 1, completionTokens: 1, receivedAt: Date(), runID: "r"))
        }
        try log.saveOutcomeRecords([LLMOutcomeRecord(
            runID: "r", subjectKind: "title", subjectCode: "T", descriptorCode: "A1", dimension: "level", status: "invalid",
            value: 9, confidence: 0.5, rationale: nil, detail: "value 9 is off the 1-5 scale", model: "m", requestID: nil,
            promptHash: "recorded-invalid", at: Date(), fromCache: false)])
        #expect(try log.clearCachedResponses(model: "other", selection: .invalid) == 0)
        #expect(try log.clearCachedResponses(selection: .invalid) == 5)
        let left = try bodies.keys.sorted().filter { try log.cachedResponseRecord(model: "m", promptHash: $0) != nil }
        #expect(left == ["good", "refusal"])
        #expect(try log.clearCachedResponses() == 2)
        #expect(try log.cachedResponseCount() == 0)
    }

    @Test("a server that echoes the key and the URL's password: neither reaches candidates, outcomes or the cache")
    func echoedCredentialsAreScrubbed() async throws {
        let harness = try await TierHarness.start(batchSize: 3)
        defer { Task { await harness.stop() } }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Self.store(directory)
        let key = try #require(await harness.fake.apiKey)
        var configuration = harness.configuration
        configuration.baseURL = URL(string: "http://jobforge:pass-word-0451@127.0.0.1:\(await harness.fake.port)/v1")!
        await harness.fake.inject(.echoAuthorization, times: nil)
        let tier = LLMTier(client: OpenAIClient(configuration: configuration), recorder: log, runID: "run-echo")
        let result = try await tier.run([RealDataInputs.request(cells: 3)])
        #expect(result.summary.answered == 3)
        #expect(await harness.fake.faultsServed == [.echoAuthorization])
        let texts = result.candidates.compactMap(\.rationale) + result.outcomes.compactMap(\.rationale)
            + (try log.outcomes()).compactMap(\.rationale)
        #expect(texts.count == 9)
        #expect(texts.allSatisfy { $0.contains("REDACTED") })
        let hash = try #require(result.outcomes.first?.promptHash)
        let cached = [try #require(try log.cachedResponseRecord(model: TierHarness.model, promptHash: hash)).responseBody]
        for text in texts + cached {
            #expect(!text.contains(key))
            #expect(!text.contains("pass-word-0451"))
        }
    }

    /// A chat completion body as a server sends it.
    static func completion(content: String?, refusal: String? = nil, finishReason: String = "stop") -> String {
        let message: [String: Any] = ["role": "assistant", "content": content.map { $0 as Any } ?? NSNull(),
                                      "refusal": refusal.map { $0 as Any } ?? NSNull()]
        let body: [String: Any] = ["id": "c1", "model": "m", "choices": [["index": 0, "message": message, "finish_reason": finishReason]]]
        return String(decoding: try! JSONSerialization.data(withJSONObject: body), as: UTF8.self)
    }
}
