import CLibXML2
import Foundation
import JobForgeCore
import ZIPFoundation

/// One sheet of an Excel workbook (`.xlsx`) read as rows of text, the way a CSV file is read:
/// row N of the sheet is line N, so that a bad row's message points at the row Excel shows.
///
/// ```swift
/// let sheet = try WorkbookSheet.read(url, sheet: nil)    // the first sheet; or "Archive"
/// sheet.records[0].fields                                 // the header row
/// sheet.plainNumbers.contains(.init(line: 3, column: 4))  // 11 typed as a number, no format
/// ```
///
/// Cells: shared strings, inline strings, formula results and numbers. A number shows as the
/// sheet shows it when its format is zeros (`00000`: 11 -> `00011`), else as a whole number
/// (`8`, not `8.0`) or its decimal text. Dates show as Excel's serial numbers.
public struct WorkbookSheet: Sendable {
    /// The sheet's name and the names of all its workbook's sheets, in order.
    public var name: String
    public var sheetNames: [String]
    /// Rows with their row numbers; empty rows are left out, missing cells are empty.
    public var records: [CSVRecord]
    /// Cells that held a number shown without a zero-padded format: a code typed there lost its
    /// leading zeros (Excel stores `00010` as 10 unless the cell is text).
    public var plainNumbers: Set<CellPosition>

    /// A cell: its row number (the line) and column (0-based).
    public struct CellPosition: Hashable, Sendable {
        public var line: Int
        public var column: Int
        public init(line: Int, column: Int) { self.line = line; self.column = column }
    }

    /// The first bytes of a ZIP archive (a local file header), which an `.xlsx` is: a CSV file
    /// whose header starts with "PK" is still text.
    static let zipSignature: [UInt8] = [0x50, 0x4B, 0x03, 0x04]
    /// An OLE compound file: an Excel 97-2003 workbook, or an `.xlsx` saved with a password
    /// (Office encrypts the whole package into one).
    static let compoundFileSignature: [UInt8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]

    /// True when `data` is a workbook rather than text: a ZIP package or an OLE compound file.
    public static func isWorkbook(_ data: Data, file: String) -> Bool {
        data.starts(with: zipSignature) || data.starts(with: compoundFileSignature) || file.lowercased().hasSuffix(".xlsx")
    }

    /// Reads the sheet named `sheet` (the first sheet when nil) of the workbook in `data`.
    /// `file` names the workbook in errors.
    public static func read(_ data: Data, file: String, sheet wanted: String? = nil) throws -> WorkbookSheet {
        if data.starts(with: compoundFileSignature) {
            // An encrypted package's directory names its "EncryptionInfo" stream (UTF-16).
            let marker = Data("EncryptionInfo".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
            if data.range(of: marker) != nil {
                throw InputError(file: file, line: 0, message: "password-protected workbook: save it without a password "
                                 + "(File > Info > Protect Workbook > Encrypt with Password, empty the password), then import it again")
            }
            throw InputError(file: file, line: 0, message: "an Excel 97-2003 workbook (.xls), which JobForge does not read: "
                             + "save it as an Excel Workbook (.xlsx) or as CSV UTF-8")
        }
        let archive: Archive
        do {
            archive = try Archive(data: data, accessMode: .read)
        } catch {
            throw damaged(file, "it is not a ZIP package (\(error))")
        }
        let package = Package(archive: archive, file: file)
        let workbookPath = try package.officeDocumentPath()
        let sheets = try package.sheets(workbookPath: workbookPath)
        guard let first = sheets.first else { throw damaged(file, "the workbook has no sheet") }
        let chosen: (name: String, path: String)
        if let wanted {
            guard let match = sheets.first(where: { $0.name == wanted })
                    ?? sheets.first(where: { $0.name.caseInsensitiveCompare(wanted) == .orderedSame }) else {
                throw InputError(file: file, line: 0, message: "no sheet named \"\(wanted)\"; the workbook's sheets are "
                                 + sheets.map { "\"\($0.name)\"" }.joined(separator: ", "))
            }
            chosen = match
        } else {
            chosen = first
        }
        let directory = (workbookPath as NSString).deletingLastPathComponent
        let related = try package.relationships(of: workbookPath)
        let sharedStrings = try related.first { $0.type.hasSuffix("/sharedStrings") }
            .map { try package.sharedStrings(path: resolve($0.target, against: directory)) } ?? []
        let styles = try related.first { $0.type.hasSuffix("/styles") }
            .map { try package.zeroPaddedStyles(path: resolve($0.target, against: directory)) } ?? [:]
        var result = WorkbookSheet(name: chosen.name, sheetNames: sheets.map(\.name), records: [], plainNumbers: [])
        try package.readSheet(path: chosen.path, sharedStrings: sharedStrings, zeroPadded: styles, into: &result)
        return result
    }

    static func damaged(_ file: String, _ reason: String) -> InputError {
        InputError(file: file, line: 0, message: "not a readable .xlsx workbook: \(reason). The file is damaged or incomplete; "
                   + "open it in Excel and save it again (or save it as CSV UTF-8)")
    }

    /// A part's path from a relationship's target: relative to the source part's folder, or
    /// absolute from the package's root.
    static func resolve(_ target: String, against directory: String) -> String {
        if target.hasPrefix("/") { return String(target.dropFirst()) }
        var parts = directory.split(separator: "/").map(String.init)
        for component in target.split(separator: "/") {
            if component == ".." { _ = parts.popLast() } else if component != "." { parts.append(String(component)) }
        }
        return parts.joined(separator: "/")
    }
}

/// The parts of an OOXML package, each parsed with libxml2's streaming reader.
private struct Package {
    let archive: Archive
    let file: String

