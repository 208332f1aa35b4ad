import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import JobForgeBuild
import JobForgeCore
import JobForgeStore
import JobForgeTitles

/// `jobforge export`: tables for Power BI, SQL and spreadsheets.
public struct ExportCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a long table with full provenance and one wide table per category (CSV or JSON).",
        discussion: """
            Files: cells.csv (one row per cell, its winning value and full provenance), \
            <category>.csv (one row per subject; per descriptor a column with its value, a <column>__text \
            column where the value has a text, such as an interest's letter beside its rank, then \
            <column>__source and <column>__confidence), titles.csv (every job title with its resolution and \
            profile_label, the unresolved ones included, then the user's own columns), overrides.csv (the \
            override log), columns.csv (every column of every file: its type, text, number or boolean, and \
            for a wide table's column the descriptor_code and dimension that join it to cells.csv), and, \
            for CSV, powerquery.pq (a Power Query M script that loads the tables with the codes as text, \
            so that 00010 and 21211.00 stay as written: paste it into a Blank Query's Advanced Editor in \
            Power BI or Excel instead of opening the CSV files directly). --subjects limits the subjects \
            (titles.csv is written with titles). JSON values are typed: numbers, true/false, null for \
            nothing; codes stay strings. On a terminal, stderr shows the progress.

            CSV is RFC 4180, UTF-8 \
            with a byte-order mark so that Excel reads it right. So that a spreadsheet never runs a value \
            as a formula (CSV injection, as OWASP describes it), a CSV cell that begins with =, +, -, @, \
            a tab, a carriage return or a NUL and is not a plain number (-0.5 stays a number) is written \
            with a single quote in front ('=HYPERLINK(...)); JSON is written as is. Each file is written \
            beside its target and moved over it when complete: a failed export leaves no partial file.
            """
    )

    public enum Format: String, ExpressibleByArgument, CaseIterable, Sendable { case csv, json }

    /// The subjects an export covers, as `--subjects` names them.
    public enum SubjectSet: String, ExpressibleByArgument, CaseIterable, Sendable {
        case titles, profiles
        case unitGroups = "unit-groups"

        var kind: Subject.Kind {
            switch self {
            case .titles: .title
            case .profiles: .profile
            case .unitGroups: .unitGroup
            }
        }
    }

    @Option(name: .long, help: "csv or json.")
    public var format: Format = .csv

    @Option(name: .long, help: ArgumentHelp("The folder to write into (created if needed).", valueName: "dir"))
    public var out: String

    @Option(name: .long, parsing: .upToNextOption,
            help: ArgumentHelp("Only these subjects (several, or comma-separated; default: all three).", valueName: "subjects"))
    public var subjects: [CommaSeparated<SubjectSet>] = []

    @Flag(name: .long, help: "In the long table, every candidate (winning or not) instead of the winners only.")
    public var allCandidates = false

    @OptionGroup public var filters: FilterOptions
    @OptionGroup public var store: StoreOptions

    public init() {}

    /// The subject kinds to export, in the store's order (unit groups, profiles, titles), each once.
    public var subjectKinds: [Subject.Kind] {
        let chosen = Set(subjects.flatMap(\.values).map(\.kind))
        return Subject.Kind.allCases.filter { chosen.isEmpty || chosen.contains($0) }
    }

    public func run() async throws {
        let db = try store.openStoreForReading()
        let folder = URL(fileURLWithPath: out)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw CommandFailure("cannot create the export folder \(out): \(CommandFailure.fileErrorReason(error as NSError))")
        }
        let exporter = Exporter(store: db, filter: try filters.filter(), format: format, folder: folder,
                                allCandidates: allCandidates, subjectKinds: subjectKinds)
        let written = try exporter.run()
        for file in written { print("wrote \(file.path) (\(file.rows) \(file.unit))") }
    }
}

/// Writes the export files. Kept apart from the command so benchmarks and tests can call it.
public struct Exporter {
    public struct Written: Sendable {
        public var path: String
        public var rows: Int
        var columns: [ExportColumn] = []
        /// What `rows` counts: the tables' rows, or the tables a script loads.
        var unit = "rows"
    }

