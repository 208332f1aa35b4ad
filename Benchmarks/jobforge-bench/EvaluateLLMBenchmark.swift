import Foundation
import JobForgeBuild
import JobForgeCLI
import JobForgeCore
import JobForgeLLM
import JobForgeStore
import JobForgeTestSupport

/// `jobforge-bench evaluate-llm --store PATH [--sample N] [--reps R]`: on a copy of a built store
/// (`jobforge build`), times, alternating, R times each: drawing and hiding a sample of N
/// subjects (`LLMEvaluation.plan`), and a whole evaluation against the loopback fake (no
/// latency) beside the baseline of the same requests asked by the bare tier (what `impute`
/// runs), fresh stores each time; then once what refusing a too-large sample costs. Prints
/// medians and the evaluation / tier ratio.
func runEvaluateLLMBenchmark(arguments: [String]) async throws {
    var storePath: String?
    var sample = 10, reps = 3
    var index = 0
    while index + 1 < arguments.count {
        let value = arguments[index + 1]
        switch arguments[index] {
        case "--store": storePath = value
        case "--sample": sample = Int(value) ?? sample
        case "--reps": reps = max(1, Int(value) ?? reps)
        default: break
        }
        index += 2
    }
    guard let storePath else {
        print("evaluate-llm needs --store PATH: a store written by `jobforge build`")
        exit(2)
    }
    let fake = try await FakeOpenAIServer.start(validateAgainstOpenAPI: false)
    let directory = try TemporaryDirectory(prefix: "jobforge-evaluate-llm-bench")
    defer { directory.remove() }
    let configuration = LLMConfiguration(baseURL: await fake.baseURL, apiKey: await fake.apiKey)

    func freshStore(_ name: String) throws -> SQLiteStore {
        let copy = directory.path(name + ".sqlite")
        try? FileManager.default.removeItem(at: copy)
        try FileManager.default.copyItem(at: URL(fileURLWithPath: storePath), to: copy)
        return try SQLiteStore(path: copy.path, schemas: StoreOptions.schemas)
    }
    func seconds(_ body: () async throws -> Void) async rethrows -> Double {
        let start = Date()
        try await body()
        return Date().timeIntervalSince(start)
    }
    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    var plans: [Double] = [], evaluations: [Double] = [], tiers: [Double] = []
    var cells = 0, requests = 0
    for rep in 0..<reps {
        let store = try freshStore("e\(rep)")
        var plan: LLMEvaluation.Plan?
        plans.append(try await seconds { plan = try LLMEvaluation.plan(store: store, sample: sample, seed: UInt64(rep + 1)) })
        cells = plan!.cells.count
        evaluations.append(try await seconds {
            let report = try await LLMEvaluation.run(store: store, configuration: configuration,
                                                     plan: try LLMEvaluation.plan(store: store, sample: sample, seed: UInt64(rep + 1)),
                                                     runID: "bench-eval-\(rep)")
            requests = report.requests
        })
        // The baseline: the same requests, asked by the tier alone into the store's cache.
        let baseline = try freshStore("t\(rep)")
        tiers.append(try await seconds {
            _ = try await LLMTier(client: OpenAIClient(configuration: configuration), recorder: LLMLog(baseline),
                                  runID: "bench-tier-\(rep)").run(plan!.requests)
        })
    }
    let walkStore = try freshStore("walk")
    var available = 0
    let walk = try await seconds {
        do { _ = try LLMEvaluation.plan(store: walkStore, sample: Int.max, seed: 1) } catch let error as SampleTooLarge { available = error.available }
    }
    await fake.stop()
    print("evaluate-llm: sample \(sample) subjects (\(cells) cells, \(requests) requests), \(reps) repetitions, medians")
    print(String(format: "  plan (draw, read, hide):        %.3f s", median(plans)))
    print(String(format: "  evaluation (plan, ask, score):  %.3f s", median(evaluations)))
    print(String(format: "  baseline, the tier alone:       %.3f s   ratio evaluation / tier %.2f", median(tiers),
                 median(evaluations) / max(median(tiers), 0.001)))
    print(String(format: "  refusing a too-large sample (%d subjects have truth): %.3f s", available, walk))
}
