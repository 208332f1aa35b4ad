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

    /// One data row as bytes: where the requested columns' values are, in the order they were asked
    /// for. The rating files have over a hundred thousand rows that repeat a few hundred distinct
    /// strings, so their parser reads the bytes and makes a String only for a value it has not seen.
    /// Every requested field is valid UTF-8 (checked before the row is handed out).
    struct RawRow {
        var line: Int
        /// The file's bytes (a scratch buffer for a comma-separated file): valid during the call only.
        var bytes: UnsafeBufferPointer<UInt8>
        /// Per requested column, its range in `bytes`; nil when the file or this row has no such column.
        var ranges: [Range<Int>?]

        /// The field's bytes, or nil when absent.
        func field(_ position: Int) -> UnsafeBufferPointer<UInt8>? {
            ranges[position].map { UnsafeBufferPointer(rebasing: bytes[$0]) }
        }

        func string(_ position: Int) -> String? {
            field(position).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// Calls `body` for every data row. `required` columns must exist (an `InputError` names the
    /// missing ones and the header found); `optional` ones may be absent.
    static func forEachRow(_ data: Data, file: String, required: [String], optional: [String] = [],
                           _ body: (Row) throws -> Void) throws {
        try forEachRawRow(data, file: file, required: required, optional: optional) { row in
            try body(Row(line: row.line, values: row.ranges.indices.map(row.string)))
        }
    }

    /// `forEachRow` without making Strings: the fields as bytes.
    static func forEachRawRow(_ data: Data, file: String, required: [String], optional: [String] = [],
                              _ body: (RawRow) throws -> Void) throws {
        let wanted = required + optional
        let firstLineEnd = data.firstIndex(of: UInt8(ascii: "\n")) ?? data.endIndex
        let firstLine = data[data.startIndex..<firstLineEnd]
        let isTabDelimited = firstLine.contains(UInt8(ascii: "\t")) || !firstLine.contains(UInt8(ascii: ","))
        if isTabDelimited {
            try forEachTabRow(data, file: file, wanted: wanted, requiredCount: required.count, body)
        } else {
            // Rare (a re-saved export): the CSV reader's Strings go back to bytes in a scratch buffer.
            var indexes: [Int?] = []
            var scratch: [UInt8] = []
            try CSVReader().forEachRecord(data, file: file) { record in
                if indexes.isEmpty {
                    indexes = try columnIndexes(header: record.fields, wanted: wanted, requiredCount: required.count, file: file)
                    return
                }
                scratch.removeAll(keepingCapacity: true)
                let ranges = indexes.map { index -> Range<Int>? in
                    guard let index, index < record.fields.count else { return nil }
                    let start = scratch.count
                    scratch.append(contentsOf: record.fields[index].utf8)
                    return start..<scratch.count
                }
                try scratch.withUnsafeBufferPointer { bytes in
                    try body(RawRow(line: record.line, bytes: bytes, ranges: ranges))
                }
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
                                      _ body: (RawRow) throws -> Void) throws {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            let count = bytes.count
            var start = 0
            if count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { start = 3 }
            var lineNumber = 0
            /// Per column of the file, the position of the requested column it holds, or -1;
            /// empty until the header is read.
            var wantedByColumn: [Int] = []
            // One row value for every line: once `body` has returned, its ranges array is uniquely
            // referenced again and is filled in place, without an allocation per row.
            var row = RawRow(line: 0, bytes: bytes, ranges: [Range<Int>?](repeating: nil, count: wanted.count))
            let tab = UInt8(ascii: "\t"), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")

            func decode(_ range: Range<Int>) throws -> String {
                guard let text = String(validating: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) else {
                    throw InputError(file: file, line: lineNumber, message: "a field is not valid UTF-8")
                }
                return text
            }

            while start < count {
                var end = start
                if let base = bytes.baseAddress, let found = memchr(base + start, Int32(lf), count - start) {
                    end = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                } else {
                    end = count
                }
                lineNumber += 1
                var lineEnd = end
                if lineEnd > start && bytes[lineEnd - 1] == cr { lineEnd -= 1 }
                defer { start = end + 1 }
                if lineEnd == start { continue }

                if wantedByColumn.isEmpty {
                    var header: [String] = []
                    var fieldStart = start
                    for index in start...lineEnd where index == lineEnd || bytes[index] == tab {
                        header.append(try decode(fieldStart..<index))
                        fieldStart = index + 1
                    }
                    let indexes = try columnIndexes(header: header, wanted: wanted, requiredCount: requiredCount, file: file)
                    wantedByColumn = [Int](repeating: -1, count: header.count)
                    for (position, index) in indexes.enumerated() { if let index { wantedByColumn[index] = position } }
                    continue
                }

                // One pass over the line: the requested fields' ranges, and whether it is all ASCII.
                let highBits = row.ranges.withUnsafeMutableBufferPointer { ranges -> UInt8 in
                    for position in ranges.indices { ranges[position] = nil }
                    var highBits: UInt8 = 0
                    var column = 0
                    var fieldStart = start
                    for index in start...lineEnd {
                        let byte = index < lineEnd ? bytes[index] : tab
                        highBits |= byte
                        guard byte == tab else { continue }
                        if column < wantedByColumn.count, wantedByColumn[column] >= 0 {
                            ranges[wantedByColumn[column]] = fieldStart..<index
                        }
                        column += 1
                        fieldStart = index + 1
                    }
                    return highBits
                }
                if highBits >= 0x80 {
                    // Only the requested fields must be valid UTF-8, as when each was decoded.
                    for range in row.ranges { if let range { _ = try decode(range) } }
                }
                row.line = lineNumber
                try body(row)
            }
            if wantedByColumn.isEmpty {
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

/// The same conventions read straight from a field's bytes, for the rating files' hot loop.
/// Each returns nil when the bytes are not its simple case; the caller then decodes the field and
/// takes the String path above, so results and errors stay those of the String functions.
extension ONetValue {
    /// `""` or `n/a`: an empty value for every kind of column.
    static func isPlainEmpty(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.isEmpty || (bytes.count == 3 && bytes[0] == UInt8(ascii: "n") && bytes[1] == UInt8(ascii: "/")
            && bytes[2] == UInt8(ascii: "a"))
    }

    /// Exact powers of ten as Doubles (every one up to 10^22 is).
    private static let powersOfTen: [Double] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15]

    /// `4.38`, `-0.5`, `12`: at most 15 digits, so the digits make an integer below 2^53 and the
    /// division by an exact power of ten is correctly rounded (Clinger's fast path), which gives
    /// the very Double that `Double("4.38")` gives. Anything else (exponents, `.5`, spaces): nil.
    static func plainDouble(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        var index = 0
        let negative = !bytes.isEmpty && bytes[0] == UInt8(ascii: "-")
        if negative { index = 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var fractionDigits = 0
        var sawPoint = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                guard digits < 15 else { return nil }
                mantissa = mantissa * 10 + UInt64(byte - UInt8(ascii: "0"))
                digits += 1
                if sawPoint { fractionDigits += 1 }
            } else if byte == UInt8(ascii: "."), !sawPoint, digits > 0 {
                sawPoint = true
            } else {
                return nil
            }
            index += 1
        }
        guard digits > 0, !sawPoint || fractionDigits > 0 else { return nil }
        let value = Double(mantissa) / powersOfTen[fractionDigits]
        return negative ? -value : value
    }

    /// `8`, `30`: unsigned digits that fit an Int.
    static func plainInt(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// `Y` / `N`.
    static func plainFlag(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool? {
        guard bytes.count == 1 else { return nil }
        switch bytes[0] {
        case UInt8(ascii: "Y"): return true
        case UInt8(ascii: "N"): return false
        default: return nil
        }
    }
}