    let store: SQLiteStore
    let filter: CellFilter
    let format: ExportCommand.Format
    let folder: URL
    let allCandidates: Bool
    let subjectKinds: [Subject.Kind]
    let progress: ProgressLine

    public init(store: SQLiteStore, filter: CellFilter, format: ExportCommand.Format, folder: URL, allCandidates: Bool = false,
                subjectKinds: [Subject.Kind] = Subject.Kind.allCases, showsProgress: Bool = Terminal.stderrIsTerminal) {
        self.store = store
        self.filter = filter
        self.format = format
        self.folder = folder
        self.allCandidates = allCandidates
        self.subjectKinds = subjectKinds
        progress = ProgressLine("export", enabled: showsProgress)
    }

    static let longColumns: [ExportColumn] = [
        .text("subject_kind"), .text("subject_code"), .text("subject_label"), .text("descriptor_code"), .text("descriptor_name"),
        .text("category"), .text("dimension"), .number("value"), .text("text_value"), .text("scale"), .text("source"),
        .number("precedence"), .text("method"), .text("source_level"), .number("confidence"), .text("source_ids"),
        .text("release"), .text("run_id"), .text("observed_at"), .boolean("is_winner"), .text("rationale"), .text("metadata"),
    ]

    static let titleColumns: [ExportColumn] = [
        .text("id"), .text("title"), .text("title_fr"), .text("function"), .text("family"), .text("managerial_level"),
        .text("noc_2021"), .text("noc_2016"), .text("unit_group"), .text("unit_group_source"), .text("profile_code"),
        .text("profile_label"), .text("method"), .number("confidence"), .number("fuzzy_score"), .text("note"),
        .text("source_file"), .number("source_line"),
    ]

    static let overrideColumns: [ExportColumn] = [
        .number("id"), .text("subject_kind"), .text("subject_code"), .text("descriptor_code"), .text("dimension"),
        .number("old_candidate_id"), .number("new_candidate_id"), .number("old_value"), .number("new_value"),
        .text("old_source"), .text("new_source"), .text("reason"), .text("at"), .text("run_id"),
    ]

    /// What a wide table keeps of a winning cell: the columns it fills.
    struct WideValue {
        // The raw values, formatted when the row is written: a wide table holds every winning cell
        // until the long table ends, and a Double is smaller than its text.
        var value: Double
        var text: String?
        var source: Source
        var confidence: Double
    }

    /// A wide table's descriptor column: what joins it to the long table and where it sorts.
    struct WideColumn {
        var name: String
        var descriptorCode: String
        var dimension: String
        var scalePosition: Int?
        var hasText = false
    }

    /// One category's wide table, filled while the long table streams by.
    struct WideTable {
        var columns: [WideColumn] = []
        var columnIndex: [String: Int] = [:]
        var subjects: [Subject] = []
        var rows: [Subject: [String: WideValue]] = [:]
    }

    static func add(_ value: WideValue, of cell: CellValue, column: String, to table: inout WideTable) {
        let index: Int
        if let known = table.columnIndex[column] {
            index = known
        } else {
            index = table.columns.count
            table.columnIndex[column] = index
            table.columns.append(WideColumn(name: column, descriptorCode: cell.descriptorCode, dimension: cell.dimension.rawValue,
                                            scalePosition: cell.scalePosition))
        }
        if value.text != nil { table.columns[index].hasText = true }
        if table.rows[cell.subject] == nil { table.subjects.append(cell.subject) }
        table.rows[cell.subject, default: [:]][column] = value
    }

