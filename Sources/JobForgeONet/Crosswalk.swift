import Foundation
import JobForgeCore

/// The NOC 2021 <-> O*NET-SOC crosswalk, both ways. Codes are normalized on the way in
/// (`10` -> `00010`), duplicate pairs collapse, 1:N and N:1 are kept.
public struct Crosswalk: Sendable {
    /// Distinct pairs, in file order.
    public let pairs: [CrosswalkPair]
    /// Rows read from the file (before collapsing duplicates).
    public let rowCount: Int
    private let socByUnitGroup: [String: [String]]
    private let unitGroupsBySOC: [String: [String]]
    private let nocTitles: [String: String]

    public init(pairs: [CrosswalkPair], rowCount: Int? = nil) {
        var seen = Set<String>()
        var distinct: [CrosswalkPair] = []
        var socByUnitGroup: [String: [String]] = [:]
        var unitGroupsBySOC: [String: [String]] = [:]
        var nocTitles: [String: String] = [:]
        for pair in pairs where seen.insert(pair.unitGroup + "|" + pair.soc).inserted {
            distinct.append(pair)
            socByUnitGroup[pair.unitGroup, default: []].append(pair.soc)
            unitGroupsBySOC[pair.soc, default: []].append(pair.unitGroup)
            if nocTitles[pair.unitGroup] == nil { nocTitles[pair.unitGroup] = pair.nocTitle }
        }
        self.pairs = distinct
        self.rowCount = rowCount ?? pairs.count
        self.socByUnitGroup = socByUnitGroup
        self.unitGroupsBySOC = unitGroupsBySOC
        self.nocTitles = nocTitles
    }

    /// Reads the crosswalk CSV (`noc,noc_title,onet,onet_title`, by header name).
    public static func load(_ url: URL) throws -> Crosswalk {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw InputError(file: url.path, line: 0, message: "cannot read the crosswalk file: \(error.localizedDescription)")
        }
        return try parse(data, file: url.path)
    }

    public static func parse(_ data: Data, file: String) throws -> Crosswalk {
        let records = try CSVReader().records(data, file: file)
        guard let header = records.first else {
            throw InputError(file: file, line: 1, message: "the crosswalk is empty: expected a header noc,noc_title,onet,onet_title")
        }
        let names = header.fields.map(TabularFile.normalizeHeader)
        func column(_ name: String) throws -> Int {
            guard let index = names.firstIndex(of: name) else {
                throw InputError(file: file, line: 1, message: "missing column \"\(name)\"; the header has \(header.fields.joined(separator: ","))")
            }
            return index
        }
        let noc = try column("noc"), nocTitle = try column("noc_title"), onet = try column("onet"), onetTitle = try column("onet_title")
        var pairs: [CrosswalkPair] = []
        for record in records.dropFirst() {
            func field(_ index: Int) -> String { index < record.fields.count ? record.fields[index] : "" }
            guard let unitGroup = Codes.unitGroup(field(noc)) else {
                throw InputError(file: file, line: record.line, column: "noc", message: "\"\(field(noc))\" is not a NOC unit group code (1 to 5 digits)")
            }
            guard let soc = Codes.onetSOC(field(onet)) else {
                throw InputError(file: file, line: record.line, column: "onet", message: "\"\(field(onet))\" is not an O*NET-SOC code (NN-NNNN.NN)")
            }
            pairs.append(CrosswalkPair(unitGroup: unitGroup, soc: soc, nocTitle: field(nocTitle).trimmingSpacesAndNBSP,
                                       crosswalkONetTitle: field(onetTitle).trimmingSpacesAndNBSP))
        }
        return Crosswalk(pairs: pairs, rowCount: records.count - 1)
    }

    /// The O*NET-SOC codes of a unit group, in file order (empty when it has none).
    public func socCodes(forUnitGroup unitGroup: String) -> [String] { socByUnitGroup[unitGroup] ?? [] }

    /// The unit groups an O*NET-SOC code maps to.
    public func unitGroups(forSOC soc: String) -> [String] { unitGroupsBySOC[soc] ?? [] }

    public func nocTitle(_ unitGroup: String) -> String? { nocTitles[unitGroup] }

    /// Every unit group that has at least one pair, sorted.
    public var unitGroups: [String] { socByUnitGroup.keys.sorted() }

    /// Every O*NET-SOC code of the crosswalk, sorted.
    public var socCodes: [String] { unitGroupsBySOC.keys.sorted() }
}
