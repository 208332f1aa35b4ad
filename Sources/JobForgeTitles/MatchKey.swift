import Foundation

/// The form titles are compared in: lowercase, punctuation and runs of spaces collapsed to one
/// space, trimmed (`"Sr.  Data-Scientist"` -> `"sr data scientist"`). The same result as
/// `String.normalizedForMatching`, with an ASCII fast path: the resolver normalizes ~20,000
/// OaSIS titles when it is built.
enum MatchKey {
    static func make(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        var asciiOnly = true
        for scalar in text.unicodeScalars where !scalar.isASCII { asciiOnly = false; break }
        guard asciiOnly else { return text.normalizedForMatching }
        for scalar in text.unicodeScalars {
            let v = scalar.value
            let keep: UInt32?
            switch v {
            case 0x41...0x5A: keep = v + 32
            case 0x61...0x7A, 0x30...0x39: keep = v
            default: keep = nil
            }
            if let keep {
                if pendingSpace && !out.isEmpty { out.append(" ") }
                pendingSpace = false
                out.append(Unicode.Scalar(keep)!)
            } else {
                pendingSpace = true
            }
        }
        return String(out)
    }
}

extension String {
    /// `MatchKey.make(self)`.
    var matchKey: String { MatchKey.make(self) }
}
