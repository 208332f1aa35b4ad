import Foundation
#if canImport(Glibc)
import Glibc
#endif
import JobForgeCore

/// One field of an exported row. CSV writes every field as text; JSON writes it as its type.
enum ExportField {
    case text(String)
    /// A finite number, already written the way the CSV shows it (`3`, `3.50`, `0.950`): a valid JSON number.
    case number(String)
    case boolean(Bool)
    /// Nothing: an empty CSV cell, JSON `null`.
    case empty

    /// Text, or nothing for nil.
    static func text(_ value: String?) -> ExportField { value.map(ExportField.text) ?? .empty }

    /// A number as `format` writes it; a value that is not finite (never stored, but JSON has no
    /// literal for it) keeps its text.
    static func number(_ value: Double, _ format: (Double) -> String) -> ExportField {
        value.isFinite ? .number(format(value)) : .text(format(value))
    }

    static func integer<Integer: BinaryInteger>(_ value: Integer) -> ExportField { .number(String(value)) }
    static func integer<Integer: BinaryInteger>(_ value: Integer?) -> ExportField { value.map(integer) ?? .empty }

    /// The CSV form: booleans as `1`/`0`, as the long table has always written them.
    var csvText: String {
        switch self {
        case .text(let text): SpreadsheetCell.neutralized(text)
        case .number(let text): text
        case .boolean(let value): value ? "1" : "0"
        case .empty: ""
        }
    }

    func appendJSON(to buffer: inout String) {
        switch self {
        case .text(let text): buffer += JSONText.quote(text)
        case .number(let text): buffer += text
        case .boolean(let value): buffer += value ? "true" : "false"
        case .empty: buffer += "null"
        }
    }
}

/// A column of an exported table: its name, its type and, for a wide table, what it holds.
/// `columns.csv` lists them; the Power Query script types the CSV columns by them.
struct ExportColumn: Sendable, Equatable {
    enum ValueType: String, Sendable {
        /// Text, codes included: `00010` and `21211.00` must stay as written.
        case text
        case number
        /// `1`/`0` in CSV, `true`/`false` in JSON.
        case boolean
    }

    /// What a column holds: `field` for the fixed columns; in a wide table, a descriptor's
    /// `value` (a number), its `text` (`E` beside an interest's rank), `source` or `confidence`.
    enum Kind: String, Sendable { case field, value, text, source, confidence }

    var name: String
    var type: ValueType
    var kind: Kind = .field
    var descriptorCode: String? = nil
    var dimension: String? = nil

    static func text(_ name: String) -> ExportColumn { ExportColumn(name: name, type: .text) }
    static func number(_ name: String) -> ExportColumn { ExportColumn(name: name, type: .number) }
    static func boolean(_ name: String) -> ExportColumn { ExportColumn(name: name, type: .boolean) }
}

/// Writes one table row by row, buffered, to a file written in place of any earlier one:
/// CSV (RFC 4180, UTF-8 with a byte-order mark) or a JSON array of objects.
///
/// The rows go to a hidden `.<name>.partial` beside the target, renamed over it by `finish()`:
/// a failed export leaves the earlier file as it was, and no partial file (a writer that is
/// dropped without finishing, on any error path, removes its own).
///
/// Fields are encoded byte by byte into one buffer written in 1 MB blocks: a long export writes
/// millions of rows, and a String or an array per field would cost more than the data.
final class TableWriter {
    let url: URL
    let format: ExportCommand.Format
    let columns: [ExportColumn]
    private let temporary: URL
    private let descriptor: Int32
    private let jsonKeys: [[UInt8]]
    private var buffer: [UInt8] = []
    private(set) var rows = 0
    /// The next field's position in the row being written.
    private var field = 0
    private var finished = false
    private static let blockSize = 1 << 20

