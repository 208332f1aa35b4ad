import Foundation

/// The text encodings a user's delimited file comes in: what spreadsheets save.
public enum TextEncoding: String, Sendable, Codable, CaseIterable {
    /// UTF-8, with or without a byte-order mark ("CSV UTF-8" in Excel).
    case utf8
    /// UTF-16 with a byte-order mark, little- or big-endian (Excel's "Unicode Text").
    case utf16
    /// Windows-1252 (Excel's plain "CSV" on a Western-European Windows). Differs from Latin-1
    /// in 0x80-0x9F: euro sign, curly quotes, dashes, the oe ligature.
    case windows1252 = "windows-1252"

    /// Accepts the names users type: `utf8`, `UTF-8`, `utf-16`, `cp1252`, `windows-1252`, `ansi`.
    public init?(userInput: String) {
        switch userInput.lowercased().filter({ $0.isLetter || $0.isNumber }) {
        case "utf8": self = .utf8
        case "utf16", "utf16le", "utf16be", "unicode": self = .utf16
        case "windows1252", "cp1252", "win1252", "ansi": self = .windows1252
        default: return nil
        }
    }

    public var label: String {
        switch self {
        case .utf8: "UTF-8"
        case .utf16: "UTF-16"
        case .windows1252: "Windows-1252"
        }
    }
}

/// A user's text file as UTF-8, whatever it was saved in.
///
/// ```swift
/// let text = try InputText.decode(try Data(contentsOf: url), file: "titles.csv")
/// text.encoding      // .windows1252 for Excel's default "CSV (Comma delimited)"
/// try CSVReader(separator: text.delimiter()).records(text.utf8, file: "titles.csv")
/// ```
public struct InputText: Sendable {
    /// The text as UTF-8 without a byte-order mark.
    public var utf8: Data
    public var encoding: TextEncoding
    /// False when the encoding was named (`--encoding`), true when it was detected.
    public var detected: Bool

    /// Decodes `data`: named by `encoding`, or detected from its byte-order mark, else UTF-8 when
    /// it is valid UTF-8, else Windows-1252. Throws with the first line that cannot be decoded and
    /// how to save the file as CSV UTF-8.
    public static func decode(_ data: Data, file: String, encoding: TextEncoding? = nil) throws -> InputText {
        let bom = ByteOrderMark(Array(data.prefix(3)))
        // The usual case, valid UTF-8, is checked in place: a large file is not copied.
        let isUTF8 = data.withUnsafeBytes { String(validating: $0.bindMemory(to: UInt8.self), as: UTF8.self) != nil }
        if isUTF8 && (encoding ?? .utf8) == .utf8 && bom != .utf16LE && bom != .utf16BE {
            return InputText(utf8: bom == .utf8 ? data.dropFirst(3) : data, encoding: .utf8, detected: encoding == nil)
        }
        let bytes = [UInt8](data)
        switch encoding ?? bom?.encoding {
        case .utf8?:
            let body = bom == .utf8 ? bytes.dropFirst(3) : bytes[...]
            try requireUTF8(body, file: file, named: encoding != nil)
            return InputText(utf8: Data(body), encoding: .utf8, detected: encoding == nil)
        case .utf16?:
            return InputText(utf8: try utf16(bytes, bom: bom, file: file), encoding: .utf16, detected: encoding == nil)
        case .windows1252?:
            let body = bom == .utf8 ? bytes.dropFirst(3) : bytes[...]
            return InputText(utf8: try windows1252(body, file: file), encoding: .windows1252, detected: encoding == nil)
        case nil:
            // UTF-16 without a byte-order mark: every other byte of Latin text is 0.
            if bytes.prefix(64).filter({ $0 == 0 }).count > 8 {
                throw InputError(file: file, line: 1, message: "the file looks like UTF-16 without a byte-order mark. "
                                 + Self.saveAsUTF8 + ", or give --encoding utf16")
            }
            return InputText(utf8: try windows1252(bytes[...], file: file), encoding: .windows1252, detected: true)
        }
    }

    /// How to make a file JobForge reads.
    public static let saveAsUTF8 = "In Excel choose File > Save As > \"CSV UTF-8 (Comma delimited)\" "
        + "(LibreOffice: Save As > Text CSV, character set Unicode (UTF-8))"

    private enum ByteOrderMark: Equatable {
        case utf8, utf16LE, utf16BE
        init?(_ bytes: [UInt8]) {
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { self = .utf8 }
            else if bytes.starts(with: [0xFF, 0xFE]) { self = .utf16LE }
            else if bytes.starts(with: [0xFE, 0xFF]) { self = .utf16BE }
            else { return nil }
        }
        var encoding: TextEncoding { self == .utf8 ? .utf8 : .utf16 }
    }

    private static func requireUTF8(_ bytes: ArraySlice<UInt8>, file: String, named: Bool) throws {
        guard String(validating: bytes, as: UTF8.self) == nil else { return }
        // The line of the first byte that breaks UTF-8: the longest valid prefix ends there.
        var line = 1
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while case .scalarValue(let scalar) = decoder.decode(&iterator) {
            if scalar == "\n" { line += 1 }
        }
        let hint = named ? "it is not UTF-8 as --encoding says: try --encoding windows-1252, or s" : "S"
        throw InputError(file: file, line: line, message: "a byte that is not UTF-8; \(hint)ave the file as UTF-8: "
                         + Self.saveAsUTF8)
    }

