import Foundation

/// A record of a CSV file, with the line it starts on (1-based, the header is line 1).
public struct CSVRecord: Sendable {
    public var fields: [String]
    public var line: Int

    /// A row read from elsewhere (a workbook's sheet), numbered as the user sees it.
    public init(fields: [String], line: Int) {
        self.fields = fields
        self.line = line
    }
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

    /// A file that cannot be opened at all: its path and the reason, in one line.
    public static func unreadableFile(_ url: URL, _ error: any Error) -> InputError {
        let reason: String
        switch (error as? CocoaError)?.code {
        case .fileReadNoSuchFile?, .fileNoSuchFile?: reason = "no such file; check the path"
        case .fileReadNoPermission?: reason = "permission denied"
        case .fileReadInapplicableStringEncoding?: reason = "not text in a known encoding; save it as UTF-8"
        default: reason = error.localizedDescription
        }
        return InputError(file: url.path, line: 0, message: "cannot read the file: \(reason)")
    }

    public var description: String {
        // Line 0: the file as a whole (it cannot be opened).
        var place = line > 0 ? "\(file):\(line)" : file
        if let column { place += ", column \"\(column)\"" }
        return "\(place): \(message)"
    }
}

/// The grammar errors of `CSVReader` and `CSVTable`, worded once so both readers say the same.
enum CSVGrammarError {
    /// A NUL byte: SQLite and C strings end a text there, so the rest of the field would be lost.
    static func nulByte(file: String, line: Int, field: Int) -> InputError {
        InputError(file: file, line: line, message: "a NUL byte (0x00) in field \(field): the file is binary or damaged; remove the byte (or save the file again as UTF-8 text)")
    }

    static func quoteInsideUnquotedField(file: String, line: Int, field: Int) -> InputError {
        InputError(file: file, line: line, message: "a quote inside an unquoted field (field \(field)); quote the whole field and double the inner quotes")
    }

    /// Text after the quote that closed field `field` on `line`. When the quote opened on an
    /// earlier line, the usual cause is a closing quote missing there: the quote found later
    /// closed the field by accident, so the error names the line the quote opened on.
    static func textAfterClosingQuote(file: String, line: Int, field: Int, quoteLine: Int) -> InputError {
        guard quoteLine != line else {
            return InputError(file: file, line: line, message: "text after the closing quote of field \(field)")
        }
        return InputError(file: file, line: quoteLine, message: "the quote that opens field \(field) here is closed only on line \(line), "
                          + "where text follows it: a closing quote is probably missing on line \(quoteLine)")
    }

