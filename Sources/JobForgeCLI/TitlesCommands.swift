import ArgumentParser
import JobForgeBuild
import Foundation
import JobForgeCore
import JobForgeStore
import JobForgeTitles

/// `jobforge titles`: the job architecture. `titles` lists, `titles import FILE` imports.
public struct TitlesCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "titles",
        abstract: "Import a job architecture and list its titles with the OaSIS profile each resolved to.",
        subcommands: [TitlesListCommand.self, TitlesImportCommand.self, TitlesReviewCommand.self, TitlesPinCommand.self,
                      TitlesUnpinCommand.self, TitlesRemoveCommand.self, TitlesRestoreCommand.self],
        defaultSubcommand: TitlesListCommand.self
    )

    public init() {}
}

/// `jobforge titles [list] [--unresolved] [--method M] [--json]`.
public struct TitlesListCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the titles with their profile, resolution method and confidence."
    )

    @OptionGroup public var store: StoreOptions
    @OptionGroup public var output: OutputOptions

    @Flag(name: .long, help: "Only titles without a profile (no code, ambiguous NOC 2016 code, ...).")
    public var unresolved = false

    @Option(name: .long, help: ArgumentHelp("Only titles resolved by this method.", valueName: "method"))
    public var method: ResolutionMethod?

    public init() {}

    public func run() async throws {
        let methodName = method?.rawValue
        let db = try store.openStoreForReading()
        let records = try TitleCatalog(db).titles(unresolvedOnly: unresolved, method: methodName)
        if output.json {
            try Terminal.printJSON(records.map(TitleListing.init))
            return
        }
        if records.isEmpty {
            print(try TitleCatalog(db).count() == 0
                  ? "no job titles in \(store.path): run `jobforge titles import FILE` (or `jobforge build` for the sample)"
                  : "no title matches these filters")
            return
        }
        let idWidth = min(14, records.map(\.id.count).max() ?? 2)
        print("\(pad("id", idWidth))  \(pad("title", 44))  \(pad("unit", 5))  \(pad("profile", 8))  \(pad("method", 19))  conf.")
        for record in records {
            let score = record.method == .fuzzy ? record.fuzzyScore.map { String(format: " (%.1f)", $0) } ?? "" : ""
            print("\(pad(record.id, idWidth))  \(pad(record.title, 44))  \(pad(record.unitGroup ?? "-", 5))  "
                  + "\(pad(record.profileCode ?? "-", 8))  \(pad(record.method.rawValue, 19))  \(String(format: "%.2f", record.confidence))\(score)")
        }
        let resolved = records.filter { $0.profileCode != nil }.count
        print("\(records.count) title(s), \(resolved) resolved, \(records.count - resolved) unresolved")
    }

    private func pad(_ text: String, _ width: Int) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        if flat.count > width { return String(flat.prefix(width - 1)) + "…" }
        return flat.padding(toLength: width, withPad: " ", startingAt: 0)
    }
}

/// A title as `titles --json` prints it.
struct TitleListing: Encodable {
    var id: String
    var title: String
    var titleFR: String?
    var function: String?
    var family: String?
    var managerialLevel: String?
    var noc2021: String?
    var noc2016: String?
    var extra: [String: String]
    var source: String
    var unitGroup: String?
    var unitGroupSource: UnitGroupSource?
    var profileCode: String?
    var method: ResolutionMethod
    var confidence: Double
    var fuzzyScore: Double?
    var candidates: [ResolutionCandidate]
    var note: String

    init(_ record: JobTitleRecord) {
        let title = TitleImporter.jobTitle(record)
        let resolution = TitleImporter.resolution(record)
        id = record.id
        self.title = record.title
        titleFR = record.titleFR
        function = record.function
        family = record.family
        managerialLevel = record.managerialLevel
        noc2021 = record.noc2021
        noc2016 = record.noc2016
        extra = title.extra
        source = "\(record.sourceFile):\(record.sourceLine)"
        unitGroup = record.unitGroup
        unitGroupSource = record.unitGroupMethod
        profileCode = record.profileCode
        method = record.method
        confidence = record.confidence
        fuzzyScore = record.fuzzyScore
        candidates = resolution.candidates
        note = record.note
    }
}

