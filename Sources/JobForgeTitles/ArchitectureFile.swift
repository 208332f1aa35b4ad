import Foundation
import JobForgeCore

/// How to read a job architecture file: what the user named (`--encoding`, `--delimiter`,
/// `--sheet`); everything left nil is detected.
///
/// ```swift
/// let table = try ArchitectureFileFormat(sheet: "Archive").read(data, file: "jobs.xlsx")
/// table.description    // Excel workbook, sheet "Archive"
/// ```
public struct ArchitectureFileFormat: Sendable, Equatable {
    public var encoding: TextEncoding?
    public var delimiter: Character?
    public var sheet: String?

    public init(encoding: TextEncoding? = nil, delimiter: Character? = nil, sheet: String? = nil) {
        self.encoding = encoding
        self.delimiter = delimiter
        self.sheet = sheet
    }

    /// Reads `data` as a workbook (`.xlsx`: a ZIP package; an encrypted or 97-2003 workbook is
    /// refused with what to do) or as delimited text in any encoding `InputText` reads.
    public func read(_ data: Data, file: String) throws -> ArchitectureTable {
        let rows = try open(data, file: file)
        var records: [CSVRecord] = []
        try rows.forEachRecord { records.append($0) }
        return ArchitectureTable(records: records, plainNumbers: rows.plainNumbers, description: rows.description)
    }

    /// Opens `data` for reading its rows one at a time (``ArchitectureRows/forEachRecord(_:)``):
    /// a large CSV file is never held as an array of rows. A workbook's sheet is read whole here.
    ///
    /// ```swift
    /// let rows = try ArchitectureFileFormat().open(data, file: "jobs.csv")
    /// try rows.forEachRecord { record in print(record.line, record.fields) }   // the header first
    /// ```
    public func open(_ data: Data, file: String) throws -> ArchitectureRows {
        if WorkbookSheet.isWorkbook(data, file: file) {
            let sheet = try WorkbookSheet.read(data, file: file, sheet: sheet)
            return ArchitectureRows(file: file, plainNumbers: sheet.plainNumbers,
                                    description: "Excel workbook, sheet \"\(sheet.name)\"", content: .sheet(sheet.records))
        }
        if let sheet {
            throw InputError(file: file, line: 0, message: "--sheet \"\(sheet)\" is for an Excel workbook (.xlsx), and this file is text")
        }
        let text = try InputText.decode(data, file: file, encoding: encoding)
        let separator = delimiter ?? text.delimiter()
        func how(_ detected: Bool) -> String { detected ? " (detected)" : "" }
        return ArchitectureRows(file: file, plainNumbers: [],
                                description: "\(text.encoding.label)\(how(text.detected)), "
                                    + "\(Delimiter.label(separator))-delimited\(how(delimiter == nil))",
                                content: .text(text.utf8, CSVReader(separator: separator)))
    }
}

/// A job architecture file opened for reading (``ArchitectureFileFormat/open(_:file:)``): how it
/// is read, and its rows, one at a time.
public struct ArchitectureRows: Sendable {
    public var file: String
    /// A workbook's cells that held numbers shown without zeros (see `WorkbookSheet`).
    public var plainNumbers: Set<WorkbookSheet.CellPosition>
    /// How the file was read: `Windows-1252 (detected), semicolon-delimited (detected)`.
    public var description: String

    enum Content: Sendable {
        case sheet([CSVRecord])
        case text(Data, CSVReader)
    }
    let content: Content

    /// About how many records there are, the header included: a text file's line breaks (a
    /// quoted field can hold some), a workbook's rows. Enough to tell a large file from a small one.
    public var approximateRecordCount: Int {
        switch content {
        case .sheet(let records): records.count
        case .text(let utf8, _): utf8.withUnsafeBytes { bytes in bytes.reduce(into: 0) { count, byte in if byte == 0x0A { count += 1 } } }
        }
    }

    /// Calls `body` with each record in order, the header first; a text file is parsed as it goes.
    public func forEachRecord(_ body: (CSVRecord) throws -> Void) throws {
        switch content {
        case .sheet(let records):
            // A sheet leaves out a row's empty cells at its end; a CSV file writes them.
            let width = records.first?.fields.count ?? 0
            for record in records {
                try body(record.fields.count >= width ? record
                    : CSVRecord(fields: record.fields + repeatElement("", count: width - record.fields.count), line: record.line))
            }
        case .text(let utf8, let reader):
            try reader.forEachRecord(utf8, file: file, body)
        }
    }
}

/// A job architecture file's rows, before they are checked.
public struct ArchitectureTable: Sendable {
    /// The header first, each record with its line (a workbook's row number).
    public var records: [CSVRecord]
    /// A workbook's cells that held numbers shown without zeros (see `WorkbookSheet`).
    public var plainNumbers: Set<WorkbookSheet.CellPosition>
    /// How the file was read: `Windows-1252 (detected), semicolon-delimited (detected)`.
    public var description: String
}

/// Something an import did to a row that the user should check, the row imported all the same.
public struct ImportWarning: Sendable, Codable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String

    public var description: String { "\(file):\(line): \(message)" }
}