    static func unclosedQuote(file: String, field: Int, quoteLine: Int) -> InputError {
        InputError(file: file, line: quoteLine, message: "the quote that opens field \(field) here is never closed (missing \")")
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
            // Where the last quoted field opened: an unbalanced quote is reported there.
            var quoteLine = 1
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
                        if byte == 0 { throw CSVGrammarError.nulByte(file: file, line: line, field: fields.count + 1) }
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
                        quoteLine = line
                    } else {
                        throw CSVGrammarError.quoteInsideUnquotedField(file: file, line: line, field: fields.count + 1)
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
                        throw CSVGrammarError.textAfterClosingQuote(file: file, line: line, field: fields.count + 1, quoteLine: quoteLine)
                    }
                    if byte == 0 { throw CSVGrammarError.nulByte(file: file, line: line, field: fields.count + 1) }
                    field.append(byte)
                }
                index += 1
            }
            if inQuotes {
                throw CSVGrammarError.unclosedQuote(file: file, field: fields.count + 1, quoteLine: quoteLine)
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

/// A CSV file parsed in one pass over its bytes, each field kept as a range of one buffer, so
/// that a reader makes Strings only of the fields it keeps (a rating file is a quarter of a
/// million one-digit fields). Same grammar, errors and line numbers as `CSVReader`.
public struct CSVTable: Sendable {
    /// Every field's bytes, unquoted and unescaped, one after the other, valid UTF-8.
    public let bytes: [UInt8]
    /// Where each field starts in `bytes`; one more entry marks where the last field ends.
    /// 32 bits: a rating file has hundreds of thousands of fields, an input is never 2 GB.
    private let fieldStarts: [Int32]
    /// Each record's first field (an index into `fieldStarts`); one more entry marks the end.
    private let recordStarts: [Int32]
    /// The line each record starts on (1-based, the header is line 1).
    private let recordLines: [Int32]

    /// Parses all records of `data`. `file` names the input in errors.
    public init(_ data: Data, file: String, separator: Character = ",") throws {
        let separatorByte = separator.asciiValue ?? UInt8(ascii: ",")
        let isValidUTF8 = data.withUnsafeBytes { String(validating: $0.bindMemory(to: UInt8.self), as: UTF8.self) != nil }
        // A NUL byte is valid UTF-8 but ends a text in SQLite: refused, found at memchr's speed.
        let hasNUL = data.withUnsafeBytes { raw in raw.count > 0 && memchr(raw.baseAddress!, 0, raw.count) != nil }
        guard isValidUTF8 && !hasNUL else {
            // Only an invalid file needs to know which field broke first: the record reader says it.
            let records = try CSVReader(separator: separator).records(data, file: file)
            self.init(records: records)
            return
        }
        guard data.count < Int32.max else {
            throw InputError(file: file, line: 0, message: "the file is too large to read (2 GB or more)")
        }
        var fieldStarts: [Int32] = []
        var recordStarts: [Int32] = []
        var recordLines: [Int32] = []
        fieldStarts.reserveCapacity(data.count / 8)
        // The bytes that end a run of plain field text outside quotes.
        var isSpecial = [Bool](repeating: false, count: 256)
        for byte in [separatorByte, UInt8(ascii: "\""), UInt8(ascii: "\r"), UInt8(ascii: "\n")] { isSpecial[Int(byte)] = true }
        let bytes = try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> [UInt8] in
            let input = raw.bindMemory(to: UInt8.self)
            return try [UInt8](unsafeUninitializedCapacity: max(input.count, 1)) { output, written in
                var end = 0  // of the output
                var index = 0
                let count = input.count
                if count >= 3, input[0] == 0xEF, input[1] == 0xBB, input[2] == 0xBF { index = 3 }
                var line = 1
                var recordLine = 1
                var fieldStart = 0
                var fieldsInRecord = 0
                var inQuotes = false
                var fieldWasQuoted = false
                var quoteLine = 1
                var atRecordStart = true
                let quote = UInt8(ascii: "\""), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
                try isSpecial.withUnsafeBufferPointer { isSpecial in
                    while index < count {
                        if atRecordStart { recordLine = line; atRecordStart = false }
                        if inQuotes {
                            // A run up to the next quote, counting line breaks.
                            var next = index
                            while next < count, input[next] != quote {
                                if input[next] == lf { line += 1 }
                                next += 1
                            }
                            if next > index {
                                (output.baseAddress! + end).update(from: input.baseAddress! + index, count: next - index)
                                end += next - index
                                index = next
                                continue
                            }
                            if index + 1 < count, input[index + 1] == quote {
                                output[end] = quote; end += 1; index += 2; continue
                            }
                            inQuotes = false
                            index += 1
                            continue
                        }
                        let byte = input[index]
                        if !isSpecial[Int(byte)] {
                            if fieldWasQuoted {
                                throw CSVGrammarError.textAfterClosingQuote(file: file, line: line, field: fieldsInRecord + 1,
                                                                            quoteLine: quoteLine)
                            }
                            // A run of plain text, copied at once.
                            var next = index + 1
                            while next < count, !isSpecial[Int(input[next])] { next += 1 }
                            (output.baseAddress! + end).update(from: input.baseAddress! + index, count: next - index)
                            end += next - index
                            index = next
                            continue
                        }
                        if byte == quote {
                            guard end == fieldStart && !fieldWasQuoted else {
                                throw CSVGrammarError.quoteInsideUnquotedField(file: file, line: line, field: fieldsInRecord + 1)
                            }
                            inQuotes = true
                            fieldWasQuoted = true
                            quoteLine = line
                            index += 1
                            continue
                        }
                        // A separator or a line break ends the field.
                        fieldStarts.append(Int32(fieldStart))
                        fieldsInRecord += 1
                        fieldStart = end
                        fieldWasQuoted = false
                        if byte != separatorByte {
                            if byte == cr, index + 1 < count, input[index + 1] == lf { index += 1 }
                            // A blank line is no record.
                            if fieldsInRecord == 1 && Int(fieldStarts[fieldStarts.count - 1]) == end {
                                fieldStarts.removeLast()
                            } else {
                                recordStarts.append(Int32(fieldStarts.count - fieldsInRecord))
                                recordLines.append(Int32(recordLine))
                            }
                            fieldsInRecord = 0
                            line += 1
                            atRecordStart = true
                        }
                        index += 1
                    }
                }
                if inQuotes {
                    throw CSVGrammarError.unclosedQuote(file: file, field: fieldsInRecord + 1, quoteLine: quoteLine)
                }
                if !atRecordStart {
                    fieldStarts.append(Int32(fieldStart))
                    fieldsInRecord += 1
                    if fieldsInRecord == 1 && Int(fieldStarts[fieldStarts.count - 1]) == end {
                        fieldStarts.removeLast()
                    } else {
                        recordStarts.append(Int32(fieldStarts.count - fieldsInRecord))
                        recordLines.append(Int32(recordLine))
                    }
                }
                fieldStarts.append(Int32(end))
                written = end
            }
        }
        recordStarts.append(Int32(fieldStarts.count - 1))
        self.init(bytes: bytes, fieldStarts: fieldStarts, recordStarts: recordStarts, recordLines: recordLines)
    }

    private init(bytes: [UInt8], fieldStarts: [Int32], recordStarts: [Int32], recordLines: [Int32]) {
        self.bytes = bytes
        self.fieldStarts = fieldStarts
        self.recordStarts = recordStarts
        self.recordLines = recordLines
    }

    /// The same table from records already split.
    private init(records: [CSVRecord]) {
        var bytes: [UInt8] = []
        var fieldStarts: [Int32] = []
        var recordStarts: [Int32] = []
        for record in records {
            recordStarts.append(Int32(fieldStarts.count))
            for field in record.fields {
                fieldStarts.append(Int32(bytes.count))
                bytes += field.utf8
            }
        }
        fieldStarts.append(Int32(bytes.count))
        recordStarts.append(Int32(fieldStarts.count - 1))
        self.init(bytes: bytes, fieldStarts: fieldStarts, recordStarts: recordStarts,
                  recordLines: records.map { Int32($0.line) })
    }

    /// The number of records, the header included.
    public var count: Int { recordLines.count }

    /// The line record `record` starts on.
    public func line(_ record: Int) -> Int { Int(recordLines[record]) }

    public func fieldCount(_ record: Int) -> Int { Int(recordStarts[record + 1] - recordStarts[record]) }

    /// Where field `column` of `record` lies in `bytes`.
    @inline(__always)
    public func range(_ record: Int, _ column: Int) -> Range<Int> {
        let field = Int(recordStarts[record]) + column
        return Int(fieldStarts[field])..<Int(fieldStarts[field + 1])
    }

    public func string(_ record: Int, _ column: Int) -> String { string(range(record, column)) }

    public func string(_ range: Range<Int>) -> String {
        bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self) }
    }

    /// The field without the spaces, tabs, line breaks and non-breaking spaces around it, as
    /// `String.trimmingSpacesAndNBSP` trims them, worked out on the bytes.
    public func trimmedRange(_ range: Range<Int>) -> Range<Int> {
        bytes.withUnsafeBufferPointer { bytes in
            var start = range.lowerBound, end = range.upperBound
            while start < end {
                switch bytes[start] {
                case 0x20, 0x09, 0x0A, 0x0D: start += 1
                case 0xC2 where start + 1 < end && bytes[start + 1] == 0xA0: start += 2  // U+00A0
                case 0xE2 where start + 2 < end && bytes[start + 1] == 0x80 && bytes[start + 2] == 0xAF: start += 3  // U+202F
                default: return Self.trimmedEnd(bytes, start, end)
                }
            }
            return start..<end
        }
    }

    private static func trimmedEnd(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Range<Int> {
        var end = end
        while end > start {
            switch bytes[end - 1] {
            case 0x20, 0x09, 0x0A, 0x0D: end -= 1
            case 0xA0 where end - 2 >= start && bytes[end - 2] == 0xC2: end -= 2
            case 0xAF where end - 3 >= start && bytes[end - 3] == 0xE2 && bytes[end - 2] == 0x80: end -= 3
            default: return start..<end
            }
        }
        return start..<end
    }

    /// The field as `string(record, column).trimmingSpacesAndNBSP` would give it.
    public func trimmedString(_ record: Int, _ column: Int) -> String { string(trimmedRange(range(record, column))) }

    /// Every field of more than `byteCount` UTF-8 bytes, as (record, column), in file order: one
    /// pass over the fields' bounds, no String made (a rating file has a quarter of a million fields).
    public func fields(longerThan byteCount: Int) -> [(record: Int, column: Int)] {
        var found: [(record: Int, column: Int)] = []
        var record = 0
        for field in 0..<(fieldStarts.count - 1) where Int(fieldStarts[field + 1] - fieldStarts[field]) > byteCount {
            while Int(recordStarts[record + 1]) <= field { record += 1 }
            found.append((record, field - Int(recordStarts[record])))
        }
        return found
    }

    /// Every field of `record`, as `CSVReader` gives them.
    public func fields(_ record: Int) -> [String] { (0..<fieldCount(record)).map { string(record, $0) } }
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