/// `jobforge titles import FILE [--column FIELD=HEADER ...] [--mapping FILE] [--strict] [--json]`.
public struct TitlesImportCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a job architecture (CSV or .xlsx) and resolve every title to an OaSIS profile.",
        discussion: """
            Fields: \(ArchitectureField.allCases.map(\.rawValue).joined(separator: ", ")). Usual headers \
            (Job Title, NOC 2021, Job Family, ...) are recognized; name others with --column FIELD=HEADER \
            (or FIELD=#N for the N-th column) or a mapping file of FIELD=HEADER lines. Every other column \
            is kept as-is. Importing the same file again updates titles in place (keyed by the id column, \
            else by title and code). Run `jobforge build` first: titles resolve against the OaSIS profiles in the store, \
            and import adds to an existing store, it never creates one. \
            Text files may be UTF-8 (with or without a BOM), UTF-16 with a BOM or Windows-1252, delimited \
            by commas, semicolons or tabs: both are detected (--encoding, --delimiter to force them). \
            A workbook (.xlsx) is read from its first sheet (--sheet NAME for another). \
            Your first import removes the shipped sample's titles from the store; `build` never brings them back. \
            Large files stream in batches within one transaction: memory stays flat, and an error leaves nothing written.
            """
    )

    @OptionGroup public var store: StoreOptions
    @OptionGroup public var output: OutputOptions

    @Argument(help: ArgumentHelp("The job architecture: CSV (or tab-delimited text) or an Excel workbook (.xlsx).", valueName: "file"))
    public var file: String

    @Option(name: .long, help: ArgumentHelp("The text file's encoding: utf8, utf16 or windows-1252 (default: detected).",
                                            valueName: "encoding"))
    public var encoding: String?

    @Option(name: .long, help: ArgumentHelp("The field delimiter: comma, semicolon or tab (default: detected).", valueName: "delimiter"))
    public var delimiter: String?

    @Option(name: .long, help: ArgumentHelp("The workbook's sheet to read (default: the first).", valueName: "name"))
    public var sheet: String?

    @Option(name: .customLong("column"), help: ArgumentHelp("Which header holds a field, FIELD=HEADER (repeatable).",
                                                             valueName: "field=header"))
    public var columns: [String] = []

    @Option(name: .long, help: ArgumentHelp("A file of FIELD=HEADER lines (or a JSON object).", valueName: "file"))
    public var mapping: String?

    @Flag(name: .long, help: "Fail on any bad row, writing nothing (default: report bad rows and skip them).")
    public var strict = false

    @Flag(name: .long, help: "The file is the whole architecture: stored titles absent from it are removed (history kept).")
    public var replace = false

    @OptionGroup public var data: DataOptions

    public init() {}

    /// `--column` assignments are checked here; the mapping file is read when the command runs.
    public func validate() throws {
        do {
            _ = try ColumnMapping(assignments: columns)
        } catch let error as MappingError {
            throw ValidationError(error.message)
        }
        _ = try fileFormat()
    }

    /// `--encoding`, `--delimiter` and `--sheet` as the importer takes them.
    func fileFormat() throws -> ArchitectureFileFormat {
        var format = ArchitectureFileFormat(sheet: sheet)
        if let encoding {
            guard let named = TextEncoding(userInput: encoding) else {
                throw ValidationError("--encoding \(encoding): give utf8, utf16 or windows-1252")
            }
            format.encoding = named
        }
        if let delimiter {
            guard let named = Delimiter.userInput(delimiter) else {
                throw ValidationError("--delimiter \(delimiter): give comma, semicolon or tab")
            }
            format.delimiter = named
        }
        return format
    }

    public func run() async throws {
        var columnMapping = ColumnMapping()
        do {
            if let mapping { columnMapping = try ColumnMapping(contentsOf: URL(fileURLWithPath: mapping)) }
            columnMapping = columnMapping.merging(try ColumnMapping(assignments: columns))
        } catch let error as MappingError {
            throw ValidationError(error.message)
        }
        let format = try fileFormat()
        let db = try store.openExistingStore()
        let importer = try TitlesCLI.importer(store: db, storePath: store.path, data: data.path)
        let summary: TitleImportSummary
        // The imported titles inherit their profiles' cells at once (derived when read); titles with
        // values of their own get their winners brought in line with the new resolutions.
        let inherited: TitleCells.Report
        do {
            (summary, inherited) = try db.withRun(command: "titles import") { runID in
                try db.dbQueue.write { db in
                    try TitleCells.resolving(in: db, runID: runID) { db in
                        try importer.importFile(URL(fileURLWithPath: file), mapping: columnMapping, format: format,
                                                strict: strict,
                                                replacing: replace ? TitleImporter.ReplaceOptions(author: DecisionAuthor(name: DecisionOptions.user),
                                                                                    runID: runID) : nil,
                                                in: db)
                    }
                }
            }
        } catch let error as StrictImportError {
            throw ValidationError(error.description)
        } catch let error as ReplaceImportError {
            throw ValidationError(error.description)
        } catch let error as InputError {
            throw ValidationError(error.description)
        }
        if output.json {
            try Terminal.printJSON(summary)
            return
        }
        TitlesCLI.printSummary(summary)
        print("inherited: \(inherited.inheritedCells) rated cells (and their O*NET values) from the profiles of \(inherited.resolved) resolved titles; \(inherited.overridden) cells changed winner")
    }
}

