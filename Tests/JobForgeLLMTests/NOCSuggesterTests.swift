import Foundation
import JobForgeCore
import JobForgeLLM
import JobForgeStore
import JobForgeTestSupport
import Testing

/// `suggest-noc`: a listed unit group with confidence and rationale, or a recorded reason why not.
@Suite struct NOCSuggesterTests {
    /// The real NOC 2021 unit groups (level 5) from the shipped structure file.
    static let unitGroups: [String: String] = {
        let url = RepoPaths.data.appendingPathComponent("noc/noc_structure_en.csv")
        let records = try! CSVReader().records(try! Data(contentsOf: url), file: url.lastPathComponent)
        let header = records[0].fields.map { $0.lowercased() }
        let levelColumn = header.firstIndex { $0.hasPrefix("level") }!
        let codeColumn = header.firstIndex { $0.contains("code") }!
        let titleColumn = header.firstIndex { $0.contains("title") }!
        var groups: [String: String] = [:]
        for record in records.dropFirst() where record.fields[levelColumn] == "5" {
            if let code = Codes.unitGroup(record.fields[codeColumn]) { groups[code] = record.fields[titleColumn] }
        }
        return groups
    }()

    @Test func suggestsAListedUnitGroupAndRecordsWhatIsNot() async throws {
        #expect(Self.unitGroups.count > 500)
        let harness = try await TierHarness.start()
        defer { Task { await harness.stop() } }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = LLMLog(try SQLiteStore(path: directory.path("s.sqlite").path, schemas: [LLMSchema.self]))
        await harness.fake.inject(.wrongAttribute, when: .titleContains("Wrong"), times: nil)
        await harness.fake.inject(.refusal("No."), when: .titleContains("Refuse"), times: nil)
        let suggester = NOCSuggester(client: harness.client, recorder: store, runID: "s1", catalogue: Self.unitGroups)
        let titles = ["Policy Analyst", "Wrong Answer Clerk", "Refuse Me"].enumerated().map {
            NOCSuggester.Title(id: "T-\($0.offset)", context: TitleContext(title: $0.element, function: "Policy", family: "Analysis"))
        }
        let records = try await suggester.suggest(titles)
        try store.saveNOCSuggestions(records)
        #expect(await harness.fake.violations == [])

        #expect(records[0].status == "suggested")
        let code = try #require(records[0].unitGroup)
        #expect(Self.unitGroups[code] != nil)
        #expect(records[0].unitGroupTitle == Self.unitGroups[code])
        #expect(records[0].confidence == 0.72)
        #expect(records[0].rationale?.isEmpty == false)
        #expect(records[0].requestID != nil)

        #expect(records[1].status == "invalid")
        #expect(records[1].unitGroup == "99999")
        #expect(records[1].detail?.contains("not a NOC 2021 unit group") == true)
        #expect(records[2].status == "refused")
        // 1 + 2 (retried once) + 1 requests; the stored latest suggestion per title matches.
        #expect(await harness.fake.requestCount == 4)
        #expect(try store.latestNOCSuggestions().map(\.status) == ["suggested", "invalid", "refused"])

        // Asking again: the suggestion and the refusal come from the cache; the invalid answers
        // were not cached, so that title is asked again (and retried once).
        _ = try await suggester.suggest(titles)
        #expect(await harness.fake.requestCount == 6)
    }
}
