import Foundation
import JobForgeBuild
import JobForgeCore
import JobForgeLLM
import JobForgeNet
import JobForgeONet
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
        let store = try SQLiteStore(path: folder.path("c.sqlite").path, schemas: BuildPipeline.schemas)
        let pipeline = BuildPipeline(options: .init(dataFolder: RepoPaths.data))
        let first = try await pipeline.run(store: store)
        let onet = try #require(first.steps.first { $0.name == "onet" })
        #expect(onet.status == .done)
        #expect(onet.detail.contains("no O*NET data for") && onet.detail.contains("21231"))

        // A user's title in Software engineers and designers, then a build: the title inherits its
        // profile's cells (O*NET ones included, of which 21231 has none) without the O*NET step.
        let csv = "id,title,noc_2021\nSWE-1,Software engineer,21231\n"
        let importer = TitleImporter(resolver: try TitleImporter.resolver(store: store, dataDirectory: RepoPaths.data))
        let summary = try await store.dbQueue.write { try importer.importData(Data(csv.utf8), file: "mine.csv", in: $0) }
        #expect(summary.imported == 1)
        let second = try await pipeline.run(store: store)
        #expect(second.steps.first { $0.name == "titles" }?.status == .done)
        #expect(second.steps.first { $0.name == "onet" }?.status == .unchanged)

        let subject = Subject.title("SWE-1")
        let before = try store.winners(of: subject, filter: CellFilter(categories: [.skills]))
        #expect(before.count == 33, "the title inherits 21231.00's 33 skill ratings")
        #expect(before.allSatisfy { $0.source == .authoritative && $0.dimension == "level" })
        #expect(try store.winners(of: subject, filter: CellFilter(sources: [.onet])).isEmpty, "21231 has no O*NET ratings")

        let fake = try await FakeOpenAIServer.start(expectedModel: "gpt-4o-2024-08-06")
        defer { Task { await fake.stop() } }
        var configuration = LLMConfiguration(baseURL: await fake.baseURL, apiKey: await fake.apiKey,
                                             model: "gpt-4o-2024-08-06", batchSize: 12, concurrency: 2)
        configuration.retryPolicy = RetryPolicy(maxAttempts: 3, baseDelay: 0.01, maxDelay: 0.05, minimumDelay: 0)
        let requests = try LLMStep.requests(store: store, titleFilter: ["SWE-1"], categories: [.skills])
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

        let after = try store.winners(of: subject, filter: CellFilter(categories: [.skills]))
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
                                          requests: try LLMStep.requests(store: store, titleFilter: ["SWE-1"], categories: [.skills]))
        #expect(again.0.summary.cellsAsked == 0)
        #expect(await fake.requestCount == requestsBefore)

        // With stored LLM answers beside the derived cells, the build summary's fast counter still
        // equals the counts taken through the read path (CascadeGraph's inputs, both ways).
        var counted: [String: Int] = [:]
        try store.forEachWinner(filter: CellFilter()) { cell in
            counted["\(cell.subject.kind.rawValue) \(cell.source.rawValue) \(cell.category.rawValue)", default: 0] += 1
        }
        var fast: [String: Int] = [:]
        for count in try store.cellCounts() { fast["\(count.subjectKind) \(count.source) \(count.category)"] = count.cells }
        #expect(fast == counted)
        #expect((counted["title llm Skills"] ?? 0) >= request.missing.count)
    }

    @Test("a newer O*NET release imported after a build replaces the tier's values at the next build, every change logged")
    func newerONetReleaseOverridesAtTheNextBuild() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-onet-release")
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.path("c.sqlite").path, schemas: BuildPipeline.schemas)
        let pipeline = BuildPipeline(options: .init(dataFolder: RepoPaths.data, steps: [.authoritative, .onet]))
        _ = try await pipeline.run(store: store)
        // 11100 Financial auditors and accountants <- 13-2011.00 only; 2.A.1.a Reading Comprehension is F01b01.
        let unitGroup = CellKey(subject: .unitGroup("11100"), descriptor: "F01b01", dimension: .importance)
        let profile = CellKey(subject: .profile("11100.01"), descriptor: "F01b01", dimension: .importance)
        let before = try #require(try store.candidates(for: unitGroup).first(where: \.isWinner)?.candidate)
        #expect(before.source == .onet && before.value == 3.88 && before.release == "O*NET 29.3" && before.sourceIDs == ["13-2011.00"])

        // "O*NET 30.0": the shipped release with that one importance changed.
        let newer = folder.path("db_30_0_text")
        try FileManager.default.copyItem(at: RepoPaths.data.appendingPathComponent("onet/db_29_3_text"), to: newer)
        func edit(_ file: String, _ old: String, _ new: String) throws {
            let url = newer.appendingPathComponent(file)
            let text = try String(contentsOf: url, encoding: .utf8)
            #expect(text.contains(old))
            try text.replacingOccurrences(of: old, with: new).write(to: url, atomically: true, encoding: .utf8)
        }
        try edit("Read Me.txt", "O*NET 29.3 Database", "O*NET 30.0 Database")
        try edit("Skills.txt", "13-2011.00\t2.A.1.a\tReading Comprehension\tIM\t3.88\t", "13-2011.00\t2.A.1.a\tReading Comprehension\tIM\t2.50\t")
        let imported = try ONetImport.importDatabase(newer, into: store)
        #expect(!imported.alreadyLoaded && imported.release == "O*NET 30.0")

        let second = try await pipeline.run(store: store)
        #expect(second.steps.first { $0.name == "authoritative" }?.status == .unchanged)
        let onet = try #require(second.steps.first { $0.name == "onet" })
        #expect(onet.status == .done, "the store's O*NET ratings changed: the tier runs again")
        for key in [unitGroup, profile] {
            let candidates = try store.candidates(for: key)
            let winner = try #require(candidates.first(where: \.isWinner)?.candidate)
            #expect(winner.value == 2.5 && winner.release == "O*NET 30.0")
            #expect(candidates.contains { $0.candidate.value == 3.88 && !$0.isWinner }, "the 29.3 value is kept below")
            let events = try store.overrides(for: key)
            #expect(events.count == 1)
            #expect(events.first?.oldValue == 3.88 && events.first?.newValue == 2.5)
            #expect(events.first?.oldSource == .onet && events.first?.newSource == .onet)
        }
        // Every cell O*NET held changed winner (the 30.0 value replaces the 29.3 one, newer among
        // equals), but only that element's value changed, in the unit groups crosswalked to
        // 13-2011.00 and their profiles.
        let crosswalk = Crosswalk(pairs: try ONetArchive(store).crosswalk())
        let changed = try store.allOverrides().filter { $0.oldValue != $0.newValue }
        #expect(changed.count >= 2)
        for event in changed {
            #expect(event.key.descriptor == "F01b01" && event.key.dimension == .importance)
            let code = event.key.subject.kind == .unitGroup ? event.key.subject.code : Codes.unitGroup(ofProfile: event.key.subject.code)
            #expect(crosswalk.socCodes(forUnitGroup: code).contains("13-2011.00"))
        }
        #expect(try await pipeline.run(store: store).steps.first { $0.name == "onet" }?.status == .unchanged)
    }
}