/// `jobforge resolve "TITLE" --noc CODE`: how one title resolves, candidates and choice.
public struct ResolveCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "Show how a job title resolves to an OaSIS profile: the candidates with their scores, and the choice."
    )

    @OptionGroup public var store: StoreOptions
    @OptionGroup public var output: OutputOptions

    @Argument(help: "The job title.")
    public var title: String

    @Option(name: .long, help: ArgumentHelp("The NOC 2021 unit group.", valueName: "code"))
    public var noc: String?

    @Option(name: .customLong("noc-2016"), help: ArgumentHelp("A NOC 2016 code, mapped through the concordance.",
                                                              valueName: "code"))
    public var noc2016: String?

    @OptionGroup public var data: DataOptions

    public init() {}

    public func validate() throws {
        guard noc != nil || noc2016 != nil else {
            throw ValidationError("give the title's unit group with --noc CODE (or --noc-2016 CODE)")
        }
    }

    public func run() async throws {
        let dataFolder = try data.folder()
        let concordance = try NOCConcordance.shipped(dataDirectory: dataFolder)
        // The store's profiles when it has them; the shipped OaSIS files otherwise, so that
        // resolve works before the first build.
        var reference: ProfileReference?
        if FileManager.default.fileExists(atPath: store.path) {
            let rows = try TitleCatalog(store.openStoreForReading()).referenceRows()
            if !rows.profiles.isEmpty { reference = ProfileReference(rows: rows) }
        }
        let resolver = TitleResolver(reference: try reference ?? ProfileReference.oasisFiles(dataDirectory: dataFolder),
                                     concordance: concordance)
        let resolution = resolver.resolve(title: title, noc2021: noc, noc2016: noc2016, explain: true)
        if output.json {
            try Terminal.printJSON(ResolveOutput(title: title, resolution: resolution,
                                                 tied: TitleReview.tied(resolution.candidates)))
            return
        }
        let group = resolution.unitGroup.map { code in
            "unit group \(code)" + (resolution.unitGroupSource == .noc2016Concordance ? " (from NOC 2016 via the concordance)" : "")
        } ?? "no unit group"
        print("\"\(title)\": \(group)")
        if !resolution.candidates.isEmpty {
            print("candidates:")
            for candidate in resolution.candidates {
                let score = candidate.score.map { String(format: "%5.1f", $0) } ?? "    -"
                print("  \(candidate.code.padding(toLength: 9, withPad: " ", startingAt: 0)) \(score)  \(candidate.matched)  [\(candidate.kind)]")
            }
        }
        if let profile = resolution.profileCode {
            print("choice: \(profile) \(resolution.profileLabel ?? "") - \(resolution.method.rawValue), confidence \(String(format: "%.2f", resolution.confidence))")
        } else {
            print("choice: none - \(resolution.method.rawValue)")
        }
        print("why: \(resolution.note)")
        let tied = TitleReview.tied(resolution.candidates)
        if !tied.isEmpty {
            print("tie: \(tied.count) profiles within \(Int(TitleReview.tieMargin)) point of the best score "
                  + "(\(tied.map(\.code).joined(separator: ", "))): the choice is arbitrary; a pin settles it, "
                  + "`jobforge titles pin ID \(tied[0].code) --reason \"...\"`")
        }
    }
}