    struct Relationship {
        var id: String
        var type: String
        var target: String
    }

    func part(_ path: String) throws -> Data {
        guard let entry = archive[path] else {
            throw WorkbookSheet.damaged(file, "the part \(path) is missing")
        }
        var data = Data()
        data.reserveCapacity(Int(entry.uncompressedSize))
        do {
            _ = try archive.extract(entry, skipCRC32: false) { data.append($0) }
        } catch {
            throw WorkbookSheet.damaged(file, "the part \(path) cannot be read (\(error))")
        }
        return data
    }

    /// The workbook part, named by the package's root relationships.
    func officeDocumentPath() throws -> String {
        guard archive["_rels/.rels"] != nil else { return "xl/workbook.xml" }
        let root = try relationships(path: "_rels/.rels")
        guard let document = root.first(where: { $0.type.hasSuffix("/officeDocument") }) else {
            throw WorkbookSheet.damaged(file, "the package names no workbook")
        }
        return WorkbookSheet.resolve(document.target, against: "")
    }

    /// `xl/_rels/workbook.xml.rels` for `xl/workbook.xml`.
    func relationships(of partPath: String) throws -> [Relationship] {
        let directory = (partPath as NSString).deletingLastPathComponent
        let name = (partPath as NSString).lastPathComponent
        let path = (directory.isEmpty ? "" : directory + "/") + "_rels/\(name).rels"
        guard archive[path] != nil else { return [] }
        return try relationships(path: path)
    }

    func relationships(path: String) throws -> [Relationship] {
        var result: [Relationship] = []
        try XMLStream(try part(path), part: path, file: file).forEachNode { node in
            if node.isStart, node.name == "Relationship", let id = node.attribute("Id"), let target = node.attribute("Target") {
                result.append(Relationship(id: id, type: node.attribute("Type") ?? "", target: target))
            }
        }
        return result
    }

    /// The sheets in workbook order, each with its part's path.
    func sheets(workbookPath: String) throws -> [(name: String, path: String)] {
        let directory = (workbookPath as NSString).deletingLastPathComponent
        let targets = Dictionary(try relationships(of: workbookPath).map { ($0.id, $0.target) }) { first, _ in first }
        var sheets: [(String, String)] = []
        try XMLStream(try part(workbookPath), part: workbookPath, file: file).forEachNode { node in
            guard node.isStart, node.name == "sheet", let name = node.attribute("name") else { return }
            guard let id = node.attribute("r:id"), let target = targets[id] else {
                throw WorkbookSheet.damaged(file, "sheet \"\(name)\" names no part")
            }
            sheets.append((name, WorkbookSheet.resolve(target, against: directory)))
        }
        return sheets
    }

