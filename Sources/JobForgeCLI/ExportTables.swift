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
final class TableWriter {
    let url: URL
    let format: ExportCommand.Format
    let columns: [ExportColumn]
    private let temporary: URL
    private let descriptor: Int32
    private var encoder: RowEncoder
    private(set) var rows = 0
    private var finished = false
    private static let blockSize = 1 << 20

    init(url: URL, format: ExportCommand.Format, columns: [ExportColumn]) throws {
        self.url = url
        self.format = format
        self.columns = columns
        temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial")
        descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw CommandFailure("cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
        encoder = RowEncoder(format: format, keys: columns.map(\.name), capacity: Self.blockSize + (1 << 16))
        switch format {
        case .csv:
            encoder.bytes += CSVWriter.byteOrderMark.utf8
            encoder.beginRow(first: true)
            for column in columns { encoder.text(column.name, neutralized: false) }
            encoder.endRow()
        case .json: encoder.bytes += "[\n".utf8
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
        try writeRow { encoder in
            for field in row { encoder.append(field) }
        }
    }

    /// Writes one row, its fields appended by `body` in the header's order. The encoder is passed
    /// in place: its buffer is touched millions of times and a class's property would be checked
    /// for exclusive access at each.
    func writeRow(_ body: (inout RowEncoder) throws -> Void) throws {
        encoder.beginRow(first: rows == 0)
        try body(&encoder)
        encoder.endRow()
        rows += 1
        if encoder.bytes.count >= Self.blockSize { try flush() }
    }

    /// Fields that many rows repeat, encoded once (``RowEncoder/segment(at:_:)``).
    func segment(at first: Int, _ body: (inout RowEncoder) -> Void) -> [UInt8] {
        encoder.segment(at: first, body)
    }

    private func flush() throws {
        var written = 0
        let count = encoder.bytes.count
        while written < count {
            let result = encoder.bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + written, count - written) }
            if result < 0 {
                if errno == EINTR { continue }
                throw CommandFailure("cannot write \(url.path): \(String(cString: strerror(errno)))")
            }
            written += result
        }
        encoder.bytes.removeAll(keepingCapacity: true)
    }

