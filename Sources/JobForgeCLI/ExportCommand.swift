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

    public func run() throws -> [Written] {
        let labels = try SubjectDirectory(store).labels()
        var written: [Written] = []
        defer { progress.finish() }

        // One pass over the cells, in subject order: the long table streams straight to its file,
        // and each category's wide table takes the winners, a subject's row complete when the
        // next subject starts. The rows are read on the other core while this one encodes them.
        let long = try TableWriter(url: file("cells"), format: format, columns: Self.longColumns)
        var longRows = LongRows(writer: long, labels: labels)
        var pivots: [WidePivot?] = Array(repeating: nil, count: Category.allCases.count)
        try store.forEachLongRowBatch(filter: filter, subjectKinds: subjectKinds, allCandidates: allCandidates) { batch in
            longRows.add(batch)
            for row in batch.rows {
                try longRows.write(row)
                guard row.isWinner else { continue }
                let cell = longRows.cells[Int(row.cell)]
                let category = Category.allCases.firstIndex(of: cell.category)!
                if pivots[category] == nil { pivots[category] = try WidePivot(category: cell.category, spoolIn: folder) }
                try pivots[category]!.add(row, cell: cell, source: longRows.provenances[Int(row.provenance)].source)
            }
            if let last = batch.rows.last { progress.update(long.rows, detail: "cells.\(format.rawValue), \(last.subject)") }
        }
        written.append(try long.finish())
        // What the pass derived and kept is freed on the reading thread: handed back to the system
        // now, the tables that follow reuse the memory instead of adding to the peak.
        Self.returnFreedMemory()

        // One wide table per category, columns in guide order.
        let guideOrder = Dictionary(try store.descriptors(category: nil).enumerated().map { ($1.descriptor.code, $0) }) { first, _ in first }
        for case let pivot? in pivots {
            let category = pivot.category
            progress.update(long.rows, detail: "\(category.slug).\(format.rawValue)")
            let columns = pivot.sortedColumns(guideOrder: guideOrder)
            let writer = try TableWriter(url: file(category.slug), format: format, columns: Self.wideHeader(columns))
            try pivot.write(to: writer, order: columns, labels: labels)
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
        let fixedNames = Set(Self.titleColumns.map(\.name))
        var writer: TableWriter?
        var extraKeys: [String] = []
        try TitleCatalog(store).forEachTitle { names in
            extraKeys = names.sorted()
            // A user's column named like one of ours (`title`, `note`) keeps its data under `extra_<name>`.
            let extraColumns = extraKeys.map { ExportColumn.text(fixedNames.contains($0) ? "extra_" + $0 : $0) }
            writer = try TableWriter(url: file("titles"), format: format, columns: Self.titleColumns + extraColumns)
        } body: { t in
            let extra = JSONText.decodeObject(t.extraJSON)
            var row: [ExportField] = [
                .text(t.id), .text(t.title), .text(t.titleFR), .text(t.function), .text(t.family), .text(t.managerialLevel),
                .text(t.noc2021), .text(t.noc2016), .text(t.unitGroup), .text(t.unitGroupMethod?.rawValue), .text(t.profileCode),
                .text(t.profileCode.flatMap { labels[.profile($0)] }), .text(t.method.rawValue),
                .number(t.confidence, Formatting.fixed3), t.fuzzyScore.map { .number($0, Formatting.number) } ?? .empty,
                .text(t.note), .text(t.sourceFile), .integer(t.sourceLine),
            ]
            // An empty cell of the user's is nothing: null in JSON, as the other columns.
            row += extraKeys.map { key in .text(extra[key].flatMap { $0.isEmpty ? nil : $0 }) }
            try writer!.write(row)
        }
        return try writer!.finish()
    }

    /// glibc's `malloc_trim(0)`, looked up at run time (Swift's Glibc module leaves `malloc.h` out);
    /// nothing elsewhere.
    static func returnFreedMemory() {
        #if canImport(Glibc)
        typealias Trim = @convention(c) (Int) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") {
            _ = unsafeBitCast(symbol, to: Trim.self)(0)
        }
        #endif
    }

    func file(_ name: String) -> URL { folder.appendingPathComponent(name + "." + format.rawValue) }

    /// A wide table's header: per descriptor column its value, its text where any cell has one,
    /// its source and its confidence.
    static func wideHeader(_ columns: [WidePivot.Column]) -> [ExportColumn] {
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
    static func columnName(_ cell: LongRowCell) -> String {
        cell.scalePosition == 1 ? cell.descriptorName : "\(cell.descriptorName) (\(cell.dimension))"
    }
}


