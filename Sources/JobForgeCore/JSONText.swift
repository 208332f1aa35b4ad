import Foundation

/// Small, fast JSON for the string arrays and string maps kept in TEXT columns.
public enum JSONText {
    public static func array(_ values: [String]) -> String {
        // The common case, one plain code, without the general escaping loop.
        if values.count == 1, let only = values.first,
           only.utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            return "[\"" + only + "\"]"
        }
        return "[" + values.map(quote).joined(separator: ",") + "]"
    }

    public static func object(_ values: [String: String]) -> String {
        // Byte by byte into one buffer: the O*NET tier writes ~190,000 of these per build.
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        bytes.reserveCapacity(values.count * 40)
        for (index, key) in values.keys.sorted().enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            appendQuoted(key, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            appendQuoted(values[key]!, to: &bytes)
        }
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// ``object(_:)`` of pairs already in key order, a nil value left out as a missing key is:
    /// the same text without building and sorting a dictionary (an import writes one per title).
    /// The keys must be sorted as `String` sorts them and distinct.
    public static func object(sortedPairs pairs: KeyValuePairs<String, String?>) -> String {
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        bytes.reserveCapacity(pairs.count * 40)
        for (key, value) in pairs {
            guard let value else { continue }
            if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
            appendQuoted(key, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            appendQuoted(value, to: &bytes)
        }
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `text` quoted as `quote(_:)` gives it, without an intermediate string. Escapes at
    /// the byte level, which is exact for UTF-8: every byte of a multi-byte sequence is 0x80 or
    /// above and passes through.
    ///
    /// ```swift
    /// var bytes: [UInt8] = []
    /// JSONText.appendQuoted("a \"b\"", to: &bytes)   // "a \"b\""
    /// ```
    public static func appendQuoted(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { appendEscaped($0, to: &bytes) }
        if done == nil { Array(text.utf8).withUnsafeBufferPointer { appendEscaped($0, to: &bytes) } }
        bytes.append(UInt8(ascii: "\""))
    }

    /// The inside of ``appendQuoted(_:to:)``: `utf8` escaped, without the quotes (for bytes that
    /// are already JSON, say, quoted as a JSON string). Runs that need no escape, most texts
    /// whole, are copied at once (an import quotes a dozen texts per title, an export one per row).
    public static func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>, to bytes: inout [UInt8]) {
        var start = 0
        for index in utf8.indices {
            let byte = utf8[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            bytes += UnsafeBufferPointer(rebasing: utf8[start..<index])
            start = index + 1
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
            case 0x0A: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
            default: bytes += Array(String(format: "\\u%04x", byte).utf8)
            }
        }
        bytes += UnsafeBufferPointer(rebasing: utf8[start...])
    }

    public static func quote(_ text: String) -> String {
        // Most values need no escaping: check the bytes once and skip the per-scalar loop.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            return "\"" + text + "\""
        }
        // Byte by byte, not scalar by scalar: an LLM request quotes its whole user message (a JSON
        // document, full of quotes) into the body, for every request of a 20,000-title dry run.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + text.utf8.count / 8 + 2)
        appendQuoted(text, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func decodeArray(_ text: String?) -> [String] {
        guard let text else { return [] }
        // Fast path for what this module writes without escapes: ["a","b"].
        if text.hasPrefix("[\""), text.hasSuffix("\"]"), !text.utf8.contains(UInt8(ascii: "\\")) {
            // Split the inside on `","` without Foundation (no element holds a quote: it would be escaped).
            let inner = Array(text.utf8.dropFirst(2).dropLast(2))
            var items: [String] = []
            var start = 0
            var index = 0
            while index + 2 < inner.count {
                if inner[index] == 0x22, inner[index + 1] == 0x2C, inner[index + 2] == 0x22 {
                    items.append(String(decoding: inner[start..<index], as: UTF8.self))
                    index += 3
                    start = index
                } else {
                    index += 1
                }
            }
            items.append(String(decoding: inner[start...], as: UTF8.self))
            return items
        }
        if text == "[]" { return [] }
        guard let data = text.data(using: .utf8) else { return [] }
        return (try? JSONDecoder().decode([String].self, from: data)) ?? []
    }

    public static func decodeObject(_ text: String?) -> [String: String] {
        guard let text, !text.isEmpty else { return [:] }
        if let parsed = parseFlatObject(text) { return parsed }
        guard let data = text.data(using: .utf8) else { return [:] }
        return (try? JSONDecoder().decode([String: String].self, from: data)) ?? [:]
    }

    /// A parser for exactly what `object(_:)` writes, a flat map of strings: reading hundreds of
    /// thousands of them through JSONDecoder dominated exports. Anything else returns nil.
    static func parseFlatObject(_ text: String) -> [String: String]? {
        let bytes = Array(text.utf8)
        var index = 0
        func skipSpaces() { while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A { index += 1 } }
        func string() -> String? {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
            index += 1
            var out: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") { index += 1; return String(decoding: out, as: UTF8.self) }
                if byte == UInt8(ascii: "\\") {
                    guard index + 1 < bytes.count else { return nil }
                    let escaped = bytes[index + 1]
                    index += 2
                    switch escaped {
                    case UInt8(ascii: "\""): out.append(0x22)
                    case UInt8(ascii: "\\"): out.append(0x5C)
                    case UInt8(ascii: "/"): out.append(0x2F)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    default: return nil // \u and the rest: leave them to JSONDecoder
                    }
                    continue
                }
                out.append(byte)
                index += 1
            }
            return nil
        }
        skipSpaces()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { return nil }
        index += 1
        var result: [String: String] = [:]
        skipSpaces()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { return result }
        while true {
            skipSpaces()
            guard let key = string() else { return nil }
            skipSpaces()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            skipSpaces()
            guard let value = string() else { return nil }
            result[key] = value
            skipSpaces()
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { return result }
            return nil
        }
    }
}