struct ResolveOutput: Encodable {
    var title: String
    var resolution: TitleResolution
    /// The candidates tied for the choice (within `TitleReview.tieMargin` of the best score); empty without a tie.
    var tied: [ResolutionCandidate]
}

/// Shared by the titles commands (and usable by `build`).
public enum TitlesCLI {
    /// An importer over the store's profiles; an error that says to build first when there are none.
    public static func importer(store: SQLiteStore, storePath: String, data: String?) throws -> TitleImporter {
        let dataFolder = try DataOptions.folder(explicit: data)
        let resolver = try TitleImporter.resolver(store: store, dataDirectory: dataFolder)
        guard resolver.hasProfiles else {
            throw ValidationError("no OaSIS profiles in the store at \(storePath): run `jobforge build` first, then import")
        }
        return TitleImporter(resolver: resolver, suggestions: try AppliedSuggestions.latest(in: store))
    }

    public static func printSummary(_ summary: TitleImportSummary) {
        print("imported \(summary.file): \(summary.rowsRead) rows read, \(summary.imported) imported "
              + "(\(summary.inserted) new, \(summary.updated) updated, \(summary.unchanged) unchanged), \(summary.skipped) skipped")
        if !summary.format.isEmpty { print("  read as: \(summary.format)") }
        if summary.sampleTitlesRemoved > 0 {
            print("  removed the \(summary.sampleTitlesRemoved) titles of the shipped sample: the store holds your architecture now")
        }
        if !summary.warnings.isEmpty {
            print("  \(summary.warnings.count) warning(s):")
            for warning in summary.warnings.prefix(50) { print("    \(warning)") }
            if summary.warnings.count > 50 { print("    ... and \(summary.warnings.count - 50) more (see --json)") }
        }
        if summary.skipped > 0 {
            let reasons = summary.skippedByReason.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            print("  skipped by reason: \(reasons)")
            for row in summary.badRows.prefix(50) { print("    \(row)") }
            if summary.badRows.count > 50 { print("    ... and \(summary.badRows.count - 50) more (see --json)") }
        }
        print("  with a NOC code: \(summary.withCode), without: \(summary.withoutCode)"
              + (summary.unitGroupFromNOC2016 > 0 ? " (\(summary.unitGroupFromNOC2016) unit groups from NOC 2016 via the concordance)" : ""))
        let order = ResolutionMethod.allCases.map(\.rawValue)
        let methods = summary.resolvedByMethod.sorted { (order.firstIndex(of: $0.key) ?? 99) < (order.firstIndex(of: $1.key) ?? 99) }
        print("  resolved by method: " + methods.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
              + (summary.pinned > 0 ? " (\(summary.pinned) by a pin)" : ""))
        if !summary.keptRemoved.isEmpty {
            print("  kept removed (`jobforge titles restore ID` brings one back): \(summary.keptRemoved.joined(separator: ", "))")
        }
        if !summary.removed.isEmpty {
            print("  removed, absent from the file (--replace): \(summary.removed.joined(separator: ", "))")
        }
    }
}