    public func run() throws -> [Written] {
        let labels = try SubjectDirectory(store).labels()
        var written: [Written] = []
        defer { progress.finish() }

        // The long table streams straight from the store to the file; the wide tables keep only
        // what they show of each cell.
        var wide: [String: WideTable] = [:]
        let long = try TableWriter(url: file("cells"), format: format, columns: Self.longColumns)
        func addWide(_ cell: CellValue) {
            let value = WideValue(value: cell.value, text: cell.text.flatMap { $0.isEmpty ? nil : $0 }, source: cell.source,
                                  confidence: cell.confidence)
            // Mutated in place: copying a table out of the dictionary and back would copy it every time.
            Self.add(value, of: cell, column: Self.columnName(cell), to: &wide[cell.category.rawValue, default: WideTable()])
        }
        func wrote(_ cell: CellValue) {
            if long.rows % 4096 == 0 { progress.update(long.rows, detail: "cells.\(format.rawValue), \(cell.subject)") }
        }
        if allCandidates {
            try store.forEachCandidate(filter: filter, subjectKinds: subjectKinds) { cell, isWinner in
                try long.write(Self.longRow(cell, labels, isWinner))
                if isWinner { addWide(cell) }
                wrote(cell)
            }
        } else {
            try store.forEachWinner(filter: filter, subjectKinds: subjectKinds) { cell in
                try long.write(Self.longRow(cell, labels, true))
                addWide(cell)
                wrote(cell)
            }
        }
        written.append(try long.finish())

        // One wide table per category, columns in guide order.
        let guideOrder = Dictionary(try store.descriptors(category: nil).enumerated().map { ($1.descriptor.code, $0) }) { first, _ in first }
        let categoryOrder = Category.allCases.map(\.rawValue) + wide.keys.filter { Category(rawValue: $0) == nil }.sorted()
        for category in categoryOrder {
            guard var table = wide[category] else { continue }
            table.columns.sort {
                (guideOrder[$0.descriptorCode] ?? Int.max, $0.descriptorCode, $0.scalePosition ?? 9, $0.dimension)
                    < (guideOrder[$1.descriptorCode] ?? Int.max, $1.descriptorCode, $1.scalePosition ?? 9, $1.dimension)
            }
            let slug = Category(rawValue: category)?.slug ?? category.lowercased().filter { $0.isLetter || $0.isNumber || $0 == " " }
                .replacingOccurrences(of: " ", with: "_")
            progress.update(long.rows, detail: "\(slug).\(format.rawValue)")
            let writer = try TableWriter(url: file(slug), format: format, columns: Self.wideHeader(table.columns))
            for subject in table.subjects {
                var row: [ExportField] = [.text(subject.kind.rawValue), .text(subject.code), .text(labels[subject])]
                let values = table.rows[subject]!
                for column in table.columns {
                    guard let cell = values[column.name] else {
                        row += Array(repeating: .empty, count: column.hasText ? 4 : 3)
                        continue
                    }
                    row.append(.number(cell.value, Formatting.number))
                    if column.hasText { row.append(.text(cell.text)) }
                    row += [.text(cell.source.rawValue), .number(cell.confidence, Formatting.fixed3)]
                }
                try writer.write(row)
            }
            written.append(try writer.finish())
        }

        // Every job title and its resolution: unresolved titles have no cells but belong in the export.
        if subjectKinds.contains(.title) {
            progress.update(long.rows, detail: "titles.\(format.rawValue)")
            written.append(try writeTitles(labels))
        }

        // The override log, of the exported subjects.
        let events = try store.allOverrides().filter { subjectKinds.contains($0.key.subject.kind) }
        let overrides = try TableWriter(url: file("overrides"), format: format, columns: Self.overrideColumns)
        for e in events {
            try overrides.write([
                .integer(e.id), .text(e.key.subject.kind.rawValue), .text(e.key.subject.code), .text(e.key.descriptor),
                .text(e.key.dimension.rawValue), .integer(e.oldCandidateID), .integer(e.newCandidateID),
                e.oldValue.map { .number($0, Formatting.number) } ?? .empty, e.newValue.map { .number($0, Formatting.number) } ?? .empty,
                .text(e.oldSource?.rawValue), .text(e.newSource?.rawValue), .text(e.reason), .text(Timestamp.string(e.at)), .text(e.runID),
            ])
        }
        written.append(try overrides.finish())

        // What the tables hold, for the tools that load them.
        let tables = written
        written.append(try ExportSchema.writeColumns(of: tables, to: file("columns"), format: format))
        if format == .csv {
            let url = folder.appendingPathComponent("powerquery.pq")
            try Self.writeText(ExportSchema.powerQuery(of: tables, folder: folder.standardizedFileURL), to: url)
            written.append(Written(path: url.path, rows: tables.count, unit: "tables"))
        }
        return written
    }

