import ArgumentParser
import Foundation
import JobForgeBuild
import JobForgeCore
import JobForgeLLM
import JobForgeNOCCoder
import JobForgeONet
import JobForgeStore
import JobForgeTitles

/// `jobforge suggest-noc`: asks the model for a NOC 2021 unit group for titles that have no code.
public struct SuggestNOCCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "suggest-noc",
        abstract: "Propose a NOC 2021 unit group, with confidence and rationale, for job titles that have no NOC code.",
        discussion: """
            Only titles without any code the user gave are asked; a suggestion is stored as an LLM-sourced \
            proposal (`jobforge llm outcomes` and this command list them) and never replaces a user's code. \
            With --apply, the titles are resolved within the suggested unit groups (those at least \
            --min-confidence sure): their unit group source is `llm_suggestion` and their resolution \
            confidence is the method's times the suggestion's. The model is shown the offline ranking's best \
            unit groups (see --offline) with the example titles that matched, and chooses among them.

            --offline ranks the NOC 2021 unit groups for each title from what OaSIS says of them (example \
            titles, labels, lead statements, main duties) in the store a build wrote: it needs no key, sends \
            nothing and stores nothing. It ranks the titles without a code, or --titles (ids or exact titles), \
            or the texts given:

              jobforge suggest-noc --offline "data scientist" "registered nurse" --top 3
              jobforge suggest-noc --offline --titles JA-0002 JA-0010 --json
            """
    )

    @Flag(name: .long, help: "Rank unit groups offline from the OaSIS texts: no key, no network, nothing stored.")
    public var offline = false

    @Option(name: .long, parsing: .upToNextOption,
            help: ArgumentHelp("With --offline: these job titles of the store (ids or exact titles).", valueName: "title"))
    public var titles: [String] = []

    @Option(name: .long, help: "With --offline: how many unit groups to show for each title.")
    public var top = 5

    @Argument(help: ArgumentHelp("With --offline: job titles to code, as text.", valueName: "title"))
    public var texts: [String] = []

    @Flag(name: .long, help: "Resolve the titles within their suggested unit groups (the new suggestions and those already stored).")
    public var apply = false

    @Option(name: .long, help: "With --apply: the least confidence of a suggestion that is applied (0-1).")
    public var minConfidence: Double = 0.7

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

    public func validate() throws {
        guard (0...1).contains(minConfidence) else { throw ValidationError("--min-confidence must be between 0 and 1") }
        guard (1...50).contains(top) else { throw ValidationError("--top must be between 1 and 50") }
        if !offline, !titles.isEmpty || !texts.isEmpty {
            throw ValidationError("titles to rank (--titles or text) go with --offline; without it, the titles with no code are asked")
        }
        if offline, apply {
            throw ValidationError("--offline only ranks and stores nothing: --apply applies the model's suggestions (drop --offline)")
        }
        // Refused rather than ignored: a limit that does nothing would spend without one.
        if llm.maxCost != nil {
            throw ValidationError("suggest-noc does not take --max-cost yet (impute and build do); use --dry-run to see its requests and cost")
        }
    }

    public func run() async throws {
        if offline { return try runOffline() }
        let db = try store.openExistingStore()
        let titles = try TitleCatalog(db).titles().filter { $0.noc2021 == nil && $0.noc2016 == nil && $0.unitGroup == nil }
        var rows: [Row] = []
        if llm.dryRun {
            // A dry run sends nothing and changes nothing: it lists the requests a run would send.
            if titles.isEmpty {
                print("every job title has a NOC code: nothing to suggest")
            } else if case .ready(let configuration) = try llm.resolve() {
                let planned = try await suggester(db: db, configuration: configuration, runID: "dry-run")
                    .plan(Self.suggesterTitles(titles, coder: try Self.offlineCoder(db, required: false)))
                for line in Self.planLines(planned, configuration: configuration) { print(line) }
            }
            if apply { print("--apply: nothing applied in a dry run") }
            return
        }
        if titles.isEmpty {
            if !apply { print("every job title has a NOC code: nothing to suggest") }
        } else if case .ready(let configuration) = try llm.resolve() {
            rows = try await suggest(titles, db: db, configuration: configuration)
        } else if case .skipped(let reason) = try llm.resolve() {
            print("suggest-noc skipped: \(reason)")
        }
        let applied = apply ? try applyStored(db: db) : nil
        if output.json {
            struct Output: Encodable { var suggestions: [Row]; var applied: TitleImporter.SuggestionReport? }
            try Terminal.printJSON(Output(suggestions: rows, applied: applied))
            return
        }
        for row in rows {
            let code = row.unitGroup.map { "\($0) \(row.unitGroupTitle ?? "")" } ?? "-"
            print("\(row.id.padding(toLength: 9, withPad: " ", startingAt: 0)) \(Formatting.fit(row.title, 40)) \(row.status.padding(toLength: 9, withPad: " ", startingAt: 0)) \(code) \(row.confidence.map { String(format: "%.2f", $0) } ?? "")")
            if let rationale = row.rationale { print("          \(rationale)") }
            if let detail = row.detail { print("          \(detail)") }
        }
        if let applied {
            print("applied: \(applied.applied.count) titles resolved within their suggested unit group"
                  + (applied.applied.isEmpty ? "" : " (\(applied.applied.joined(separator: ", ")))"))
            if !applied.belowConfidence.isEmpty {
                print("not applied, below --min-confidence \(minConfidence): \(applied.belowConfidence.joined(separator: ", "))")
            }
            if !applied.keptUserCode.isEmpty {
                print("not applied, the title has a code of yours: \(applied.keptUserCode.joined(separator: ", "))")
            }
        }
    }

    /// The suggester over the store's NOC 2021 unit groups.
    private func suggester(db: SQLiteStore, configuration: LLMConfiguration, runID: String) throws -> NOCSuggester {
        var catalogue: [String: String] = [:]
        for code in try ONetArchive(db).nocUnitGroupCodes() {
            if let header = try db.subjectHeader(.unitGroup(code)) { catalogue[code] = header.label }
        }
        return NOCSuggester(client: OpenAIClient(configuration: configuration), recorder: LLMLog(db), runID: runID,
                            catalogue: catalogue)
    }

    /// How many of the offline ranking's unit groups the model chooses among.
    static let offlineCandidatesForTheModel = 10

    private static func suggesterTitles(_ titles: [JobTitleRecord], coder: NOCCoder?) -> [NOCSuggester.Title] {
        titles.map { record in
            let candidates = coder?.rank(record.title, top: offlineCandidatesForTheModel) ?? []
            return NOCSuggester.Title(id: record.id, context: TitleContext(
                title: record.title, titleFrench: record.titleFR, function: record.function, family: record.family,
                managerialLevel: record.managerialLevel, knownValues: []),
                offlineCandidates: candidates.map { .init(code: $0.code, score: $0.score, matchedTitles: $0.matchedTitles) })
        }
    }

    /// The offline coder over the store's NOC and OaSIS texts; nil (or, when `required`, a failure
    /// that says to build) for a store without them.
    static func offlineCoder(_ db: SQLiteStore, required: Bool) throws -> NOCCoder? {
        let documents = try NOCCoderDocuments.load(from: db)
        guard documents.contains(where: { !$0.exampleTitles.isEmpty }) else {
            if required {
                throw CommandFailure("the store at \(db.path) has no NOC or OaSIS data to rank unit groups from: run `jobforge build` first")
            }
            return nil
        }
        return NOCCoder(documents)
    }

    struct OfflineRow: Encodable {
        struct Ranked: Encodable {
            var rank: Int
            var unitGroup: String
            var unitGroupTitle: String
            var score: Double
            var matchedExampleTitles: [String]
        }
        var id: String?
        var title: String
        var candidates: [Ranked]
    }

    /// `--offline`: ranks, prints, stores nothing and calls nothing.
    private func runOffline() throws {
        let db = try store.openStoreForReading()
        var queries: [(id: String?, title: String)] = texts.map { (nil, $0) }
        let known = try TitleCatalog(db).titles()
        if !titles.isEmpty {
            let chosen = known.filter { titles.contains($0.id) || titles.contains($0.title) }
            let unmatched = titles.filter { name in !chosen.contains { $0.id == name || $0.title == name } }
            if !unmatched.isEmpty {
                throw CommandFailure("no job title matches \(unmatched.joined(separator: ", ")); `jobforge titles` lists them")
            }
            queries += chosen.map { ($0.id, $0.title) }
        } else if texts.isEmpty {
            queries = known.filter { $0.noc2021 == nil && $0.noc2016 == nil && $0.unitGroup == nil }.map { ($0.id, $0.title) }
            if queries.isEmpty {
                if output.json { try Terminal.printJSON(["titles": [OfflineRow]()]) } else { print("every job title has a NOC code: nothing to suggest") }
                return
            }
        }
        guard let coder = try Self.offlineCoder(db, required: true) else { return }
        let rows = queries.map { query in
            OfflineRow(id: query.id, title: query.title, candidates: coder.rank(query.title, top: top).enumerated().map { index, candidate in
                .init(rank: index + 1, unitGroup: candidate.code, unitGroupTitle: candidate.title, score: candidate.score,
                      matchedExampleTitles: candidate.matchedTitles)
            })
        }
        if output.json {
            try Terminal.printJSON(["titles": rows])
            return
        }
        for row in rows {
            print((row.id.map { "\($0)  " } ?? "") + row.title)
            if row.candidates.isEmpty { print("   no unit group: none of its words is in the NOC's texts") }
            for candidate in row.candidates {
                print("  \(candidate.rank). \(candidate.unitGroup) \(Formatting.fit(candidate.unitGroupTitle, 48)) "
                      + String(format: "%5.2f", candidate.score)
                      + (candidate.matchedExampleTitles.isEmpty ? "" : "  matched: " + candidate.matchedExampleTitles.joined(separator: "; ")))
            }
        }
    }

    /// The dry run: one line per request, then the totals.
    static func planLines(_ planned: [NOCSuggester.PlannedSuggestion], configuration: LLMConfiguration) -> [String] {
        var lines = planned.enumerated().map { index, plan in
            "--- request \(index + 1)/\(planned.count): title \(plan.titleID), ~\(plan.estimatedInputTokens) tokens in"
                + (plan.cached ? " (cached: no call)" : "")
        }
        let uncached = planned.filter { !$0.cached }
        lines.append("dry run (\(configuration.model) at \(configuration.shownChatCompletionsURL)): \(planned.count) titles in "
                     + "\(planned.count) requests (\(uncached.count) not cached), ~\(uncached.reduce(0) { $0 + $1.estimatedInputTokens }) tokens in. "
                     + "Nothing was sent.")
        return lines
    }

    private func suggest(_ titles: [JobTitleRecord], db: SQLiteStore, configuration: LLMConfiguration) async throws -> [Row] {
        let records = try await db.withRun(command: "suggest-noc") { runID in
            let suggester = try suggester(db: db, configuration: configuration, runID: runID)
            let records = try await suggester.suggest(Self.suggesterTitles(titles, coder: try Self.offlineCoder(db, required: false)))
            try LLMLog(db).saveNOCSuggestions(records)
            // Saved first (a re-run asks them again), then the run fails: nothing was suggested.
            if !records.isEmpty, records.allSatisfy({ $0.status == "failed" }) {
                throw LLMError.everyRequestFailed(count: records.count, items: "titles", detail: records.last?.detail ?? "no answer")
            }
            return records
        }
        let byID = Dictionary(uniqueKeysWithValues: titles.map { ($0.id, $0.title) })
        return records.map {
            Row(id: $0.titleID, title: byID[$0.titleID] ?? "", status: $0.status, unitGroup: $0.unitGroup,
                unitGroupTitle: $0.unitGroupTitle, confidence: $0.confidence, rationale: $0.rationale, detail: $0.detail)
        }
    }

    /// Resolves the titles still without a unit group within the latest suggestion for each; the
    /// titles' cells follow at once, and what changes for titles with values of their own is logged.
    private func applyStored(db: SQLiteStore) throws -> TitleImporter.SuggestionReport {
        let open = Set(try TitleCatalog(db).titles().filter { $0.unitGroup == nil }.map(\.id))
        let suggestions = try AppliedSuggestions.latest(in: db).filter { open.contains($0.titleID) }
        let importer = try TitlesCLI.importer(store: db, storePath: store.path, data: nil)
        return try db.withRun(command: "suggest-noc --apply") { runID in
            try db.dbQueue.write { db in
                try TitleCells.resolving(in: db, runID: runID) { db in
                    try importer.applySuggestions(suggestions, minimumConfidence: minConfidence, in: db)
                }.0
            }
        }
    }
}
