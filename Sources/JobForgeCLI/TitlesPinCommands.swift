import ArgumentParser
import Foundation
import GRDB
import JobForgeBuild
import JobForgeCore
import JobForgeNOCCoder
import JobForgeStore
import JobForgeTitles

/// `--reason TEXT --by NAME`: why and who, kept with every decision.
public struct DecisionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Why: kept in the decision log.", valueName: "text"))
    public var reason: String = ""

    @Option(name: .long, help: ArgumentHelp("Who decided (default: the user running the command).", valueName: "name"))
    public var by: String?

    public init() {}

    var author: DecisionAuthor { DecisionAuthor(name: by ?? Self.user) }

    /// The user running the command, who decides when `--by` does not say.
    static var user: String {
        ProcessInfo.processInfo.environment["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? NSUserName()
    }
}

/// One decision, run like an import: in a run under the writer lock, in one transaction with the
/// reconciliation of the titles' cells (each change of winner logged). A decision that cannot be
/// taken changes nothing and fails with what to do.
enum TitleDecisionRun {
    static func run<T>(_ store: StoreOptions, data: DataOptions, command: String,
                       _ body: (TitleImporter, String, Database) throws -> T) throws -> (T, TitleCells.Report) {
        let db = try store.openExistingStore()
        let importer = try TitlesCLI.importer(store: db, storePath: store.path, data: data.path)
        do {
            return try db.withRun(command: command) { runID in
                try db.dbQueue.write { db in
                    try TitleCells.resolving(in: db, runID: runID) { db in try body(importer, runID, db) }
                }
            }
        } catch let error as TitleDecisionError {
            throw CommandFailure(error.description + "; nothing was changed")
        }
    }

    static func describe(_ record: JobTitleRecord) -> String {
        let profile = record.profileCode.map { "\($0) (\(record.method.rawValue), confidence \(String(format: "%.2f", record.confidence)))" }
            ?? "no profile (\(record.method.rawValue))"
        return "\(record.id) \"\(record.title)\": \(profile)"
    }
}

/// `jobforge titles pin ID PROFILE | --noc CODE [--reason TEXT] [--by NAME]`.
public struct TitlesPinCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "pin",
        abstract: "Settle a title: pin it to an OaSIS profile, or (--noc) to a NOC 2021 unit group.",
        discussion: """
            A pin to a profile resolves the title to it (method manual, confidence 1.00); a pin to a \
            unit group (an ambiguous NOC 2016 code, a title without a code) lets the resolver pick the \
            profile within it. Who, when and why are kept; the pin survives `titles import` and \
            `build`; `titles unpin ID` undoes it. Examples:
              jobforge titles pin JA-0123 31301.01 --reason "HR review 2026"
              jobforge titles pin JA-0200 --noc 41400
            """
    )

    @OptionGroup public var store: StoreOptions
    @OptionGroup public var output: OutputOptions

    @Argument(help: "The title's id.")
    public var id: String

    @Argument(help: ArgumentHelp("The OaSIS profile (31301.01).", valueName: "profile"))
    public var profile: String?

    @Option(name: .long, help: ArgumentHelp("A NOC 2021 unit group instead of a profile.", valueName: "code"))
    public var noc: String?

    @OptionGroup public var decision: DecisionOptions
    @OptionGroup public var data: DataOptions

    public init() {}

    public func validate() throws {
        guard (profile == nil) != (noc == nil) else {
            throw ValidationError("give either a profile (jobforge titles pin ID 31301.01) or --noc CODE, not both or neither")
        }
    }

    public func run() async throws {
        let (profile, noc, author, reason) = (profile, noc, decision.author, decision.reason)
        let id = self.id
        let (record, report) = try TitleDecisionRun.run(store, data: data, command: "titles pin") { importer, runID, db in
            try importer.pin(id, profile: profile, unitGroup: noc, reason: reason, by: author, runID: runID, in: db)
        }
        if output.json {
            try Terminal.printJSON(DecisionOutput(title: TitleListing(record), overridden: report.overridden))
            return
        }
        print("pinned \(TitleDecisionRun.describe(record))")
        print("\(report.overridden) cells changed winner; `jobforge titles unpin \(id)` undoes it")
    }
}

