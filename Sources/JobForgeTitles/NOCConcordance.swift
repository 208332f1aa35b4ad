import Foundation
import JobForgeCore

/// NOC 2016 -> NOC 2021 unit groups, from the shipped concordance
/// (`data/crosswalk/noc_2021_2016.csv`, columns `NOC2016`, `NOC2021`). Job architectures
/// often still carry 4-digit 2016 codes; a 2016 code maps to one 2021 unit group (usable)
/// or to several (a split: the title stays unresolved with the candidates listed).
public struct NOCConcordance: Sendable {
    /// 2016 code (4 digits) -> its 2021 unit groups (5 digits), sorted.
    public private(set) var targets: [String: [String]]

    public init(targets: [String: [String]]) {
        self.targets = targets
    }

    /// Reads the concordance CSV. Codes are zero-padded (`11` -> `0011`, `10` -> `00010`).
    public init(data: Data, file: String) throws {
        let records = try CSVReader().records(data, file: file)
        guard let header = records.first else {
            throw InputError(file: file, line: 1, message: "the concordance is empty")
        }
        let names = header.fields.map(\.trimmingSpacesAndNBSP)
        guard let from = names.firstIndex(of: "NOC2016"), let to = names.firstIndex(of: "NOC2021") else {
            throw InputError(file: file, line: 1, message: "expected columns NOC2016 and NOC2021, found \(names.joined(separator: ", "))")
        }
        var map: [String: Set<String>] = [:]
        for record in records.dropFirst() {
            guard record.fields.count > max(from, to) else {
                throw InputError(file: file, line: record.line, message: "\(record.fields.count) fields, expected \(names.count)")
            }
            guard let old = Self.noc2016(record.fields[from]) else {
                throw InputError(file: file, line: record.line, column: "NOC2016", message: "\"\(record.fields[from])\" is not a NOC 2016 code")
            }
            guard let new = Codes.unitGroup(record.fields[to]) else {
                throw InputError(file: file, line: record.line, column: "NOC2021", message: "\"\(record.fields[to])\" is not a NOC 2021 code")
            }
            map[old, default: []].insert(new)
        }
        targets = map.mapValues { $0.sorted() }
    }

    public init(contentsOf url: URL) throws {
        try self.init(data: try Data(contentsOf: url), file: url.lastPathComponent)
    }

    /// The shipped concordance under a data folder.
    public static func shipped(dataDirectory: URL) throws -> NOCConcordance {
        try NOCConcordance(contentsOf: dataDirectory.appendingPathComponent("crosswalk/noc_2021_2016.csv"))
    }

    /// A NOC 2016 unit group: one to four digits, zero-padded to four. Nil for anything else.
    public static func noc2016(_ raw: String) -> String? {
        // Bare digits need no Foundation trimming (slow on Linux, and every parsed row calls this).
        if (1...4).contains(raw.utf8.count), raw.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            return String(repeating: "0", count: 4 - raw.utf8.count) + raw
        }
        let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...4).contains(trimmed.count), trimmed.allSatisfy(\.isASCIIDigit) else { return nil }
        return String(repeating: "0", count: 4 - trimmed.count) + trimmed
    }

    /// The 2021 unit groups of a 2016 code (normalized), empty when the code is unknown.
    public func unitGroups(forNOC2016 code: String) -> [String] {
        targets[code] ?? []
    }
}
