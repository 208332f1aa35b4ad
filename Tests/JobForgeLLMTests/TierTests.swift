import Foundation
import JobForgeCore
import JobForgeLLM
import JobForgeNet
import JobForgeStore
import JobForgeTestSupport
import Testing

/// The tier against the fake server: every answer kept, everything else recorded, nothing dropped.
@Suite struct TierTests {
    @Test func answersBecomeLLMCandidatesWithTheirProvenance() async throws {
        let harness = try await TierHarness.start(batchSize: 5, concurrency: 2)
        defer { Task { await harness.stop() } }
        let request = RealDataInputs.request(cells: 12)
        let result = try await harness.tier(runID: "run-a").run([request])

        #expect(await harness.fake.violations == [])
        #expect(await harness.fake.requestCount == 3) // ceil(12 / 5)
        #expect(result.candidates.count == 12)
        #expect(result.summary.cellsAsked == 12)
        #expect(result.summary.answered == 12)
        #expect(result.summary.requests == 3)
        #expect(result.summary.tokensIn > 0 && result.summary.tokensOut > 0)
        #expect((result.summary.estimatedCost ?? 0) > 0)
        let askedKeys = Set(request.missing.map { CellKey(subject: request.subject, descriptor: $0.descriptorCode, dimension: .importance) })
        #expect(Set(result.candidates.map(\.key)) == askedKeys)
        for candidate in result.candidates {
            #expect(candidate.source == .llm)
            #expect(candidate.precedence == 1)
            #expect(candidate.method == "llm_imputation")
            #expect(candidate.sourceLevel == .l7)
            #expect((1...5).contains(candidate.value))
            #expect((0...1).contains(candidate.confidence))
            #expect(candidate.rationale?.contains(candidate.key.descriptor) == true)
            #expect(candidate.release == TierHarness.model)
            #expect(candidate.metadata["model"] == TierHarness.model)
            #expect(candidate.metadata["run"] == "run-a")
            #expect(candidate.metadata["request_id"]?.hasPrefix("req_fake_") == true)
            #expect(candidate.sourceIDs == [candidate.metadata["request_id"]!])
            // Deterministic fake: the value is the one the fake derives from title and attribute.
            let hash = FakeOpenAIServer.stableHash("Senior Software Developer|" + candidate.key.descriptor)
            #expect(candidate.value == 1 + Double(hash % 5))
        }
    }

    @Test func rerunAndResumeMakeNoCallAlreadyAnswered() async throws {
        let harness = try await TierHarness.start(batchSize: 4, concurrency: 2, maxAttempts: 2)
        defer { Task { await harness.stop() } }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = LLMLog(try SQLiteStore(path: directory.path("llm.sqlite").path, schemas: [LLMSchema.self]))
        let first = RealDataInputs.request(titleID: "T-1", title: "Senior Software Developer", cells: 8)
        let second = RealDataInputs.request(titleID: "T-2", title: "Junior Software Developer", cells: 8)

        // First run: the service fails for T-2 every time (a run that dies half way).
        await harness.fake.inject(.serverError, when: .titleContains("Junior"), times: nil)
        let broken = try await harness.tier(recorder: store, runID: "run-1").run([first, second])
        #expect(broken.summary.answered == 8)
        #expect(broken.summary.failed == 8)
        #expect(broken.outcomes(.failed).allSatisfy { $0.detail?.contains("HTTP 500") == true })
        #expect(try store.outcomeCounts(runID: "run-1") == ["answered": 8, "failed": 8])

        // Resumed against a healthy service: only T-2's two batches go out.
        await harness.fake.clearFaults()
        await harness.fake.resetCounters()
        let resumed = try await harness.tier(recorder: store, runID: "run-2").run([first, second])
        #expect(await harness.fake.requestCount == 2)
        #expect(resumed.summary.cacheHits == 2)
        #expect(resumed.summary.answered == 16)
        #expect(resumed.candidates.count == 16)

        // A third run: everything from the cache, identical values and times.
        let third = try await harness.tier(recorder: store, runID: "run-3").run([first, second])
        #expect(await harness.fake.requestCount == 2)
        #expect(third.summary.requests == 0)
        #expect(third.summary.tokensIn == 0)
        let byKey = Dictionary(uniqueKeysWithValues: resumed.candidates.map { ($0.key, $0) })
        for candidate in third.candidates {
            #expect(byKey[candidate.key]?.value == candidate.value)
            #expect(byKey[candidate.key]?.observedAt == candidate.observedAt)
            #expect(candidate.metadata["from_cache"] == "true")
        }
    }