/// `jobforge titles unpin ID`.
public struct TitlesUnpinCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "unpin",
        abstract: "Undo a title's pin: it resolves automatically again."
    )

    @OptionGroup public var store: StoreOptions
    @OptionGroup public var output: OutputOptions

    @Argument(help: "The title's id.")
    public var id: String

    @OptionGroup public var decision: DecisionOptions
    @OptionGroup public var data: DataOptions

    public init() {}

    public func run() async throws {
        let (id, author, reason) = (id, decision.author, decision.reason)
        let (record, report) = try TitleDecisionRun.run(store, data: data, command: "titles unpin") { importer, runID, db in
            try importer.unpin(id, reason: reason, by: author, runID: runID, in: db)
        }
        if output.json {
            try Terminal.printJSON(DecisionOutput(title: TitleListing(record), overridden: report.overridden))
            return
        }
        print("unpinned \(TitleDecisionRun.describe(record))")
        print("\(report.overridden) cells changed winner")
    }
}

/// `jobforge titles remove ID... [--reason TEXT]`.
public struct TitlesRemoveCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove titles from the current set; their history and the override log stay.",
        discussion: """
            A removed title has no cells and leaves `titles`, exports and imputation; `show` says when \
            and why it was removed; imports leave it removed. `titles restore ID` brings it back. \
            Every id must be a current title, or nothing is removed.
            """
    )

    @OptionGroup public var store: StoreOptions
    @OptionGroup public var output: OutputOptions

    @Argument(help: "The titles' ids.")
    public var ids: [String]

    @OptionGroup public var decision: DecisionOptions
    @OptionGroup public var data: DataOptions

    public init() {}

    public func validate() throws {
        if ids.isEmpty { throw ValidationError("give the ids of the titles to remove") }
    }

    public func run() async throws {
        let (ids, author, reason) = (ids, decision.author, decision.reason)
        let (_, report) = try TitleDecisionRun.run(store, data: data, command: "titles remove") { importer, runID, db in
            try importer.remove(ids, reason: reason, by: author, runID: runID, in: db)
        }
        if output.json {
            try Terminal.printJSON(RemoveOutput(removed: ids, overridden: report.overridden))
            return
        }
        print("removed \(ids.count) title(s): \(ids.joined(separator: ", ")); \(report.overridden) cells changed winner")
    }
}

/// `jobforge titles restore ID`.
public struct TitlesRestoreCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Bring a removed title back, as it was, resolved again."
    )

    @OptionGroup public var store: StoreOptions
    @OptionGroup public var output: OutputOptions

    @Argument(help: "The title's id.")
    public var id: String

    @OptionGroup public var decision: DecisionOptions
    @OptionGroup public var data: DataOptions

    public init() {}

    public func run() async throws {
        let (id, author, reason) = (id, decision.author, decision.reason)
        let (record, report) = try TitleDecisionRun.run(store, data: data, command: "titles restore") { importer, runID, db in
            try importer.restore(id, reason: reason, by: author, runID: runID, in: db)
        }
        if output.json {
            try Terminal.printJSON(DecisionOutput(title: TitleListing(record), overridden: report.overridden))
            return
        }
        print("restored \(TitleDecisionRun.describe(record))")
    }
}

struct DecisionOutput: Encodable {
    var title: TitleListing
    var overridden: Int
}

struct RemoveOutput: Encodable {
    var removed: [String]
    var overridden: Int
}

