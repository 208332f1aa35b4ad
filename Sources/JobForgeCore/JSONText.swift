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
        var out = "{"
        out.reserveCapacity(values.count * 32)
        for (index, key) in values.keys.sorted().enumerated() {
            if index > 0 { out += "," }
            out += quote(key)
            out += ":"
            out += quote(values[key]!)
        }
        return out + "}"
    }

    public static func quote(_ text: String) -> String {
        // Most values need no escaping: check the bytes once and skip the per-scalar loop.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            return "\"" + text + "\""
        }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    public static func decodeArray(_ text: String?) -> [String] {
        guard let text else { return [] }
        // Fast path for what this module writes without escapes: ["a","b"].
        if text.hasPrefix("[\""), text.hasSuffix("\"]"), !text.contains("\\") {
            return text.dropFirst(2).dropLast(2).components(separatedBy: "\",\"")
        }
        if text == "[]" { return [] }
        guard let data = text.data(using: .utf8) else { return [] }
        return (try? JSONDecoder().decode([String].self, from: data)) ?? []
    }

    public static func decodeObject(_ text: String?) -> [String: String] {
        guard let text, let data = text.data(using: .utf8) else { return [:] }
        return (try? JSONDecoder().decode([String: String].self, from: data)) ?? [:]
    }
}