    /// Every `<si>`'s text: its `<t>` runs, phonetic guides (`<rPh>`) left out.
    func sharedStrings(path: String) throws -> [String] {
        var strings: [String] = []
        var current = ""
        var inText = false, inPhonetic = false
        try XMLStream(try part(path), part: path, file: file).forEachNode { node in
            switch (node.kind, node.name) {
            case (.start, "si"): current = ""
            case (.end, "si"): strings.append(current)
            case (.start, "rPh"): inPhonetic = true
            case (.end, "rPh"): inPhonetic = false
            case (.start, "t"): inText = !node.isEmpty
            case (.end, "t"): inText = false
            case (.text, _) where inText && !inPhonetic: current += node.value
            default: break
            }
        }
        return strings
    }

    /// For each cell style (`s`, an index into `cellXfs`) whose number format is all zeros
    /// (`00000`), the width it pads a number to.
    func zeroPaddedStyles(path: String) throws -> [Int: Int] {
        var formats: [Int: String] = [:]
        var styleFormats: [Int] = []
        var inCellXfs = false
        try XMLStream(try part(path), part: path, file: file).forEachNode { node in
            switch (node.kind, node.name) {
            case (.start, "numFmt"):
                if let id = node.attribute("numFmtId").flatMap(Int.init), let code = node.attribute("formatCode") { formats[id] = code }
            case (.start, "cellXfs"): inCellXfs = !node.isEmpty
            case (.end, "cellXfs"): inCellXfs = false
            case (.start, "xf") where inCellXfs:
                styleFormats.append(node.attribute("numFmtId").flatMap(Int.init) ?? 0)
            default: break
            }
        }
        var padded: [Int: Int] = [:]
        for (style, formatID) in styleFormats.enumerated() {
            // `00000`, also quoted or escaped as some writers do (`"0"0000`, `\00000`).
            guard let code = formats[formatID]?.filter({ $0 != "\"" && $0 != "\\" }), !code.isEmpty,
                  code.allSatisfy({ $0 == "0" }) else { continue }
            padded[style] = code.count
        }
        return padded
    }

    func readSheet(path: String, sharedStrings: [String], zeroPadded: [Int: Int], into sheet: inout WorkbookSheet) throws {
        var row: [String] = []
        var rowNumber = 0
        var cellColumn = 0, cellType = "n", cellStyle = 0
        var value = ""
        var inValue = false, inInlineText = false
        var records: [CSVRecord] = []
        var plainNumbers = Set<WorkbookSheet.CellPosition>()
        func finishRow() {
            while row.last?.isEmpty == true { row.removeLast() }
            if !row.isEmpty { records.append(CSVRecord(fields: row, line: rowNumber)) }
        }
        func finishCell() throws {
            let text: String
            switch cellType {
            case "s":
                guard let index = Int(value), sharedStrings.indices.contains(index) else {
                    throw WorkbookSheet.damaged(file, "row \(rowNumber) refers to shared string \(value), which is not there")
                }
                text = sharedStrings[index]
            case "n" where !value.isEmpty:
                if let width = zeroPadded[cellStyle] {
                    text = Self.number(value, padTo: width)
                } else {
                    text = Self.number(value, padTo: 0)
                    plainNumbers.insert(.init(line: rowNumber, column: cellColumn))
                }
            case "b": text = value == "1" ? "TRUE" : value == "0" ? "FALSE" : value
            default: text = value  // inlineStr, str (a formula's text), e (an error such as #N/A)
            }
            if cellColumn >= row.count { row.append(contentsOf: repeatElement("", count: cellColumn - row.count + 1)) }
            row[cellColumn] = text
        }
        try XMLStream(try part(path), part: path, file: file).forEachNode { node in
            switch (node.kind, node.name) {
            case (.start, "row"):
                rowNumber = node.attribute("r").flatMap(Int.init) ?? rowNumber + 1
                row.removeAll(keepingCapacity: true)
                if node.isEmpty { finishRow() }
            case (.end, "row"):
                finishRow()
            case (.start, "c"):
                cellColumn = node.attribute("r").flatMap(Self.column) ?? row.count
                cellType = node.attribute("t") ?? "n"
                cellStyle = node.attribute("s").flatMap(Int.init) ?? 0
                value = ""
                if node.isEmpty { try finishCell() }
            case (.end, "c"):
                try finishCell()
            case (.start, "v"): inValue = !node.isEmpty
            case (.end, "v"): inValue = false
            case (.start, "t") where cellType == "inlineStr": inInlineText = !node.isEmpty
            case (.end, "t"): inInlineText = false
            case (.text, _) where inValue || inInlineText: value += node.value
            default: break
            }
        }
        sheet.records = records
        sheet.plainNumbers = plainNumbers
    }