    @Test func refusalIsRecordedForEveryCellOfTheBatch() async throws {
        let harness = try await TierHarness.start(batchSize: 3)
        defer { Task { await harness.stop() } }
        await harness.fake.inject(.refusal("I can't help with that."), when: .titleContains("Refuse me"), times: nil)
        let recorder = InMemoryLLMRecorder()
        let result = try await harness.tier(recorder: recorder).run([
            RealDataInputs.request(titleID: "T-r", title: "Refuse me", cells: 5),
            RealDataInputs.request(titleID: "T-ok", title: "Data Scientist", cells: 2),
        ])
        #expect(result.summary.refused == 5)
        #expect(result.summary.answered == 2)
        #expect(result.candidates.allSatisfy { $0.key.subject == .title("T-ok") })
        #expect(result.outcomes(.refused).allSatisfy { $0.detail == "I can't help with that." && $0.requestID != nil })
        #expect(await recorder.outcomes.count == 7)
        #expect(await harness.fake.violations == [])
    }

    @Test func rateLimitHonoursRetryAfterThenSucceeds() async throws {
        let harness = try await TierHarness.start()
        defer { Task { await harness.stop() } }
        await harness.fake.inject(.rateLimited(retryAfter: "7"))
        let result = try await harness.tier().run([RealDataInputs.request(cells: 3)])
        #expect(result.summary.answered == 3)
        #expect(result.summary.requests == 2)
        #expect(await harness.sleeps.delays == [7])
        #expect(await harness.fake.faultsServed == [.rateLimited(retryAfter: "7")])
    }

    @Test func serverErrorsAreRetriedWithBackoffThenRecordedAsFailed() async throws {
        let harness = try await TierHarness.start(maxAttempts: 3)
        defer { Task { await harness.stop() } }
        await harness.fake.inject(.serverError, times: 2)
        let recovered = try await harness.tier().run([RealDataInputs.request(cells: 2)])
        #expect(recovered.summary.answered == 2)
        #expect(recovered.summary.requests == 3)
        let delays = await harness.sleeps.delays
        #expect(delays.count == 2 && delays.allSatisfy { $0 >= 0 && $0 <= 0.05 })

        await harness.fake.inject(.serverError, times: nil)
        let failed = try await harness.tier().run([RealDataInputs.request(titleID: "T-9", title: "Other", cells: 2)])
        #expect(failed.summary.failed == 2)
        #expect(failed.summary.requests == 3)
        #expect(failed.candidates.isEmpty)
        #expect(failed.outcomes.allSatisfy { $0.detail?.contains("gave up after 3 attempts") == true })
    }

    @Test func unauthorizedStopsAndNamesTheVariableNotTheKey() async throws {
        let harness = try await TierHarness.start()
        defer { Task { await harness.stop() } }
        var configuration = harness.configuration
        configuration.apiKey = "sk-wrong-secret-value-123456"
        let tier = LLMTier(client: OpenAIClient(configuration: configuration), recorder: InMemoryLLMRecorder(), runID: "r")
        do {
            _ = try await tier.run([RealDataInputs.request(cells: 2)])
            Issue.record("expected a 401 error")
        } catch let error as LLMError {
            let text = error.description
            #expect(text.contains("OPENAI_API_KEY"))
            #expect(text.contains("401"))
            #expect(!text.contains("sk-wrong-secret-value-123456"))
        }
        #expect(await harness.fake.requestCount == 1) // no retry of a 401
    }

    @Test func slowAnswerTimesOutAndIsRetried() async throws {
        // A deadline with room to spare for a loaded CI machine, and a stall well beyond it.
        let harness = try await TierHarness.start(timeout: 4, maxAttempts: 3)
        defer { Task { await harness.stop() } }
        await harness.fake.inject(.slow(15))
        let result = try await harness.tier().run([RealDataInputs.request(cells: 2)])
        #expect(result.summary.answered == 2)
        #expect(result.summary.requests == 2)
    }

    @Test func truncatedBatchesAreSplitUntilTheyFit() async throws {
        let harness = try await TierHarness.start(batchSize: 6)
        defer { Task { await harness.stop() } }
        await harness.fake.inject(.truncated, when: .attributeCountAbove(2), times: nil)
        let result = try await harness.tier().run([RealDataInputs.request(cells: 6)])
        #expect(result.summary.answered == 6)
        #expect(result.summary.invalid == 0)
        // 6 -> truncated; 3 + 3 -> truncated; 2 + 1 + 2 + 1 -> answered.
        #expect(await harness.fake.requestCount == 7)

        await harness.fake.inject(.truncated, when: .titleContains("Tiny"), times: nil)
        let alone = try await harness.tier().run([RealDataInputs.request(titleID: "T-t", title: "Tiny budget", cells: 1)])
        #expect(alone.summary.invalid == 1)
        #expect(alone.outcomes.first?.detail?.contains("--max-tokens") == true)
    }