    /// Each title with its resolution, its profile's label, then the columns of the user's file
    /// that the import did not map (`Notes`, `Headcount`), as text, under their own header.
    func writeTitles(_ labels: [Subject: String]) throws -> Written {
        let titles = try TitleCatalog(store).titles()
        let extras = titles.map { JSONText.decodeObject($0.extraJSON) }
        let fixedNames = Set(Self.titleColumns.map(\.name))
        let extraKeys = Set(extras.flatMap(\.keys)).sorted()
        // A user's column named like one of ours (`title`, `note`) keeps its data under `extra_<name>`.
        let extraColumns = extraKeys.map { ExportColumn.text(fixedNames.contains($0) ? "extra_" + $0 : $0) }
        let writer = try TableWriter(url: file("titles"), format: format, columns: Self.titleColumns + extraColumns)
        for (t, extra) in zip(titles, extras) {
            var row: [ExportField] = [
                .text(t.id), .text(t.title), .text(t.titleFR), .text(t.function), .text(t.family), .text(t.managerialLevel),
                .text(t.noc2021), .text(t.noc2016), .text(t.unitGroup), .text(t.unitGroupMethod?.rawValue), .text(t.profileCode),
                .text(t.profileCode.flatMap { labels[.profile($0)] }), .text(t.method.rawValue),
                .number(t.confidence, Formatting.fixed3), t.fuzzyScore.map { .number($0, Formatting.number) } ?? .empty,
                .text(t.note), .text(t.sourceFile), .integer(t.sourceLine),
            ]
            // An empty cell of the user's is nothing: null in JSON, as the other columns.
            row += extraKeys.map { key in .text(extra[key].flatMap { $0.isEmpty ? nil : $0 }) }
            try writer.write(row)
        }
        return try writer.finish()
    }

    func file(_ name: String) -> URL { folder.appendingPathComponent(name + "." + format.rawValue) }

    /// A wide table's header: per descriptor column its value, its text where any cell has one,
    /// its source and its confidence.
    static func wideHeader(_ columns: [WideColumn]) -> [ExportColumn] {
        var header: [ExportColumn] = [.text("subject_kind"), .text("subject_code"), .text("subject_label")]
        for column in columns {
            func part(_ suffix: String, _ type: ExportColumn.ValueType, _ kind: ExportColumn.Kind) -> ExportColumn {
                ExportColumn(name: column.name + suffix, type: type, kind: kind, descriptorCode: column.descriptorCode,
                             dimension: column.dimension)
            }
            header.append(part("", .number, .value))
            if column.hasText { header.append(part("__text", .text, .text)) }
            header += [part("__source", .text, .source), part("__confidence", .number, .confidence)]
        }
        return header
    }

    /// Written beside the target and renamed over it, as the tables are.
    static func writeText(_ text: String, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial")
        do {
            try Data(text.utf8).write(to: temporary)
        } catch {
            unlink(temporary.path)
            throw CommandFailure("cannot write \(url.path): \(CommandFailure.fileErrorReason(error as NSError))")
        }
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw CommandFailure("cannot write \(url.path): \(reason)")
        }
    }

    /// `Time Pressure` for the main dimension, `Time Pressure (importance)` for another one.
    static func columnName(_ cell: CellValue) -> String {
        Formatting.isPrimary(cell) ? cell.descriptorName : "\(cell.descriptorName) (\(cell.dimension))"
    }

    static func longRow(_ cell: CellValue, _ labels: [Subject: String], _ isWinner: Bool) -> [ExportField] {
        [.text(cell.subject.kind.rawValue), .text(cell.subject.code), .text(labels[cell.subject]), .text(cell.descriptorCode),
         .text(cell.descriptorName), .text(cell.category.rawValue), .text(cell.dimension.rawValue),
         .number(cell.value, Formatting.number), .text(cell.text), .text(cell.scale), .text(cell.source.rawValue),
         .integer(cell.precedence), .text(cell.method.rawValue), .text(cell.sourceLevel.rawValue),
         .number(cell.confidence, Formatting.fixed3), cell.sourceIDs.isEmpty ? .empty : .text(cell.sourceIDs.joined(separator: ";")),
         .text(cell.release), .text(cell.runID), .text(Timestamp.string(cell.observedAt)), .boolean(isWinner), .text(cell.rationale),
         cell.metadata.isEmpty ? .empty : .text(JSONText.object(cell.metadata))]
    }
}