    init(url: URL, format: ExportCommand.Format, columns: [ExportColumn]) throws {
        self.url = url
        self.format = format
        self.columns = columns
        jsonKeys = columns.map { Array((JSONText.quote($0.name) + ":").utf8) }
        temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial")
        descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw CommandFailure("cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
        buffer.reserveCapacity(Self.blockSize + (1 << 16))
        switch format {
        case .csv:
            buffer += CSVWriter.byteOrderMark.utf8
            beginRow()
            for column in columns { appendText(column.name, neutralized: false) }
            endRow(counted: false)
        case .json: buffer += "[\n".utf8
        }
    }

    deinit {
        // Not finished: an error ended the export. The partial file goes; the target stays as it was.
        if !finished {
            close(descriptor)
            unlink(temporary.path)
        }
    }

    func write(_ row: [ExportField]) throws {
        beginRow()
        for field in row { append(field) }
        try endRow()
    }

    // MARK: A row, field by field

    func beginRow() {
        field = 0
        if format == .json {
            if rows > 0 { buffer += ",\n".utf8 }
            buffer.append(UInt8(ascii: "{"))
        }
    }

    /// Ends the row; the buffer goes to the file once it holds a block.
    func endRow() throws {
        endRow(counted: true)
        if buffer.count >= Self.blockSize { try flush() }
    }

    private func endRow(counted: Bool) {
        switch format {
        case .csv: buffer += [0x0D, 0x0A]
        case .json: buffer.append(UInt8(ascii: "}"))
        }
        if counted { rows += 1 }
    }

    /// Starts a field: its separator and, in JSON, its key. False for a field past the header's
    /// columns, which JSON leaves out.
    private func startField() -> Bool {
        defer { field += 1 }
        switch format {
        case .csv:
            if field > 0 { buffer.append(UInt8(ascii: ",")) }
            return true
        case .json:
            guard field < jsonKeys.count else { return false }
            if field > 0 { buffer.append(UInt8(ascii: ",")) }
            buffer += jsonKeys[field]
            return true
        }
    }

    func append(_ value: ExportField) {
        switch value {
        case .text(let text): appendText(text)
        case .number(let text): appendNumber(text.utf8)
        case .boolean(let flag): appendBoolean(flag)
        case .empty: appendEmpty()
        }
    }

    func appendText(_ text: String?) {
        guard let text else { return appendEmpty() }
        appendText(text, neutralized: true)
    }

    /// Text: in CSV neutralized against formulas (`SpreadsheetCell`) and quoted where RFC 4180
    /// needs it; in JSON a string.
    private func appendText(_ text: String, neutralized: Bool) {
        guard startField() else { return }
        switch format {
        case .json:
            // Most texts need no escape: their bytes go straight in.
            if text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
                buffer += JSONText.quote(text).utf8
            } else {
                buffer.append(UInt8(ascii: "\""))
                buffer += text.utf8
                buffer.append(UInt8(ascii: "\""))
            }
        case .csv:
            let prefix = neutralized && SpreadsheetCell.needsNeutralizing(text)
            var needsQuotes = false
            for byte in text.utf8 where byte == UInt8(ascii: "\"") || byte == UInt8(ascii: ",") || byte == 0x0A || byte == 0x0D {
                needsQuotes = true
                break
            }
            if needsQuotes { buffer.append(UInt8(ascii: "\"")) }
            if prefix { buffer.append(UInt8(ascii: "'")) }
            if needsQuotes {
                for byte in text.utf8 {
                    buffer.append(byte)
                    if byte == UInt8(ascii: "\"") { buffer.append(byte) }
                }
                buffer.append(UInt8(ascii: "\""))
            } else {
                buffer += text.utf8
            }
        }
    }

    /// A number already formatted (digits, a sign, a point): the same in CSV and JSON.
    func appendNumber<Bytes: Sequence<UInt8>>(_ bytes: Bytes) {
        guard startField() else { return }
        buffer += bytes
    }

    /// A number as `cache` formats it; one that is not finite keeps its text (JSON has no literal for it).
    func appendNumber(_ value: Double, _ cache: NumberCache) {
        guard value.isFinite else { return appendText(cache.format(value)) }
        guard startField() else { return }
        cache.append(value, to: &buffer)
    }

    func appendInteger<Integer: BinaryInteger>(_ value: Integer?) {
        guard let value else { return appendEmpty() }
        appendNumber(String(value).utf8)
    }

    func appendBoolean(_ value: Bool) {
        guard startField() else { return }
        switch format {
        case .csv: buffer.append(value ? UInt8(ascii: "1") : UInt8(ascii: "0"))
        case .json: buffer += (value ? "true" : "false").utf8
        }
    }

    /// Nothing: an empty CSV cell, JSON `null`.
    func appendEmpty() {
        guard startField() else { return }
        if format == .json { buffer += "null".utf8 }
    }

    private func flush() throws {
        var written = 0
        while written < buffer.count {
            let result = buffer.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if result < 0 {
                if errno == EINTR { continue }
                throw CommandFailure("cannot write \(url.path): \(String(cString: strerror(errno)))")
            }
            written += result
        }
        buffer.removeAll(keepingCapacity: true)
    }

    func finish() throws -> Exporter.Written {
        if format == .json { buffer += (rows > 0 ? "\n]\n" : "]\n").utf8 }
        try flush()
        guard close(descriptor) == 0 else {
            throw CommandFailure("cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
        finished = true
        // rename(2) replaces an earlier file in one step, and refuses to replace a folder.
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw CommandFailure("cannot write \(url.path): \(reason)")
        }
        return Exporter.Written(path: url.path, rows: rows, columns: columns)
    }
}

/// A number format (`Formatting.number`, `Formatting.fixed3`) remembered by value: an export
/// writes the same few hundred values millions of times, and formatting is the slow part.
final class NumberCache {
    let format: (Double) -> String
    private var known: [UInt64: [UInt8]] = [:]
    /// Enough for every value of a build; past it the cache starts again, so memory stays flat.
    private static let limit = 1 << 16