/// Writes the long table's rows. Most of a row's fields are its subject's, its cell's or its
/// load's, which a few thousand of each share among half a million rows: each is encoded once,
/// when the batch that first uses it arrives, and copied into its rows.
struct LongRows {
    let writer: TableWriter
    let labels: [Subject: String]
    private(set) var cells: [LongRowCell] = []
    private(set) var provenances: [LongRowProvenance] = []
    /// Per cell: descriptor_code to dimension (fields 3-6), and scale (field 9).
    private var cellFields: [(names: [UInt8], scale: [UInt8])] = []
    /// Per provenance: source to source_level (fields 10-13), and source_ids to observed_at (fields 15-18).
    private var provenanceFields: [(how: [UInt8], whence: [UInt8])] = []
    private var subject: Subject?
    /// subject_kind, subject_code, subject_label (fields 0-2).
    private var subjectFields: [UInt8] = []
    /// The last rationale and metadata written, and their fields (20 and 21) once written twice
    /// in a row: a title's inherited values share them, and each is long (a note, a JSON object)
    /// and needs quoting. A text that does not repeat (an O*NET value's metadata) is written as is.
    private var rationale: (text: String?, field: [UInt8]?)
    private var metadata: (text: String?, field: [UInt8]?)

    init(writer: TableWriter, labels: [Subject: String]) {
        self.writer = writer
        self.labels = labels
        rationale = (nil, nil)
        metadata = (nil, nil)
    }

    mutating func add(_ batch: LongRowBatch) {
        for cell in batch.newCells {
            cells.append(cell)
            cellFields.append((writer.segment(at: 3) { row in
                row.text(cell.descriptorCode)
                row.text(cell.descriptorName)
                row.text(cell.category.rawValue)
                row.text(cell.dimension.rawValue)
            }, writer.segment(at: 9) { $0.text(cell.scale) }))
        }
        for provenance in batch.newProvenances {
            provenances.append(provenance)
            provenanceFields.append((writer.segment(at: 10) { row in
                row.text(provenance.source.rawValue)
                row.integer(provenance.precedence)
                row.text(provenance.method.rawValue)
                row.text(provenance.sourceLevel.rawValue)
            }, writer.segment(at: 15) { row in
                row.text(provenance.sourceIDs.isEmpty ? nil : provenance.sourceIDs.joined(separator: ";"))
                row.text(provenance.release)
                row.text(provenance.runID)
                row.text(Timestamp.string(provenance.observedAt))
            }))
        }
    }

    mutating func write(_ row: LongRow) throws {
        if row.subject != subject {
            let subject = row.subject
            self.subject = subject
            subjectFields = writer.segment(at: 0) { fields in
                fields.text(subject.kind.rawValue)
                fields.text(subject.code)
                fields.text(labels[subject])
            }
        }
        if row.rationale != rationale.text {
            rationale = (row.rationale, nil)
        } else if rationale.field == nil {
            rationale.field = writer.segment(at: 20) { $0.text(row.rationale) }
        }
        if row.metadata != metadata.text {
            metadata = (row.metadata, nil)
        } else if metadata.field == nil {
            metadata.field = writer.segment(at: 21) { $0.text(row.metadata) }
        }
        let cell = cellFields[Int(row.cell)], provenance = provenanceFields[Int(row.provenance)], subjectFields = subjectFields
        let (rationale, metadata) = (rationale.field, metadata.field)
        try writer.writeRow { fields in
            fields.append(segment: subjectFields, fields: 3)
            fields.append(segment: cell.names, fields: 4)
            fields.number(row.value)
            fields.text(row.text)
            fields.append(segment: cell.scale, fields: 1)
            fields.append(segment: provenance.how, fields: 4)
            fields.fixed3(row.confidence)
            fields.append(segment: provenance.whence, fields: 4)
            fields.boolean(row.isWinner)
            if let rationale { fields.append(segment: rationale, fields: 1) } else { fields.text(row.rationale) }
            if let metadata { fields.append(segment: metadata, fields: 1) } else { fields.text(row.metadata) }
        }
    }
}
