import Foundation
import JobForgeCLI
import JobForgeCore
import JobForgeLLM
import JobForgeStore
import JobForgeTestSupport
import JobForgeTitles
import Testing

/// `jobforge suggest-noc --apply` against the fake OpenAI server, on the shipped sample: titles
/// without a code get a unit group from the model, never those with a code of the user's.
@Suite("suggest-noc --apply", .serialized)
struct SuggestNOCApplyTests {
    @Test("titles with no code resolve within the suggested unit group, keep it across builds, and inherit cells")
    func applySuggestions() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-suggest")
        defer { folder.remove() }
        let build = try JobForgeBinary.run(["build"], in: folder.url)
        #expect(build.status == 0, "\(build.stderr)")
        let path = folder.path("jobforge.sqlite").path
        let before = try TitleCatalog(SQLiteStore(path: path, schemas: StoreOptions.schemas)).titles()
        let noCode = before.filter { $0.noc2021 == nil && $0.noc2016 == nil }
        let withCode = before.filter { $0.noc2021 != nil || $0.noc2016 != nil }
        #expect(noCode.count >= 3, "the sample has titles without a code")
        #expect(noCode.allSatisfy { $0.unitGroup == nil && $0.method == .noCode })

        let fake = try await FakeOpenAIServer.start(expectedModel: "gpt-4o-2024-08-06")
        defer { Task { await fake.stop() } }
        let environment = ["OPENAI_BASE_URL": await fake.baseURL.absoluteString, "OPENAI_API_KEY": await fake.apiKey ?? ""]
        let run = try JobForgeBinary.run(["suggest-noc", "--apply"], in: folder.url, environment: environment)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("applied: \(noCode.count) titles resolved within their suggested unit group"), "\(run.stdout)")
        #expect(await fake.violations.isEmpty)

        func checkApplied() throws {
            let store = try SQLiteStore(path: path, schemas: StoreOptions.schemas)
            let suggestions = Dictionary(uniqueKeysWithValues: try LLMLog(store).latestNOCSuggestions().map { ($0.titleID, $0) })
            let after = Dictionary(uniqueKeysWithValues: try TitleCatalog(store).titles().map { ($0.id, $0) })
            for title in noCode {
                let record = try #require(after[title.id])
                let suggestion = try #require(suggestions[title.id])
                #expect(record.noc2021 == nil && record.noc2016 == nil, "the user's (empty) codes are left as they were")
                #expect(record.unitGroupMethod == .llmSuggestion)
                #expect(record.unitGroup == suggestion.unitGroup)
                let method = record.method
                #expect(abs(record.confidence - method.confidence * 0.72) < 1e-9, "\(record.id): \(record.confidence)")
                #expect(record.note.contains("suggested by gpt-4o-2024-08-06"))
                let cells = try store.winners(of: .title(title.id), filter: CellFilter(sources: [.authoritative]))
                #expect(!cells.isEmpty, "\(title.id) inherits its profile's cells")
                #expect(cells.allSatisfy { $0.metadata["unit_group_source"] == "llm_suggestion" })
            }
            for title in withCode {
                let record = try #require(after[title.id])
                #expect(record.unitGroup == title.unitGroup && record.unitGroupMethod == title.unitGroupMethod,
                        "a title with a code keeps its own unit group")
            }
        }
        try checkApplied()

        // A later build re-resolves every title: the applied unit groups stay.
        let again = try JobForgeBinary.run(["build"], in: folder.url)
        #expect(again.status == 0, "\(again.stderr)")
        try checkApplied()

        // Below the threshold, or for a title with a code, a suggestion is not applied.
        let store = try SQLiteStore(path: path, schemas: StoreOptions.schemas)
        let importer = TitleImporter(resolver: try TitleImporter.resolver(store: store, dataDirectory: RepoPaths.data))
        let coded = try #require(withCode.first)
        let report = try await store.dbQueue.write { db in
            try importer.applySuggestions([
                .init(titleID: coded.id, unitGroup: "21231", confidence: 0.99, model: "m"),
                .init(titleID: noCode[0].id, unitGroup: "21231", confidence: 0.5, model: "m"),
            ], minimumConfidence: 0.7, in: db)
        }
        #expect(report.keptUserCode == [coded.id])
        #expect(report.belowConfidence == [noCode[0].id])
        #expect(report.applied.isEmpty)
    }
}
