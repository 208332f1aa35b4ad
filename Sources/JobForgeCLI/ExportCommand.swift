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
            <category>.csv (one row per subject, a column per descriptor plus <descriptor>__source \
            and <descriptor>__confidence), titles.csv (every job title with its resolution, the \
            unresolved ones included), overrides.csv (the override log). CSV is RFC 4180, UTF-8 \
            with a byte-order mark so that Excel reads it right. So that a spreadsheet never runs a value \
            as a formula (CSV injection, as OWASP describes it), a CSV cell that begins with =, +, -, @, \
            a tab, a carriage return or a NUL and is not a plain number (-0.5 stays a number) is written \
            with a single quote in front ('=HYPERLINK(...)); JSON is written as is. Each file is written \
            beside its target and moved over it when complete: a failed export leaves no partial file.
            """
    )

    public enum Format: String, ExpressibleByArgument, CaseIterable, Sendable { case csv, json }

    @Option(name: .long, help: "csv or json.")
    public var format: Format = .csv

    @Option(name: .long, help: ArgumentHelp("The folder to write into (created if needed).", valueName: "dir"))
    public var out: String

    @Flag(name: .long, help: "In the long table, every candidate (winning or not) instead of the winners only.")
    public var allCandidates = false

    @OptionGroup public var filters: FilterOptions
    @OptionGroup public var store: StoreOptions

    public init() {}

    public func run() async throws {
        let db = try store.openStoreForReading()
        let folder = URL(fileURLWithPath: out)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw CommandFailure("cannot create the export folder \(out): \(CommandFailure.fileErrorReason(error as NSError))")
        }
        let exporter = Exporter(store: db, filter: try filters.filter(), format: format, folder: folder,
                                allCandidates: allCandidates)
        let written = try exporter.run()
        for file in written { print("wrote \(file.path) (\(file.rows) rows)") }
    }
}

/// Writes the export files. Kept apart from the command so benchmarks and tests can call it.
public struct Exporter {
    public struct Written: Sendable { public var path: String; public var rows: Int }

    let store: SQLiteStore
    let filter: CellFilter
    let format: ExportCommand.Format
    let folder: URL
    let allCandidates: Bool

    public init(store: SQLiteStore, filter: CellFilter, format: ExportCommand.Format, folder: URL, allCandidates: Bool = false) {
        self.store = store
        self.filter = filter
        self.format = format
        self.folder = folder
        self.allCandidates = allCandidates
    }

    static let longColumns = [
        "subject_kind", "subject_code", "subject_label", "descriptor_code", "descriptor_name", "category", "dimension",
        "value", "text_value", "scale", "source", "precedence", "method", "source_level", "confidence", "source_ids",
        "release", "run_id", "observed_at", "is_winner", "rationale", "metadata",
    ]

    /// What a wide table keeps of a winning cell: the three columns it fills.
    struct WideValue {
        var value: String
        var source: String
        var confidence: String
    }

    /// One category's wide table, filled while the long table streams by.
    struct WideTable {
        var columns: [String] = []
        var columnSeen = Set<String>()
        var subjects: [Subject] = []
        var rows: [Subject: [String: WideValue]] = [:]
    }

    static func add(_ value: WideValue, column: String, subject: Subject, to table: inout WideTable) {
        if table.columnSeen.insert(column).inserted { table.columns.append(column) }
        if table.rows[subject] == nil { table.subjects.append(subject) }
        table.rows[subject, default: [:]][column] = value
    }

    public func run() throws -> [Written] {
        let labels = try SubjectDirectory(store).labels()
        var written: [Written] = []

        // The long table streams straight from the store to the file; the wide tables keep only
        // their three strings per cell.
        var wide: [String: WideTable] = [:]
        let long = try TableWriter(url: folder.appendingPathComponent("cells." + format.rawValue), format: format,
                                   columns: Self.longColumns)
        func addWide(_ cell: CellValue) {
            let column = Self.columnName(cell)
            let value = WideValue(value: cell.text ?? Formatting.number(cell.value), source: cell.source.rawValue,
                                  confidence: Formatting.fixed3(cell.confidence))
            // Mutated in place: copying a table out of the dictionary and back would copy it every time.
            Self.add(value, column: column, subject: cell.subject, to: &wide[cell.category.rawValue, default: WideTable()])
        }
        if allCandidates {
            try store.forEachCandidate(filter: filter) { cell, isWinner in
                try long.write(Self.longRow(cell, labels, isWinner))
                if isWinner { addWide(cell) }
            }
        } else {
            try store.forEachWinner(filter: filter) { cell in
                try long.write(Self.longRow(cell, labels, true))
                addWide(cell)
            }
        }
        written.append(try long.finish())

        // One wide table per category, columns in guide order.
        let categoryOrder = Category.allCases.map(\.rawValue) + wide.keys.filter { Category(rawValue: $0) == nil }.sorted()
        for category in categoryOrder {
            guard let table = wide[category] else { continue }
            var header = ["subject_kind", "subject_code", "subject_label"]
            for column in table.columns { header += [column, column + "__source", column + "__confidence"] }
            let slug = Category(rawValue: category)?.slug ?? category.lowercased().filter { $0.isLetter || $0.isNumber || $0 == " " }
                .replacingOccurrences(of: " ", with: "_")
            let writer = try TableWriter(url: folder.appendingPathComponent(slug + "." + format.rawValue), format: format,
                                         columns: header)
            for subject in table.subjects {
                var row = [subject.kind.rawValue, subject.code, labels[subject] ?? ""]
                let values = table.rows[subject]!
                for column in table.columns {
                    if let cell = values[column] {
                        row += [cell.value, cell.source, cell.confidence]
                    } else {
                        row += ["", "", ""]
                    }
                }
                try writer.write(row)
            }
            written.append(try writer.finish())
        }

        // Every job title and its resolution: unresolved titles have no cells but belong in the export.
        let titleColumns = ["id", "title", "title_fr", "function", "family", "managerial_level", "noc_2021", "noc_2016",
                            "unit_group", "unit_group_source", "profile_code", "method", "confidence", "fuzzy_score", "note",
                            "source_file", "source_line"]
        let titles = try TableWriter(url: folder.appendingPathComponent("titles." + format.rawValue), format: format,
                                     columns: titleColumns)
        for t in try TitleCatalog(store).titles() {
            try titles.write([
                t.id, t.title, t.titleFR ?? "", t.function ?? "", t.family ?? "", t.managerialLevel ?? "", t.noc2021 ?? "",
                t.noc2016 ?? "", t.unitGroup ?? "", t.unitGroupMethod?.rawValue ?? "", t.profileCode ?? "", t.method.rawValue,
                Formatting.fixed3(t.confidence), t.fuzzyScore.map(Formatting.number) ?? "", t.note, t.sourceFile,
                String(t.sourceLine),
            ])
        }
        written.append(try titles.finish())

        // The override log.
        let events = try store.allOverrides()
        let eventColumns = ["id", "subject_kind", "subject_code", "descriptor_code", "dimension", "old_candidate_id",
                            "new_candidate_id", "old_value", "new_value", "old_source", "new_source", "reason", "at", "run_id"]
        let overrides = try TableWriter(url: folder.appendingPathComponent("overrides." + format.rawValue), format: format,
                                        columns: eventColumns)
        for e in events {
            try overrides.write([
                String(e.id), e.key.subject.kind.rawValue, e.key.subject.code, e.key.descriptor, e.key.dimension.rawValue,
                e.oldCandidateID.map { String($0) } ?? "", e.newCandidateID.map { String($0) } ?? "", e.oldValue.map(Formatting.number) ?? "",
                e.newValue.map(Formatting.number) ?? "", e.oldSource?.rawValue ?? "", e.newSource?.rawValue ?? "", e.reason,
                Timestamp.string(e.at), e.runID,
            ])
        }
        written.append(try overrides.finish())
        return written
    }

    /// `Time Pressure` for the main dimension, `Time Pressure (importance)` for another one.
    static func columnName(_ cell: CellValue) -> String {
        Formatting.isPrimary(cell) ? cell.descriptorName : "\(cell.descriptorName) (\(cell.dimension))"
    }

    static func longRow(_ cell: CellValue, _ labels: [Subject: String], _ isWinner: Bool) -> [String] {
        [cell.subject.kind.rawValue, cell.subject.code, labels[cell.subject] ?? "", cell.descriptorCode, cell.descriptorName,
         cell.category.rawValue, cell.dimension.rawValue, Formatting.number(cell.value), cell.text ?? "", cell.scale ?? "", cell.source.rawValue,
         String(cell.precedence), cell.method.rawValue, cell.sourceLevel.rawValue, Formatting.fixed3(cell.confidence),
         cell.sourceIDs.joined(separator: ";"), cell.release ?? "", cell.runID, Timestamp.string(cell.observedAt),
         isWinner ? "1" : "0", cell.rationale ?? "", cell.metadata.isEmpty ? "" : JSONText.object(cell.metadata)]
    }
}

/// Writes one table row by row, buffered, to a file written in place of any earlier one:
/// CSV (RFC 4180, UTF-8 with a byte-order mark) or a JSON array of objects.
///
/// The rows go to a hidden `.<name>.partial` beside the target, renamed over it by `finish()`:
/// a failed export leaves the earlier file as it was, and no partial file (a writer that is
/// dropped without finishing, on any error path, removes its own).
final class TableWriter {
    let url: URL
    let format: ExportCommand.Format
    let columns: [String]
    private let temporary: URL
    private let handle: FileHandle
    private var buffer = ""
    private var rows = 0
    private var finished = false

    init(url: URL, format: ExportCommand.Format, columns: [String]) throws {
        self.url = url
        self.format = format
        self.columns = columns
        temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw CommandFailure("cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
        handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        buffer.reserveCapacity(1 << 20)
        switch format {
        case .csv: buffer += CSVWriter.byteOrderMark + CSVWriter.line(columns)
        case .json: buffer += "[\n"
        }
    }

    deinit {
        // Not finished: an error ended the export. The partial file goes; the target stays as it was.
        if !finished {
            try? handle.close()
            unlink(temporary.path)
        }
    }

    func write(_ row: [String]) throws {
        switch format {
        case .csv:
            buffer += CSVWriter.line(row.map(SpreadsheetCell.neutralized))
        case .json:
            if rows > 0 { buffer += ",\n" }
            buffer += "{"
            for (index, (column, value)) in zip(columns, row).enumerated() {
                if index > 0 { buffer += "," }
                buffer += JSONText.quote(column)
                buffer += ":"
                buffer += JSONText.quote(value)
            }
            buffer += "}"
        }
        rows += 1
        if buffer.utf8.count >= 1 << 20 { try flush() }
    }

    private func flush() throws {
        do {
            try handle.write(contentsOf: Data(buffer.utf8))
        } catch {
            throw CommandFailure("cannot write \(url.path): \(CommandFailure.fileErrorReason(error as NSError))")
        }
        buffer.removeAll(keepingCapacity: true)
    }

    func finish() throws -> Exporter.Written {
        if format == .json { buffer += rows > 0 ? "\n]\n" : "]\n" }
        try flush()
        try handle.close()
        // rename(2) replaces an earlier file in one step, and refuses to replace a folder.
        guard rename(temporary.path, url.path) == 0 else {
            throw CommandFailure("cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
        finished = true
        return Exporter.Written(path: url.path, rows: rows)
    }
}

/// CSV injection (OWASP): a spreadsheet runs a cell that begins with =, +, - or @ (or a tab, a
/// carriage return, a NUL before one) as a formula. Such a cell gets a single quote in front, which
/// the spreadsheet shows as text; a plain number (`-0.5`, `+3`, `1e-3`) stays a number.
enum SpreadsheetCell {
    static func neutralized(_ value: String) -> String {
        guard let first = value.utf8.first, triggers.contains(first), !isPlainNumber(value) else { return value }
        return "'" + value
    }

    /// `=`, `+`, `-`, `@`, tab, carriage return, NUL.
    static let triggers: Set<UInt8> = [0x3D, 0x2B, 0x2D, 0x40, 0x09, 0x0D, 0x00]

    /// An optional sign, digits with at most one decimal point, an optional exponent: nothing else.
    static func isPlainNumber(_ text: String) -> Bool {
        var bytes = Array(text.utf8)[...]
        if let sign = bytes.first, sign == 0x2B || sign == 0x2D { bytes = bytes.dropFirst() }
        var digits = 0, points = 0
        while let byte = bytes.first, byte != 0x65, byte != 0x45 {
            if (0x30...0x39).contains(byte) { digits += 1 } else if byte == 0x2E { points += 1 } else { return false }
            bytes = bytes.dropFirst()
        }
        guard digits > 0, points <= 1 else { return false }
        guard !bytes.isEmpty else { return true }
        bytes = bytes.dropFirst()   // the exponent's e
        if let sign = bytes.first, sign == 0x2B || sign == 0x2D { bytes = bytes.dropFirst() }
        return !bytes.isEmpty && bytes.allSatisfy { (0x30...0x39).contains($0) }
    }
}
