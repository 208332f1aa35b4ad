import Foundation
import JobForgeCore

/// Reads O*NET's database files, matching columns by header name so that the text release
/// (13 columns) and the Excel-export layout (extra `Title` / `Scale Name` columns) both work.
///
/// O*NET's text release is tab-delimited *without* quoting (descriptions contain bare `"`),
/// so it is split on tabs here; a comma-separated export goes through the shared `CSVReader`.
struct TabularFile {
    /// One data row: the requested columns' values in the order they were asked for
    /// (nil when the file has no such column).
    struct Row {
        var line: Int
        var values: [String?]
    }

    /// Calls `body` for every data row. `required` columns must exist (an `InputError` names the
    /// missing ones and the header found); `optional` ones may be absent.
    static func forEachRow(_ data: Data, file: String, required: [String], optional: [String] = [],
                           _ body: (Row) throws -> Void) throws {
        let wanted = required + optional
        let firstLineEnd = data.firstIndex(of: UInt8(ascii: "\n")) ?? data.endIndex
        let firstLine = data[data.startIndex..<firstLineEnd]
        let isTabDelimited = firstLine.contains(UInt8(ascii: "\t")) || !firstLine.contains(UInt8(ascii: ","))
        if isTabDelimited {
            try forEachTabRow(data, file: file, wanted: wanted, requiredCount: required.count, body)
        } else {
            var indexes: [Int?] = []
            try CSVReader().forEachRecord(data, file: file) { record in
                if indexes.isEmpty {
                    indexes = try columnIndexes(header: record.fields, wanted: wanted, requiredCount: required.count, file: file)
                    return
                }
                let values = indexes.map { index -> String? in
                    guard let index, index < record.fields.count else { return nil }
                    return record.fields[index]
                }
                try body(Row(line: record.line, values: values))
            }
        }
    }

    static func normalizeHeader(_ name: String) -> String {
        name.trimmingSpacesAndNBSP.lowercased().split(whereSeparator: { $0 == " " }).joined(separator: " ")
    }

    private static func columnIndexes(header: [String], wanted: [String], requiredCount: Int, file: String) throws -> [Int?] {
        let normalized = header.map(normalizeHeader)
        let indexes = wanted.map { name in normalized.firstIndex(of: normalizeHeader(name)) }
        let missing = zip(wanted.prefix(requiredCount), indexes.prefix(requiredCount)).filter { $0.1 == nil }.map(\.0)
        if !missing.isEmpty {
            throw InputError(file: file, line: 1, message: "missing column(s) \(missing.map { "\"\($0)\"" }.joined(separator: ", ")); the header has \(header.map { "\"\($0.trimmingSpacesAndNBSP)\"" }.joined(separator: ", "))")
        }
        return indexes
    }

    private static func forEachTabRow(_ data: Data, file: String, wanted: [String], requiredCount: Int,
                                      _ body: (Row) throws -> Void) throws {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var start = 0
            if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { start = 3 }
            var lineNumber = 0
            var indexes: [Int?] = []
            var wantedByColumn: [Int: Int] = [:]
            var fieldRanges: [Range<Int>] = []
            fieldRanges.reserveCapacity(16)
            let tab = UInt8(ascii: "\t"), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")

            func decode(_ range: Range<Int>) throws -> String {
                guard let text = String(validating: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) else {
                    throw InputError(file: file, line: lineNumber, message: "a field is not valid UTF-8")
                }
                return text
            }

            while start < bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != lf { end += 1 }
                lineNumber += 1
                var lineEnd = end
                if lineEnd > start && bytes[lineEnd - 1] == cr { lineEnd -= 1 }
                defer { start = end + 1 }
                if lineEnd == start { continue }
                fieldRanges.removeAll(keepingCapacity: true)
                var fieldStart = start
                for index in start..<lineEnd where bytes[index] == tab {
                    fieldRanges.append(fieldStart..<index)
                    fieldStart = index + 1
                }
                fieldRanges.append(fieldStart..<lineEnd)
                if indexes.isEmpty {
                    let header = try fieldRanges.map(decode)
                    indexes = try columnIndexes(header: header, wanted: wanted, requiredCount: requiredCount, file: file)
                    for (position, index) in indexes.enumerated() { if let index { wantedByColumn[index] = position } }
                    continue
                }
                var values = [String?](repeating: nil, count: wanted.count)
                for (column, range) in fieldRanges.enumerated() {
                    if let position = wantedByColumn[column] { values[position] = try decode(range) }
                }
                try body(Row(line: lineNumber, values: values))
            }
            if indexes.isEmpty {
                throw InputError(file: file, line: 1, message: "the file is empty: expected a header line")
            }
        }
    }
}

/// O*NET's cell conventions: `n/a` or nothing is an empty value; `Y` / `N` flags.
enum ONetValue {
    /// Fast paths first: these run over a million times per release, and Foundation's
    /// trimming is slow on Linux.
    static func isEmpty(_ text: String?) -> Bool {
        guard let text else { return true }
        if text.isEmpty || text == "n/a" { return true }
        if text.utf8.count > 6 { return false }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty || trimmed.lowercased() == "n/a"
    }

    static func double(_ text: String?, file: String, line: Int, column: String) throws -> Double? {
        guard let text else { return nil }
        if let value = Double(text) { return value }
        if isEmpty(text) { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let value = Double(trimmed) else {
            throw InputError(file: file, line: line, column: column, message: "\"\(trimmed)\" is not a number (nor n/a)")
        }
        return value
    }

    static func int(_ text: String?, file: String, line: Int, column: String) throws -> Int? {
        if let text, let value = Int(text) { return value }
        guard let value = try double(text, file: file, line: line, column: column) else { return nil }
        return Int(value)
    }

    static func flag(_ text: String?, file: String, line: Int, column: String) throws -> Bool? {
        switch text {
        case "Y": return true
        case "N": return false
        default: break
        }
        if isEmpty(text) { return nil }
        switch text!.trimmingCharacters(in: .whitespaces).uppercased() {
        case "Y", "YES", "TRUE", "1": return true
        case "N", "NO", "FALSE", "0": return false
        case let other:
            throw InputError(file: file, line: line, column: column, message: "\"\(other)\" is not a Y/N flag (nor n/a)")
        }
    }

    static func text(_ text: String?) -> String? {
        guard let text, !text.isEmpty, text != "n/a" else { return nil }
        if let first = text.unicodeScalars.first, let last = text.unicodeScalars.last, first != " ", last != " " { return text }
        return isEmpty(text) ? nil : text.trimmingCharacters(in: .whitespaces)
    }
}
