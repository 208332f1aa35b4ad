import Foundation
import JobForgeCascade
import JobForgeCore
import JobForgeLLM
import JobForgeNet
import JobForgeStore
import JobForgeTestSupport
import JobForgeTitles
import Testing

/// The three tiers together on the real shipped data.
@Suite("Cascade on real data")
struct CascadeRealDataTests {
    @Test("a title in 21231 (no O*NET ratings) gets LLM importance values; its OaSIS ratings stay untouched")
    func softwareEngineerFallsThroughToTheLLM() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-cascade")
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.path("c.sqlite").path)
        let pipeline = BuildPipeline(options: .init(dataFolder: RepoPaths.data))
        let first = try await pipeline.run(store: store)
        let onet = try #require(first.steps.first { $0.name == "onet" })
        #expect(onet.status == "done")
        #expect(onet.detail.contains("no O*NET data for") && onet.detail.contains("21231"))

        // A user's title in Software engineers and designers, then a build: the title inherits its
        // profile's cells (O*NET ones included, of which 21231 has none) without the O*NET step.
        let csv = "id,title,noc_2021\nSWE-1,Software engineer,21231\n"
        let importer = TitleImporter(store: store, resolver: try TitleImporter.resolver(store: store, dataDirectory: RepoPaths.data))
        let summary = try importer.importData(Data(csv.utf8), file: "mine.csv")
        #expect(summary.imported == 1)
        let second = try await pipeline.run(store: store)
        #expect(second.steps.first { $0.name == "titles" }?.status == "done")
        #expect(second.steps.first { $0.name == "onet" }?.status == "unchanged")

        let subject = Subject.title("SWE-1")
        let before = try store.winners(of: subject, filter: CellFilter(categories: ["Skills"]))
        #expect(before.count == 33, "the title inherits 21231.00's 33 skill ratings")
        #expect(before.allSatisfy { $0.source == .authoritative && $0.dimension == "level" })
        #expect(try store.winners(of: subject, filter: CellFilter(sources: [.onet])).isEmpty, "21231 has no O*NET ratings")

        let fake = try await FakeOpenAIServer.start(expectedModel: "gpt-4o-2024-08-06")
        defer { Task { await fake.stop() } }
        var configuration = LLMConfiguration(baseURL: await fake.baseURL, apiKey: await fake.apiKey,
                                             model: "gpt-4o-2024-08-06", batchSize: 12, concurrency: 2)
        configuration.retryPolicy = RetryPolicy(maxAttempts: 3, baseDelay: 0.01, maxDelay: 0.05, minimumDelay: 0)
        let requests = try LLMStep.requests(store: store, titleFilter: ["SWE-1"], categories: ["Skills"])
        let request = try #require(requests.first)
        #expect(requests.count == 1)
        // Empty: the importance of every skill (O*NET has none for 21231), and the guide's skills
        // that OaSIS does not rate or that only O*NET knows. Never a level OaSIS gave.
        let rated = Set(before.map(\.descriptorCode))
        let missingImportance = Set(request.missing.filter { $0.dimension == .importance }.map(\.descriptorCode))
        #expect(rated.isSubset(of: missingImportance))
        #expect(!request.missing.contains { $0.dimension == .level && rated.contains($0.descriptorCode) })
        #expect(request.context.unitGroupCode == "21231")
        #expect(request.context.knownValues.count > 200, "every value known for the title goes with the question")

        let runID = try store.beginRun(command: "impute")
        let (result, submitted) = try await LLMStep.run(store: store, configuration: configuration, runID: runID, requests: requests)
        #expect(result.summary.answered == request.missing.count)
        #expect(submitted.filled == request.missing.count)
        #expect(await fake.violations.isEmpty)

        let after = try store.winners(of: subject, filter: CellFilter(categories: ["Skills"]))
        let llm = after.filter { $0.source == .llm }
        #expect(llm.count == request.missing.count)
        let llmImportance = llm.filter { $0.dimension == "importance" && rated.contains($0.descriptorCode) }
        #expect(llmImportance.count == 33, "each rated skill gets an LLM importance value")
        for cell in llmImportance { #expect((1...5).contains(cell.value)) }
        for cell in llm {
            #expect((0...1).contains(cell.confidence))
            #expect(!(cell.rationale ?? "").isEmpty)
            #expect(cell.metadata["model"] == "gpt-4o-2024-08-06")
        }
        // The authoritative level values are exactly as before.
        let levels = after.filter { $0.dimension == "level" && rated.contains($0.descriptorCode) }
        #expect(levels.map(\.value) == before.map(\.value))
        #expect(levels.allSatisfy { $0.source == .authoritative })

        // A second run asks nothing: every answer comes from the cache.
        let requestsBefore = await fake.requestCount
        let again = try await LLMStep.run(store: store, configuration: configuration, runID: runID,
                                          requests: try LLMStep.requests(store: store, titleFilter: ["SWE-1"], categories: ["Skills"]))
        #expect(again.0.summary.cellsAsked == 0)
        #expect(await fake.requestCount == requestsBefore)
    }
}