    @Test func invalidJSONIsRetriedOnceThenRecordedInvalid() async throws {
        let harness = try await TierHarness.start(batchSize: 4)
        defer { Task { await harness.stop() } }
        await harness.fake.inject(.invalidJSON, when: .titleContains("Once"))
        let once = try await harness.tier().run([RealDataInputs.request(titleID: "T-1", title: "Once", cells: 3)])
        #expect(once.summary.answered == 3)
        #expect(await harness.fake.requestCount == 2)

        await harness.fake.inject(.invalidJSON, when: .titleContains("Always"), times: nil)
        let always = try await harness.tier().run([RealDataInputs.request(titleID: "T-2", title: "Always", cells: 3)])
        #expect(always.summary.invalid == 3)
        #expect(always.candidates.isEmpty)
        #expect(always.outcomes.allSatisfy { $0.detail?.contains("does not follow the schema") == true })
        #expect(await harness.fake.requestCount == 4)
        // The retry tells the model what went wrong, so it is a different prompt (and cache key).
        let bodies = await harness.fake.receivedBodies
        #expect(String(decoding: bodies[3], as: UTF8.self).contains("note_on_previous_answer"))
    }

    @Test func bodyThatIsNotACompletionIsRetried() async throws {
        let harness = try await TierHarness.start()
        defer { Task { await harness.stop() } }
        await harness.fake.inject(.invalidBody)
        let result = try await harness.tier().run([RealDataInputs.request(cells: 2)])
        #expect(result.summary.answered == 2)
        #expect(result.summary.requests == 2)
    }

    @Test func unaskedAttributeIsRecordedAndTheMissingOneAskedAgain() async throws {
        let harness = try await TierHarness.start(batchSize: 4)
        defer { Task { await harness.stop() } }
        await harness.fake.inject(.wrongAttribute)
        let result = try await harness.tier().run([RealDataInputs.request(cells: 4)])
        let unasked = result.outcomes(.unasked)
        #expect(unasked.count == 1)
        #expect(unasked.first?.key.descriptor == "ZZZ99")
        #expect(unasked.first?.value != nil)
        #expect(result.summary.answered == 4)
        #expect(await harness.fake.requestCount == 2)
        // The second request asked only the one attribute left unanswered.
        let bodies = await harness.fake.receivedBodies
        let retry = try FakeJSON.parse(bodies[1])
        guard case .array(let messages) = retry["messages"] ?? .null, let user = messages.last?["content"]?.string,
              case .array(let asked) = try FakeJSON.parse(Data(user.utf8))["missing_attributes"] ?? .null else {
            Issue.record("unexpected retry body"); return
        }
        #expect(asked.count == 1)
        #expect(result.finalOutcomeCounts().values.allSatisfy { $0 == 1 })
    }

    @Test func missingAttributeAskedOnceMoreThenRecordedMissing() async throws {
        let harness = try await TierHarness.start(batchSize: 3)
        defer { Task { await harness.stop() } }
        await harness.fake.inject(.missingAttribute, times: nil)
        let result = try await harness.tier().run([RealDataInputs.request(cells: 3)])
        // 3 asked, 2 answered; the third asked alone, not answered (the fake drops the last item).
        #expect(result.summary.answered == 2)
        #expect(result.summary.missing == 1)
        #expect(result.outcomes(.missing).first?.detail?.contains("asked again") == true)
        #expect(await harness.fake.requestCount == 2)
        #expect(result.finalOutcomeCounts().count == 3)
        #expect(result.finalOutcomeCounts().values.allSatisfy { $0 == 1 })
    }