/// `jobforge titles review [--json]`: the titles that need a person. Exit status 0 when none
/// does, 1 otherwise.
public struct TitlesReviewCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "List the titles that need a person, each with its reason and the command that settles it.",
        discussion: """
            Reasons: no_code, unknown_code, ambiguous_noc2016 (with its NOC 2021 unit groups), no_profile, \
            tie (several profiles within one point of the best score), low_confidence (fuzzy, \
            unit_group_fallback), code_in_doubt (the offline NOC coder ranks the given unit group outside \
            its top 5 while its best group scores at least 1.5 times higher; see suggest-noc --offline). \
            Pinned titles are settled and never listed. Exit status: 0 when the \
            queue is empty, 1 otherwise.
            """
    )

    @OptionGroup public var store: StoreOptions
    @OptionGroup public var output: OutputOptions

    public init() {}

    public func run() async throws {
        let db = try store.openStoreForReading()
        let catalog = TitleCatalog(db)
        // Codes in doubt come from the offline NOC coder, composed here (Titles never imports it).
        let suggester = try OfflineCodeAuditor.of(db)
        let queue = try TitleReview(suggester: suggester).queue(try catalog.titles(), pins: try catalog.pins())
        if output.json {
            try Terminal.printJSON(queue.map(ReviewListing.init))
        } else if queue.isEmpty {
            print("nothing to review: every title is resolved with confidence, or pinned")
        } else {
            for item in queue {
                print("\(item.titleID)  \"\(item.title)\"  \(item.reason.kind)")
                print("    \(item.detail)")
                for action in item.actions { print("    -> \(action)") }
            }
            let counts = Dictionary(grouping: queue, by: \.reason.kind).map { "\($0.key) \($0.value.count)" }.sorted()
            print("\(queue.count) title(s) to review: \(counts.joined(separator: ", "))")
        }
        if !queue.isEmpty { throw ExitCode(1) }
    }
}

/// A review item as `titles review --json` prints it: the reason's name and its evidence.
struct ReviewListing: Encodable {
    var id: String
    var title: String
    var unitGroup: String?
    var profileCode: String?
    var method: ResolutionMethod
    var confidence: Double
    var reason: String
    var detail: String
    /// The NOC 2021 unit groups of an ambiguous NOC 2016 code, the tied profiles, the low-confidence candidates.
    var candidates: [ResolutionCandidate]
    var given: String?
    var suggested: [SuggestedUnitGroupRanking]
    var actions: [String]

    init(_ item: ReviewItem) {
        id = item.titleID
        title = item.title
        unitGroup = item.unitGroup
        profileCode = item.profileCode
        method = item.method
        confidence = item.confidence
        reason = item.reason.kind
        detail = item.detail
        actions = item.actions
        candidates = []
        suggested = []
        switch item.reason {
        case .noProfile: break
        case .noCode(let list): suggested = list
        case .unknownCode(let code, let list): given = code; suggested = list
        case .ambiguousNOC2016(let code, let groups): given = code; candidates = groups
        case .tie(let profiles): candidates = profiles
        case .lowConfidence(_, _, let list): candidates = list
        case .codeInDoubt(_, let list): suggested = list
        }
    }
}

extension TitlesCLI {
    /// Why `show` or `explain` found nothing: a removed title says when, by whom and why.
    static func notFound(_ text: String, in store: SQLiteStore, storePath: String) throws -> String {
        guard let retired = try TitleCatalog(store).retiredTitle(matching: text) else {
            return "no unit group, profile or job title \"\(text)\" in \(storePath)"
        }
        let why = retired.reason.isEmpty ? "" : ": \(retired.reason)"
        return "job title \(retired.id) \"\(retired.title)\" was removed on \(Timestamp.string(retired.retiredAt)) by "
            + "\(retired.retiredBy)\(why); its override history stays (`jobforge export` overrides), "
            + "and `jobforge titles restore \(retired.id)` brings it back"
    }
}

/// The offline NOC coder as the review's source of codes in doubt and of unit groups for titles
/// without a usable code: a title whose given NOC 2021 code the coder's audit finds in doubt
/// (`CodeAudit.Rule`), or that has no NOC 2021 unit group, gets the coder's top groups as its
/// suggestions, with the example titles that matched; a title whose code fits gets none.
struct OfflineCodeAuditor: UnitGroupSuggesting {
    let coder: NOCCoder

    /// The auditor over the store's NOC and OaSIS texts, or none when the store has no build yet.
    static func of(_ db: SQLiteStore) throws -> OfflineCodeAuditor? {
        try SuggestNOCCommand.offlineCoder(db, required: false).map(OfflineCodeAuditor.init)
    }

    func suggestions(for title: JobTitle) throws -> [SuggestedUnitGroupRanking] {
        let audit = coder.audit(title: title.title, givenCode: title.noc2021)
        switch audit.verdict {
        case .inDoubt, .noCode, .unknownCode: break
        case .fits: return []
        }
        return audit.candidates.map {
            SuggestedUnitGroupRanking(unitGroup: $0.code, score: $0.score,
                                      evidence: "\($0.title); matched " + $0.matchedTitles.map { "\"\($0)\"" }.joined(separator: ", "))
        }
    }
}