    /// `C7` -> 2: the letters of a cell reference, as a 0-based column.
    static func column(_ reference: String) -> Int? {
        var column = 0
        var letters = 0
        for scalar in reference.unicodeScalars {
            guard scalar.value >= 65 && scalar.value <= 90 else { break }
            column = column * 26 + Int(scalar.value - 64)
            letters += 1
        }
        return letters > 0 ? column - 1 : nil
    }

    /// A stored number as the sheet shows it: whole numbers without `.0`, padded with zeros to
    /// `width` digits when the cell's format says so.
    static func number(_ stored: String, padTo width: Int) -> String {
        guard let double = Double(stored), double.rounded() == double, abs(double) < 1e15 else { return stored }
        let digits = String(Int64(double))
        return digits.count < width ? String(repeating: "0", count: width - digits.count) + digits : digits
    }
}

/// libxml2's streaming reader over one part: start and end tags with their attributes, and text.
private struct XMLStream {
    let data: Data
    let part: String
    let file: String

    init(_ data: Data, part: String, file: String) {
        self.data = data
        self.part = part
        self.file = file
    }

    enum Kind { case start, end, text, other }

    struct Node {
        let reader: xmlTextReaderPtr
        let kind: Kind
        let name: String
        var isStart: Bool { kind == .start }
        var isEmpty: Bool { xmlTextReaderIsEmptyElement(reader) == 1 }
        func attribute(_ name: String) -> String? {
            let value = name.withCString { xmlTextReaderGetAttribute(reader, UnsafeRawPointer($0).assumingMemoryBound(to: xmlChar.self)) }
            guard let value else { return nil }
            defer { jf_xmlFree(value) }
            return String(cString: value)
        }
        var value: String {
            guard let value = xmlTextReaderConstValue(reader) else { return "" }
            return String(cString: value)
        }
    }

    func forEachNode(_ body: (Node) throws -> Void) throws {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: CChar.self) else {
                throw WorkbookSheet.damaged(file, "the part \(part) is empty")
            }
            // No network, no entity expansion: a workbook is data, never a way to read other files.
            let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue | XML_PARSE_HUGE.rawValue)
            guard let reader = xmlReaderForMemory(base, Int32(raw.count), part, "UTF-8", options) else {
                throw WorkbookSheet.damaged(file, "the part \(part) cannot be parsed")
            }
            defer { xmlFreeTextReader(reader) }
            while true {
                let status = xmlTextReaderRead(reader)
                if status == 0 { return }
                guard status == 1 else { throw WorkbookSheet.damaged(file, "the part \(part) is not well-formed XML") }
                let kind: Kind
                switch xmlTextReaderNodeType(reader) {
                case 1: kind = .start
                case 15: kind = .end
                case 3, 4, 14: kind = .text
                default: continue
                }
                let name = kind == .text ? "" : xmlTextReaderConstLocalName(reader).map { String(cString: $0) } ?? ""
                try body(Node(reader: reader, kind: kind, name: name))
            }
        }
    }
}