    @Test func outOfRangeConfidenceIsRetriedNeverClamped() async throws {
        let harness = try await TierHarness.start(batchSize: 3)
        defer { Task { await harness.stop() } }
        await harness.fake.inject(.outOfRangeConfidence, when: .titleContains("Once"))
        let once = try await harness.tier().run([RealDataInputs.request(titleID: "T-1", title: "Once", cells: 3)])
        #expect(once.summary.answered == 3)
        #expect(once.candidates.allSatisfy { (0...1).contains($0.confidence) && $0.confidence != 1 })

        await harness.fake.inject(.outOfRangeConfidence, when: .titleContains("Always"), times: nil)
        let always = try await harness.tier().run([RealDataInputs.request(titleID: "T-2", title: "Always", cells: 3)])
        #expect(always.summary.answered == 2)
        #expect(always.summary.invalid == 1)
        let invalid = try #require(always.outcomes(.invalid).first)
        #expect(invalid.confidence == 1.7) // kept as given, not clamped
        #expect(invalid.detail?.contains("confidence 1.7 is outside 0-1") == true)
        #expect(!always.candidates.contains { $0.key == invalid.key })
    }

    @Test func offScaleValueIsInvalidAfterOneRetry() async throws {
        let harness = try await TierHarness.start(batchSize: 2)
        defer { Task { await harness.stop() } }
        await harness.fake.inject(.offScaleValue, times: nil)
        let result = try await harness.tier().run([RealDataInputs.request(cells: 2)])
        let invalid = result.outcomes(.invalid)
        #expect(invalid.count == 1)
        #expect(invalid.first?.value == 8)
        #expect(invalid.first?.detail?.contains("off the 1-5 scale") == true)
        #expect(result.summary.answered == 1)
        #expect(await harness.fake.requestCount == 2)
    }

    @Test func concurrencyLimitHolds() async throws {
        let harness = try await TierHarness.start(batchSize: 2, concurrency: 3, latency: 0.05)
        defer { Task { await harness.stop() } }
        let requests = (0..<4).map { RealDataInputs.request(titleID: "T-\($0)", title: "Title \($0)", cells: 6) }
        let result = try await harness.tier().run(requests)
        #expect(result.summary.answered == 24)
        #expect(await harness.fake.requestCount == 12)
        let peak = await harness.fake.maxInFlight
        #expect(peak <= 3)
        #expect(peak >= 2)
    }

    @Test func dryRunPlansWithoutCalling() async throws {
        let harness = try await TierHarness.start(batchSize: 5)
        defer { Task { await harness.stop() } }
        let plan = try await harness.tier().plan([RealDataInputs.request(cells: 12)])
        #expect(plan.batches.count == 3)
        #expect(plan.cells == 12)
        #expect(plan.estimatedInputTokens > 1000)
        #expect(plan.estimatedOutputTokens == 3 * 10 + 12 * TokenEstimate.outputTokensPerCell)
        #expect((plan.estimatedCost ?? 0) > 0)
        #expect(plan.batches.allSatisfy { !$0.cached })
        #expect(await harness.fake.requestCount == 0)
    }
}

/// The benchmark's shape in miniature (the figures themselves come from `jobforge-bench llm`):
/// N cells against a fake answering in 200 ms make ceil(N / batch) requests, and a second run none.
@Suite struct BenchmarkShapeTests {
    @Test func requestsAreBoundedAndASecondRunMakesNoCall() async throws {
        let batchSize = 12, concurrency = 8, cells = 240
        let harness = try await TierHarness.start(batchSize: batchSize, concurrency: concurrency, latency: 0.2, validate: false)
        defer { Task { await harness.stop() } }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = LLMLog(try SQLiteStore(path: directory.path("bench.sqlite").path, schemas: [LLMSchema.self]))
        let requests = (0..<4).map { title in
            ImputationRequest(subject: .title("B-\(title)"), context: TitleContext(title: "Benchmark title \(title)"),
                              missing: (0..<(cells / 4)).map { offset in
                                  MissingCell(descriptorCode: String(format: "X%03d", offset), name: "Attribute \(offset)",
                                              dimension: .importance, definition: "Synthetic.",
                                              scale: RatingScale(minimum: 1, maximum: 5, label: "importance 1-5"))
                              })
        }
        let first = try await harness.tier(recorder: store, runID: "b1").run(requests)
        #expect(first.summary.answered == cells)
        #expect(first.summary.requests <= (cells + batchSize - 1) / batchSize)
        let bound = Double((first.summary.requests + concurrency - 1) / concurrency) * 0.2
        let peak = await harness.fake.maxInFlight
        print(String(format: "llm shape: %d cells, %d requests, peak %d in flight, %.3f s wall, concurrency bound %.3f s, ratio %.2f",
                     cells, first.summary.requests, peak, first.summary.seconds, bound, first.summary.seconds / bound))
        let second = try await harness.tier(recorder: store, runID: "b2").run(requests)
        #expect(second.summary.requests == 0)
        #expect(second.summary.cacheHits == first.summary.requests)
        #expect(second.summary.answered == cells)
    }
}
