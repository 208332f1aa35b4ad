import ArgumentParser
import Foundation
import JobForgeCore
import JobForgeLLM
import JobForgeStore

/// `jobforge suggest-noc`: asks the model for a NOC 2021 unit group for titles that have no code.
public struct SuggestNOCCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "suggest-noc",
        abstract: "Propose a NOC 2021 unit group, with confidence and rationale, for job titles that have no NOC code.",
        discussion: """
            Only titles without any code the user gave are asked; a suggestion is stored as an LLM-sourced \
            proposal (`jobforge llm outcomes` and this command list them) and never replaces a user's code.
            """
    )

    @OptionGroup public var llm: ImputeOptions
    @OptionGroup public var store: StoreOptions
    @OptionGroup public var output: OutputOptions

    public init() {}

    struct Row: Encodable {
        var id: String
        var title: String
        var status: String
        var unitGroup: String?
        var unitGroupTitle: String?
        var confidence: Double?
        var rationale: String?
        var detail: String?
    }

    public func run() async throws {
        let db = try store.openExistingStore()
        let titles = try db.jobTitles().filter { $0.noc2021 == nil && $0.noc2016 == nil && $0.unitGroup == nil }
        guard !titles.isEmpty else {
            print("every job title has a NOC code: nothing to suggest")
            return
        }
        guard case .ready(let configuration) = try llm.resolve() else {
            if case .skipped(let reason) = try llm.resolve() { print("suggest-noc skipped: \(reason)") }
            return
        }
        var catalogue: [String: String] = [:]
        for code in try db.nocUnitGroupCodes() {
            if let header = try db.subjectHeader(.unitGroup(code)) { catalogue[code] = header.label }
        }
        let runID = try db.beginRun(command: "suggest-noc")
        let suggester = NOCSuggester(client: OpenAIClient(configuration: configuration), recorder: db, runID: runID,
                                     catalogue: catalogue)
        let records = try await suggester.suggest(titles.map { record in
            NOCSuggester.Title(id: record.id, context: TitleContext(
                title: record.title, titleFrench: record.titleFR, function: record.function, family: record.family,
                managerialLevel: record.managerialLevel, knownValues: []))
        })
        try db.saveLLMNOCSuggestions(records)
        try db.finishRun(runID, status: "ok")
        let byID = Dictionary(uniqueKeysWithValues: titles.map { ($0.id, $0.title) })
        let rows = records.map {
            Row(id: $0.titleID, title: byID[$0.titleID] ?? "", status: $0.status, unitGroup: $0.unitGroup,
                unitGroupTitle: $0.unitGroupTitle, confidence: $0.confidence, rationale: $0.rationale, detail: $0.detail)
        }
        if output.json {
            try Terminal.printJSON(rows)
            return
        }
        for row in rows {
            let code = row.unitGroup.map { "\($0) \(row.unitGroupTitle ?? "")" } ?? "-"
            print("\(row.id.padding(toLength: 9, withPad: " ", startingAt: 0)) \(Formatting.fit(row.title, 40)) \(row.status.padding(toLength: 9, withPad: " ", startingAt: 0)) \(code) \(row.confidence.map { String(format: "%.2f", $0) } ?? "")")
            if let rationale = row.rationale { print("          \(rationale)") }
            if let detail = row.detail { print("          \(detail)") }
        }
    }
}
