import Foundation

/// Normalization of the codes found in NOC, OaSIS and the crosswalk files.
///
/// Files disagree on how they write codes (`10010`, `10010.0`, `31100.1`, `10`):
/// everything is normalized on the way in so that files join on codes, never on labels.
public enum Codes {
    /// A NOC 2021 unit group: five digits, zero-padded (`10` -> `00010`).
    /// Returns nil for anything that is not one to five digits.
    public static func unitGroup(_ raw: String) -> String? {
        if isDigits(raw.utf8, count: 5) { return raw }
        let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...5).contains(trimmed.count), trimmed.allSatisfy(\.isASCIIDigit) else { return nil }
        return String(repeating: "0", count: 5 - trimmed.count) + trimmed
    }

    /// An OaSIS profile code `UUUUU.NN`: `10010` -> `10010.00`, `31100.1` -> `31100.10`,
    /// `10.01` -> `00010.01`. Returns nil for anything else.
    public static func profile(_ raw: String) -> String? {
        // Most codes are already written `UUUUU.NN`: check the bytes and skip the general path.
        let bytes = raw.utf8
        if bytes.count == 8, isDigits(bytes.prefix(5), count: 5), bytes[bytes.index(bytes.startIndex, offsetBy: 5)] == UInt8(ascii: "."),
           isDigits(bytes.suffix(2), count: 2) {
            return raw
        }
        let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = trimmed.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2, let unit = unitGroup(String(parts[0])) else { return nil }
        var suffix = parts.count == 2 ? String(parts[1]) : "00"
        guard (1...2).contains(suffix.count), suffix.allSatisfy(\.isASCIIDigit) else { return nil }
        // A spreadsheet turned `31100.10` into `31100.1`: the digit is tens, so pad on the right.
        if suffix.count == 1 { suffix += "0" }
        return unit + "." + suffix
    }

    private static func isDigits<Bytes: Collection<UInt8>>(_ bytes: Bytes, count: Int) -> Bool {
        bytes.count == count && bytes.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// The unit group a profile code belongs to (`21211.01` -> `21211`).
    public static func unitGroup(ofProfile profile: String) -> String {
        String(profile.prefix(5))
    }

    /// An O*NET-SOC code `NN-NNNN.NN`; a bare SOC `NN-NNNN` gets `.00`.
    public static func onetSOC(_ raw: String) -> String? {
        // Trim only when needed: an O*NET import checks a quarter of a million codes.
        let edges = raw.utf8.first.map { $0 <= 0x20 } == true || raw.utf8.last.map { $0 <= 0x20 } == true
        let trimmed = edges ? raw.trimmingCharacters(in: .whitespacesAndNewlines) : raw
        let bytes = Array(trimmed.utf8)
        func digits(_ range: Range<Int>) -> Bool { range.allSatisfy { bytes[$0] >= 48 && bytes[$0] <= 57 } }
        if bytes.count == 7, digits(0..<2), bytes[2] == UInt8(ascii: "-"), digits(3..<7) { return trimmed + ".00" }
        guard bytes.count == 10, digits(0..<2), bytes[2] == UInt8(ascii: "-"), digits(3..<7),
              bytes[7] == UInt8(ascii: "."), digits(8..<10) else { return nil }
        return trimmed
    }
}

extension Character {
    public var isASCIIDigit: Bool { isASCII && isNumber }
}