    private static func utf16(_ bytes: [UInt8], bom: ByteOrderMark?, file: String) throws -> Data {
        let bigEndian = bom == .utf16BE
        let start = (bom == .utf16LE || bom == .utf16BE) ? 2 : 0
        guard (bytes.count - start) % 2 == 0 else {
            throw InputError(file: file, line: 0, message: "not UTF-16: an odd number of bytes. " + Self.saveAsUTF8)
        }
        var units: [UInt16] = []
        units.reserveCapacity((bytes.count - start) / 2)
        var index = start
        while index + 1 < bytes.count {
            let (high, low) = bigEndian ? (bytes[index], bytes[index + 1]) : (bytes[index + 1], bytes[index])
            units.append(UInt16(high) << 8 | UInt16(low))
            index += 2
        }
        var output: [UInt8] = []
        output.reserveCapacity(units.count * 2)
        var line = 1
        let failed = transcode(units.makeIterator(), from: UTF16.self, to: UTF8.self, stoppingOnError: true) { unit in
            if unit == UInt8(ascii: "\n") { line += 1 }
            output.append(unit)
        }
        guard !failed else {
            throw InputError(file: file, line: line, message: "not valid UTF-16 (a broken surrogate pair). " + Self.saveAsUTF8)
        }
        return Data(output)
    }

    /// Windows-1252's 0x80-0x9F; nil marks the five bytes it leaves undefined.
    private static let windows1252High: [Unicode.Scalar?] = [
        "\u{20AC}", nil, "\u{201A}", "\u{0192}", "\u{201E}", "\u{2026}", "\u{2020}", "\u{2021}",
        "\u{02C6}", "\u{2030}", "\u{0160}", "\u{2039}", "\u{0152}", nil, "\u{017D}", nil,
        nil, "\u{2018}", "\u{2019}", "\u{201C}", "\u{201D}", "\u{2022}", "\u{2013}", "\u{2014}",
        "\u{02DC}", "\u{2122}", "\u{0161}", "\u{203A}", "\u{0153}", nil, "\u{017E}", "\u{0178}",
    ]

    private static func windows1252(_ bytes: ArraySlice<UInt8>, file: String) throws -> Data {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + bytes.count / 8)
        var line = 1
        for byte in bytes {
            if byte < 0x80 {
                if byte == UInt8(ascii: "\n") { line += 1 }
                output.append(byte)
                continue
            }
            let scalar: Unicode.Scalar
            if byte < 0xA0 {
                guard let mapped = windows1252High[Int(byte - 0x80)] else {
                    throw InputError(file: file, line: line, message: String(format: "byte 0x%02X is neither UTF-8 nor Windows-1252: ", byte)
                                     + "the file is in another encoding. " + Self.saveAsUTF8)
                }
                scalar = mapped
            } else {
                scalar = Unicode.Scalar(byte)
            }
            output.append(contentsOf: UTF8.encode(scalar)!)
        }
        return Data(output)
    }

    /// The field delimiter of this text: `--delimiter` when given, else detected.
    public func delimiter() -> Character { Delimiter.detect(utf8) }
}

/// Field delimiters of a user's file: comma, semicolon (French-Canadian Excel) or tab.
public enum Delimiter {
    public static let candidates: [Character] = [",", ";", "\t"]

    /// Accepts `,` `;` `tab` `\t` `comma` `semicolon`.
    public static func userInput(_ text: String) -> Character? {
        switch text.lowercased() {
        case ",", "comma": ","
        case ";", "semicolon": ";"
        case "\t", "\\t", "tab": "\t"
        default: nil
        }
    }

    public static func label(_ delimiter: Character) -> String {
        switch delimiter {
        case ";": "semicolon"
        case "\t": "tab"
        default: "comma"
        }
    }

    /// The delimiter that splits the header and the first rows into the same number of fields,
    /// the most fields among those; comma when none splits the header (a one-column file).
    /// Quotes are respected: a semicolon file's notes may hold commas.
    public static func detect(_ utf8: Data, rows: Int = 20) -> Character {
        var best: (delimiter: Character, consistent: Int, fields: Int) = (",", -1, 0)
        for candidate in candidates {
            let counts = fieldCounts(utf8, delimiter: candidate.asciiValue!, records: rows + 1)
            guard let header = counts.first, header > 1 else { continue }
            let consistent = counts.dropFirst().filter { $0 == header }.count
            if consistent > best.consistent || (consistent == best.consistent && header > best.fields) {
                best = (candidate, consistent, header)
            }
        }
        return best.delimiter
    }

    /// Fields per record of the first `records` records, quote-aware.
    private static func fieldCounts(_ utf8: Data, delimiter: UInt8, records: Int) -> [Int] {
        var counts: [Int] = []
        var fields = 1
        var inQuotes = false
        var recordHasText = false
        for byte in utf8 {
            if byte == UInt8(ascii: "\"") { inQuotes.toggle(); recordHasText = true; continue }
            if inQuotes { continue }
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                if recordHasText { counts.append(fields) }
                if counts.count == records { return counts }
                fields = 1
                recordHasText = false
            } else {
                recordHasText = true
                if byte == delimiter { fields += 1 }
            }
        }
        if recordHasText { counts.append(fields) }
        return counts
    }
}
