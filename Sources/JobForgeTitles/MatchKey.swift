import Foundation

/// The form titles are compared in: lowercase, punctuation and runs of spaces collapsed to one
/// space, trimmed (`"Sr.  Data-Scientist"` -> `"sr data scientist"`). The same result as
/// `String.normalizedForMatching`, with an ASCII fast path: the resolver normalizes each unit
/// group's OaSIS titles (~20,000 in all) the first time it meets the group.
enum MatchKey {
    static func make(_ text: String) -> String {
        let utf8 = text.utf8
        guard utf8.allSatisfy({ $0 < 0x80 }) else { return text.normalizedForMatching }
        // Never longer than the input: a space is only written for dropped bytes before a kept one.
        return String(unsafeUninitializedCapacity: utf8.count) { out in
            var count = 0
            var pendingSpace = false
            for byte in utf8 {
                let kept: UInt8
                switch byte {
                case 0x41...0x5A: kept = byte + 32
                case 0x61...0x7A, 0x30...0x39: kept = byte
                default:
                    pendingSpace = true
                    continue
                }
                if pendingSpace && count > 0 {
                    out[count] = 0x20
                    count += 1
                }
                pendingSpace = false
                out[count] = kept
                count += 1
            }
            return count
        }
    }
}

extension String {
    /// `MatchKey.make(self)`.
    var matchKey: String { MatchKey.make(self) }
}
