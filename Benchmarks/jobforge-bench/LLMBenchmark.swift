import Foundation
import JobForgeCore
import JobForgeLLM
import JobForgeNet
import JobForgeStore
import JobForgeTestSupport

/// `jobforge-bench llm [--cells N] [--batch-size B] [--concurrency C] [--latency S]`: asks N cells
/// (default 480) of a fake OpenAI-compatible server that takes S seconds (default 0.2) per answer,
/// into a fresh SQLite store, then runs again. Targets: requests <= ceil(N / B); wall time within
/// 1.3x of the concurrency bound ceil(requests / C) * S; the second run makes 0 calls.
func runLLMBenchmark(arguments: [String]) async throws {
    var cells = 480, batchSize = 12, concurrency = 8
    var latency = 0.2
    var index = 0
    while index + 1 < arguments.count {
        let value = arguments[index + 1]
        switch arguments[index] {
        case "--cells": cells = Int(value) ?? cells
        case "--batch-size": batchSize = Int(value) ?? batchSize
        case "--concurrency": concurrency = Int(value) ?? concurrency
        case "--latency": latency = Double(value) ?? latency
        default: break
        }
        index += 2
    }

    let fake = try await FakeOpenAIServer.start(expectedModel: LLMConfiguration.defaultModel, latency: latency,
                                                validateAgainstOpenAPI: false)
    let directory = try TemporaryDirectory(prefix: "jobforge-llm-bench")
    defer { directory.remove() }
    let store = try SQLiteStore(path: directory.path("bench.sqlite").path, schemas: [LLMSchema.self])
    let configuration = LLMConfiguration(baseURL: await fake.baseURL, apiKey: await fake.apiKey, batchSize: batchSize,
                                         concurrency: concurrency)

    // Titles of 60 attributes each (the size of a category), every cell on a 1-5 importance scale.
    let perTitle = 60
    let requests: [ImputationRequest] = stride(from: 0, to: cells, by: perTitle).map { start in
        let count = min(perTitle, cells - start)
        let titleNumber = start / perTitle
        return ImputationRequest(
            subject: .title("B-\(titleNumber)"),
            context: TitleContext(title: "Benchmark title \(titleNumber)", unitGroupCode: "21231",
                                  unitGroupTitle: "Software engineers and designers"),
            missing: (0..<count).map { offset in
                MissingCell(descriptorCode: String(format: "X%03d", offset), name: "Attribute \(offset)", dimension: .importance,
                            definition: "A synthetic attribute for the benchmark.",
                            scale: RatingScale(minimum: 1, maximum: 5, label: "importance, 1 to 5"))
            })
    }

    let tier = LLMTier(client: OpenAIClient(configuration: configuration), recorder: LLMLog(store), runID: "bench-1")
    let first = try await tier.run(requests)
    let expectedRequests = requests.reduce(0) { $0 + ($1.missing.count + batchSize - 1) / batchSize }
    let bound = Double((first.summary.requests + concurrency - 1) / concurrency) * latency
    print("llm: \(cells) cells, batch \(batchSize), concurrency \(concurrency), latency \(latency) s")
    print(String(format: "  first run:  %d requests (ceil bound %d, ceil(N/B) %d), %d answered, %.3f s wall, concurrency bound %.3f s, ratio %.2f",
                 first.summary.requests, expectedRequests, (cells + batchSize - 1) / batchSize, first.summary.answered,
                 first.summary.seconds, bound, first.summary.seconds / max(bound, 0.001)))

    let again = LLMTier(client: OpenAIClient(configuration: configuration), recorder: LLMLog(store), runID: "bench-2")
    let second = try await again.run(requests)
    print(String(format: "  second run: %d requests, %d cache hits, %d answered, %.3f s wall",
                 second.summary.requests, second.summary.cacheHits, second.summary.answered, second.summary.seconds))
    await fake.stop()
}