    func finish() throws -> Exporter.Written {
        if format == .json { encoder.bytes += (rows > 0 ? "\n]\n" : "]\n").utf8 }
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

/// Encodes a table's rows, field by field, byte by byte into one buffer: a long export writes
/// millions of rows, and a String or an array per field would cost more than the data.
struct RowEncoder {
    let format: ExportCommand.Format
    /// JSON: each column's `"name":`.
    private let keys: [[UInt8]]
    var bytes: [UInt8] = []
    /// The next field's position in the row.
    private var field = 0
    private var numbers = NumberCache(Formatting.number)
    private var fixed3 = NumberCache(Formatting.fixed3)

    init(format: ExportCommand.Format, keys: [String], capacity: Int) {
        self.format = format
        self.keys = keys.map { Array((JSONText.quote($0) + ":").utf8) }
        bytes.reserveCapacity(capacity)
    }

    mutating func beginRow(first: Bool) {
        field = 0
        if format == .json {
            if !first { bytes += ",\n".utf8 }
            bytes.append(UInt8(ascii: "{"))
        }
    }

    mutating func endRow() {
        switch format {
        case .csv: bytes += [0x0D, 0x0A]
        case .json: bytes.append(UInt8(ascii: "}"))
        }
    }

    /// Starts a field: its separator and, in JSON, its key. False for a field past the header's
    /// columns, which JSON leaves out.
    private mutating func startField() -> Bool {
        defer { field += 1 }
        switch format {
        case .csv:
            if field > 0 { bytes.append(UInt8(ascii: ",")) }
            return true
        case .json:
            guard field < keys.count else { return false }
            if field > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes += keys[field]
            return true
        }
    }

    mutating func append(_ value: ExportField) {
        switch value {
        case .text(let text): self.text(text)
        case .number(let text): number(text)
        case .boolean(let flag): boolean(flag)
        case .empty: empty()
        }
    }

    /// Text, or nothing for nil.
    mutating func text(_ value: String?) {
        guard let value else { return empty() }
        text(value, neutralized: true)
    }

    /// Text: in CSV neutralized against formulas (`SpreadsheetCell`) and quoted where RFC 4180
    /// needs it; in JSON a string.
    mutating func text(_ text: String, neutralized: Bool) {
        guard startField() else { return }
        // Straight from the string's own UTF-8 storage (every native string has it): a generic
        // walk of `utf8` per field was a fifth of the long table's encoding.
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { utf8 in
            appendText(utf8, text, neutralized: neutralized)
        }
        if done == nil {
            let utf8 = Array(text.utf8)
            utf8.withUnsafeBufferPointer { appendText($0, text, neutralized: neutralized) }
        }
    }

    private mutating func appendText(_ utf8: UnsafeBufferPointer<UInt8>, _ text: String, neutralized: Bool) {
        switch format {
        case .json:
            // Most texts need no escape: their bytes go straight in.
            if utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
                bytes += JSONText.quote(text).utf8
            } else {
                bytes.append(UInt8(ascii: "\""))
                bytes.append(contentsOf: utf8)
                bytes.append(UInt8(ascii: "\""))
            }
        case .csv:
            // Only a text that begins with a trigger byte can need the quote in front (rare).
            let prefix = neutralized && !utf8.isEmpty && SpreadsheetCell.isTrigger(utf8[0]) && SpreadsheetCell.needsNeutralizing(text)
            var needsQuotes = false
            for byte in utf8 where Self.needsQuotes(byte) {
                needsQuotes = true
                break
            }
            guard needsQuotes else {
                if prefix { bytes.append(UInt8(ascii: "'")) }
                bytes.append(contentsOf: utf8)
                return
            }
            bytes.append(UInt8(ascii: "\""))
            if prefix { bytes.append(UInt8(ascii: "'")) }
            // Runs between quotes are copied whole; each quote is doubled.
            var start = 0
            for index in 0..<utf8.count where utf8[index] == UInt8(ascii: "\"") {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...index]))
                bytes.append(UInt8(ascii: "\""))
                start = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
            bytes.append(UInt8(ascii: "\""))
        }
    }

    /// A quote, a comma or a line break: RFC 4180 quotes a field that holds one.
    private static func needsQuotes(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: ","), 0x0A, 0x0D: true
        default: false
        }
    }

    /// The fields `body` appends, encoded apart as they would be from position `first` of a row
    /// on (their separators and JSON keys depend on it), to be copied into many rows by
    /// ``append(segment:fields:)``: a long export's rows share most of their fields.
    ///
    /// ```swift
    /// let names = encoder.segment(at: 3) { $0.text("A01a01"); $0.text("Information Ordering") }
    /// encoder.append(segment: names, fields: 2)   // in a row, after its first three fields
    /// ```
    func segment(at first: Int, _ body: (inout RowEncoder) -> Void) -> [UInt8] {
        var encoder = self
        encoder.bytes = []
        encoder.field = first
        body(&encoder)
        return encoder.bytes
    }

    /// Fields encoded by ``segment(at:_:)`` at the position the row has reached.
    mutating func append(segment: [UInt8], fields: Int) {
        bytes += segment
        field += fields
    }

    /// A number already formatted (digits, a sign, a point): the same in CSV and JSON.
    mutating func number(_ text: String) {
        guard startField() else { return }
        bytes += text.utf8
    }

    /// A number as `Formatting.number` writes it (`3`, `3.50`); one that is not finite keeps its
    /// text, as JSON has no literal for it.
    mutating func number(_ value: Double) {
        guard value.isFinite else { return text(Formatting.number(value)) }
        guard startField() else { return }
        numbers.append(value, to: &bytes)
    }

    /// A confidence as `Formatting.fixed3` writes it (`0.950`).
    mutating func fixed3(_ value: Double) {
        guard value.isFinite else { return text(Formatting.fixed3(value)) }
        guard startField() else { return }
        fixed3.append(value, to: &bytes)
    }

    mutating func integer<Integer: BinaryInteger>(_ value: Integer?) {
        guard let value else { return empty() }
        // A precedence per long row: its digits go in without a String.
        if let small = Int(exactly: value), (0..<10).contains(small) {
            guard startField() else { return }
            bytes.append(UInt8(ascii: "0") + UInt8(small))
            return
        }
        number(String(value))
    }

    mutating func boolean(_ value: Bool) {
        guard startField() else { return }
        switch format {
        case .csv: bytes.append(value ? UInt8(ascii: "1") : UInt8(ascii: "0"))
        case .json: bytes += (value ? "true" : "false").utf8
        }
    }

    /// Nothing: an empty CSV cell, JSON `null`.
    mutating func empty() {
        guard startField() else { return }
        if format == .json { bytes += "null".utf8 }
    }
}

/// A number format (`Formatting.number`, `Formatting.fixed3`) remembered by value: an export
/// writes the same few hundred values millions of times, and formatting is the slow part.
struct NumberCache {
    let format: (Double) -> String
    private var known: [UInt64: [UInt8]] = [:]
    /// Enough for every value of a build; past it the cache starts again, so memory stays flat.
    private static let limit = 1 << 16

    init(_ format: @escaping (Double) -> String) { self.format = format }

    mutating func append(_ value: Double, to buffer: inout [UInt8]) {
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

    /// Whether `byte` is one of ``triggers`` (without hashing: it is asked for every text of an export).
    static func isTrigger(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x3D, 0x2B, 0x2D, 0x40, 0x09, 0x0D, 0x00: true
        default: false
        }
    }

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