    init(_ format: @escaping (Double) -> String) { self.format = format }

    func append(_ value: Double, to buffer: inout [UInt8]) {
        if let bytes = known[value.bitPattern] { return buffer += bytes }
        let bytes = Array(format(value).utf8)
        if known.count >= Self.limit { known.removeAll(keepingCapacity: true) }
        known[value.bitPattern] = bytes
        buffer += bytes
    }
}

/// The files that describe an export's tables to the tools that load them.
enum ExportSchema {
    static let columnsHeader = [ExportColumn.text("file"), .text("column"), .text("type"), .text("kind"),
                                .text("descriptor_code"), .text("dimension")]

    /// `columns.csv`: every column of every table written, in file order, with its type and, for a
    /// wide table's columns, the descriptor code and dimension that join it to the long table.
    static func writeColumns(of tables: [Exporter.Written], to url: URL, format: ExportCommand.Format) throws -> Exporter.Written {
        let writer = try TableWriter(url: url, format: format, columns: columnsHeader)
        for table in tables {
            let file = URL(fileURLWithPath: table.path).lastPathComponent
            for column in table.columns {
                try writer.write([.text(file), .text(column.name), .text(column.type.rawValue), .text(column.kind.rawValue),
                                  .text(column.descriptorCode), .text(column.dimension)])
            }
        }
        return try writer.finish()
    }

    /// `powerquery.pq`: a Power Query M expression that loads every CSV table of the export with
    /// each column typed as `columns.csv` says, empty cells null, codes as text, numbers read with the en-US culture
    /// (a dot decimal separator whatever the user's locale). Loaded this way, no type detection
    /// runs, so `00010` and `21211.00` stay as written.
    static func powerQuery(of tables: [Exporter.Written], folder: URL) -> String {
        var text = """
            // JobForge export: every table, its codes kept as text (00010, 21211.00).
            // Power BI: Get data > Blank query > Advanced editor. Excel: Data > Get Data > From Other
            // Sources > Blank Query > Advanced Editor. Paste this, set Folder to where the files are,
            // then select each table of the record and choose "Add as New Query".
            let
                Folder = \(mString(folder.path + "/")),
                Load = (file as text, types as list) as table =>
                    let
                        Source = Csv.Document(File.Contents(Folder & file), [Delimiter = ",", Encoding = 65001, QuoteStyle = QuoteStyle.Csv]),
                        Promoted = Table.PromoteHeaders(Source, [PromoteAllScalars = true]),
                        // An empty cell is nothing (null), as in the JSON export, and never a failed number.
                        Nulls = Table.ReplaceValue(Promoted, "", null, Replacer.ReplaceValue, Table.ColumnNames(Promoted))
                    in
                        Table.TransformColumnTypes(Nulls, types, "en-US")
            in
                [

            """
        for (index, table) in tables.enumerated() {
            let file = URL(fileURLWithPath: table.path).lastPathComponent
            let name = String(file.dropLast(".csv".count))
            let types = table.columns.map { "{\(mString($0.name)), \(mType($0.type))}" }.joined(separator: ", ")
            text += "        #\(mString(name)) = Load(\(mString(file)), {\(types)})"
            text += index < tables.count - 1 ? ",\n" : "\n"
        }
        text += "    ]\n"
        return text
    }

    /// The M type of a column. A CSV boolean is `1`/`0`, which M reads as a whole number, not a logical.
    static func mType(_ type: ExportColumn.ValueType) -> String {
        switch type {
        case .text: "type text"
        case .number: "type number"
        case .boolean: "Int64.Type"
        }
    }

    /// An M text literal: quotes doubled, and `#(` (M's escape opener) written as its own escape.
    static func mString(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "#(", with: "#(#)(").replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// CSV injection (OWASP): a spreadsheet runs a cell that begins with =, +, - or @ (or a tab, a
/// carriage return, a NUL before one) as a formula. Such a cell gets a single quote in front, which
/// the spreadsheet shows as text; a plain number (`-0.5`, `+3`, `1e-3`) stays a number.
enum SpreadsheetCell {
    static func neutralized(_ value: String) -> String {
        needsNeutralizing(value) ? "'" + value : value
    }

    static func needsNeutralizing(_ value: String) -> Bool {
        guard let first = value.utf8.first, triggers.contains(first) else { return false }
        return !isPlainNumber(value)
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
