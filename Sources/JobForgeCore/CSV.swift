import Foundation

/// A record of a CSV file, with the line it starts on (1-based, the header is line 1).
public struct CSVRecord: Sendable {
    public var fields: [String]
    public var line: Int
}

/// An error in a delimited file, with the place it happened so the user can open the file there.
public struct InputError: Error, Sendable, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int
    public var column: String?
    public var message: String

    public init(file: String, line: Int, column: String? = nil, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        var place = "\(file):\(line)"
        if let column { place += ", column \"\(column)\"" }
        return "\(place): \(message)"
    }
}

/// RFC 4180 reader: quoted fields with commas, quotes (`""`) and line breaks, CRLF or LF,
/// an optional UTF-8 byte-order mark. Works on bytes for speed; fields are decoded as UTF-8.
public struct CSVReader: Sendable {
    public var separator: UInt8

    public init(separator: Character = ",") {
        self.separator = separator.asciiValue ?? UInt8(ascii: ",")
    }

    /// Parses all records of `data`. `file` names the input in errors.
    public func records(_ data: Data, file: String) throws -> [CSVRecord] {
        var result: [CSVRecord] = []
        try forEachRecord(data, file: file) { result.append($0) }
        return result
    }

    /// Calls `body` for each record, in order, without keeping the file's records in memory.
    public func forEachRecord(_ data: Data, file: String, _ body: (CSVRecord) throws -> Void) throws {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var index = 0
            let count = bytes.count
            if count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
            var line = 1
            var fields: [String] = []
            var field: [UInt8] = []
            field.reserveCapacity(256)
            var recordLine = 1
            var inQuotes = false
            var fieldWasQuoted = false
            var atRecordStart = true
            let quote = UInt8(ascii: "\""), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")

            func finishField() throws {
                guard let text = String(validating: field, as: UTF8.self) else {
                    throw InputError(file: file, line: recordLine, message: "field \(fields.count + 1) is not valid UTF-8")
                }
                fields.append(text)
                field.removeAll(keepingCapacity: true)
                fieldWasQuoted = false
            }
            while index < count {
                let byte = bytes[index]
                if atRecordStart { recordLine = line; atRecordStart = false }
                if inQuotes {
                    if byte == quote {
                        if index + 1 < count, bytes[index + 1] == quote {
                            field.append(quote); index += 2; continue
                        }
                        inQuotes = false
                    } else {
                        if byte == lf { line += 1 }
                        field.append(byte)
                    }
                    index += 1
                    continue
                }
                switch byte {
                case quote:
                    if field.isEmpty && !fieldWasQuoted {
                        inQuotes = true
                        fieldWasQuoted = true
                    } else {
                        throw InputError(file: file, line: line, message: "a quote inside an unquoted field (field \(fields.count + 1)); quote the whole field and double the inner quotes")
                    }
                case separator:
                    try finishField()
                case cr, lf:
                    try finishField()
                    if byte == cr, index + 1 < count, bytes[index + 1] == lf { index += 1 }
                    if !(fields.count == 1 && fields[0].isEmpty) {
                        try body(CSVRecord(fields: fields, line: recordLine))
                    }
                    fields.removeAll(keepingCapacity: true)
                    line += 1
                    atRecordStart = true
                default:
                    if fieldWasQuoted {
                        throw InputError(file: file, line: line, message: "text after the closing quote of field \(fields.count + 1)")
                    }
                    field.append(byte)
                }
                index += 1
            }
            if inQuotes {
                throw InputError(file: file, line: recordLine, message: "a quoted field is never closed (missing \")")
            }
            if !atRecordStart {
                try finishField()
                if !(fields.count == 1 && fields[0].isEmpty) {
                    try body(CSVRecord(fields: fields, line: recordLine))
                }
            }
        }
    }
}

/// RFC 4180 writer: fields quoted only when they need it, CRLF line ends.
public enum CSVWriter {
    public static func escape(_ field: String) -> String {
        // Scans bytes, not Characters, and doubles quotes by hand: exports write millions of fields.
        var needsQuotes = false
        var hasQuote = false
        for byte in field.utf8 {
            switch byte {
            case UInt8(ascii: "\""): hasQuote = true; needsQuotes = true
            case UInt8(ascii: ","), 0x0A, 0x0D: needsQuotes = true
            default: continue
            }
        }
        guard needsQuotes else { return field }
        guard hasQuote else { return "\"" + field + "\"" }
        var bytes: [UInt8] = [UInt8(ascii: "\"")]
        bytes.reserveCapacity(field.utf8.count + 8)
        for byte in field.utf8 {
            bytes.append(byte)
            if byte == UInt8(ascii: "\"") { bytes.append(byte) }
        }
        bytes.append(UInt8(ascii: "\""))
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func line(_ fields: [String]) -> String {
        fields.map(escape).joined(separator: ",") + "\r\n"
    }

    /// The UTF-8 byte-order mark Excel needs to read a CSV file as UTF-8.
    public static let byteOrderMark = "\u{FEFF}"
}

extension String {
    /// Trims spaces, tabs and non-breaking spaces, as found around OaSIS header names.
    public var trimmingSpacesAndNBSP: String {
        // Hand-rolled: Foundation's trimmingCharacters bridges through NSString on Linux and
        // dominated the OaSIS load. Most fields need no trimming and are returned as they are.
        let scalars = unicodeScalars
        func isSpace(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar.value {
            case 0x20, 0x09, 0x0A, 0x0D, 0xA0, 0x202F: true
            default: false
            }
        }
        guard let first = scalars.first, let last = scalars.last, isSpace(first) || isSpace(last) else { return self }
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, isSpace(scalars[start]) { start = scalars.index(after: start) }
        while end > start, isSpace(scalars[scalars.index(before: end)]) { end = scalars.index(before: end) }
        return String(scalars[start..<end])
    }

    /// Lowercased, punctuation removed, runs of spaces collapsed: for matching names and titles.
    public var normalizedForMatching: String {
        var out = ""
        var pendingSpace = false
        for scalar in self.lowercased().unicodeScalars {
            if CharacterSet.alphanumerics.contains(scalar) {
                if pendingSpace && !out.isEmpty { out.append(" ") }
                pendingSpace = false
                out.unicodeScalars.append(scalar)
            } else {
                pendingSpace = true
            }
        }
        return out
    }
}
