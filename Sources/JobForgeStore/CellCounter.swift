import Foundation
import GRDB
import JobForgeCore

/// Winners per subject kind, source and category (the build summary), counted from the layers'
/// cell names and the stored candidates' sources without building any cell: the cells
/// `CellReader` derives (`UnitGroupRule.cellKeys`, `TitleInheritanceRule`), each counted once by
/// the best source present. A build ends with it, so it reads ~300,000 packed lines in well
/// under a tenth of a second: cells become small integers straight from the lines' bytes.
struct CellCounter {
    private let catalog: DescriptorCatalog
    /// "descriptor TAB dimension" of each cell number, and the numbers by a hash of those bytes.
    private var names: [[UInt8]] = []
    private var numbers: [UInt64: [Int32]] = [:]
    private(set) var categoryOfCell: [Int] = []
    private(set) var isInterestRank: [Bool] = []
    private(set) var categories: [String] = []
    private var categoryNumbers: [String: Int] = [:]

    init(catalog: DescriptorCatalog) { self.catalog = catalog }

    var cellCount: Int { names.count }

    /// The number of the cell these bytes name ("descriptor TAB dimension").
    mutating func number(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        if let known = numbers[hash] {
            for number in known where names[Int(number)].elementsEqual(bytes) { return number }
        }
        let number = Int32(names.count)
        names.append(Array(bytes))
        numbers[hash, default: []].append(number)
        let tab = bytes.firstIndex(of: 0x09) ?? bytes.endIndex
        let descriptor = String(decoding: UnsafeBufferPointer(rebasing: bytes[..<tab]), as: UTF8.self)
        let dimension = tab < bytes.endIndex ? String(decoding: UnsafeBufferPointer(rebasing: bytes[(tab + 1)...]), as: UTF8.self) : ""
        var category = -1
        if let name = catalog.descriptors[descriptor]?.category.rawValue {
            if categoryNumbers[name] == nil { categoryNumbers[name] = categories.count; categories.append(name) }
            category = categoryNumbers[name]!
        }
        categoryOfCell.append(category)
        isInterestRank.append(dimension == CellDimension.interestRank.rawValue)
        return number
    }

    mutating func number(descriptor: String, dimension: String) -> Int32 {
        var bytes = Array(descriptor.utf8)
        bytes.append(0x09)
        bytes += dimension.utf8
        return bytes.withUnsafeBufferPointer { number($0) }
    }

    /// The numbers of the cells a packed row names (both layers' lines start "descriptor TAB dimension TAB").
    mutating func numbers(inPacked payload: String) -> [Int32] {
        var result: [Int32] = []
        result.reserveCapacity(256)
        ONetLayer.forEachCellBytes(payload) { result.append(number($0)) }
        return result
    }

    static func counts(_ db: Database) throws -> [CellCount] {
        var counter = CellCounter(catalog: try DescriptorCatalog(db))
        // The best source stored for each cell of each subject.
        var stored: [Subject: [Int32: Source]] = [:]
        let rows = try Row.fetchCursor(db, sql: """
            SELECT s.kind, s.code, c.descriptor_code, c.dimension, p.source
            FROM candidate c JOIN subject s ON s.id = c.subject_id JOIN provenance p ON p.id = c.provenance_id
            LEFT JOIN subject_context x ON x.kind = s.kind AND x.code = s.code
            -- CascadeGraph.counts(askedContext:currentContext:)
            WHERE c.asked_context IS NULL OR c.asked_context = x.context
            """)
        while let row = try rows.next() {
            let subject = Subject(kind: try row.decode(at: 0, table: "subject", column: "kind"), code: row[1])
            let cell = counter.number(descriptor: row[2], dimension: row[3])
            let source: Source = try row.decode(at: 4, table: "provenance", column: "source")
            if let current = stored[subject]?[cell], current >= source { continue }
            stored[subject, default: [:]][cell] = source
        }
        // The layers: each profile's rated cells, each unit group's O*NET offers (every load).
        var rated: [String: [Int32]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT profile_code, ratings FROM profile_rating ORDER BY profile_code") {
            rated[row[0], default: []] += counter.numbers(inPacked: row[1])
        }
        var offered: [String: [Int32]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT unit_group, offers FROM onet_layer") {
            offered[row[0], default: []] += counter.numbers(inPacked: row[1])
        }

        // Counting: the best source per cell of one subject at a time, in an array of ranks
        // (0 = none, then `Source`'s own order, lowest first).
        let ranked = Source.allCases.sorted()
        var rankOf: [Source: UInt8] = [:]
        for (index, source) in ranked.enumerated() { rankOf[source] = UInt8(index + 1) }
        let kinds = Subject.Kind.allCases
        let rankCount = ranked.count + 1
        let categoryCount = max(counter.categories.count, 1)
        var totals = [Int](repeating: 0, count: kinds.count * rankCount * categoryCount)
        var best = [UInt8](repeating: 0, count: counter.cellCount)
        var touched: [Int32] = []
        func offer(_ cell: Int32, _ rank: UInt8) {
            let at = Int(cell)
            if best[at] == 0 { touched.append(cell) }
            if best[at] < rank { best[at] = rank }
        }
        let onetRank = rankOf[.onet]!, authoritativeRank = rankOf[.authoritative]!
        func count(_ subject: Subject, authoritative: [Int32], onet: [Int32]) {
            for cell in onet { offer(cell, onetRank) }
            for cell in authoritative { offer(cell, authoritativeRank) }
            for (cell, source) in stored[subject] ?? [:] { offer(cell, rankOf[source]!) }
            let kind = kinds.firstIndex(of: subject.kind)!
            for cell in touched {
                let category = counter.categoryOfCell[Int(cell)]
                if category >= 0 { totals[(kind * rankCount + Int(best[Int(cell)])) * categoryCount + category] += 1 }
                best[Int(cell)] = 0
            }
            touched.removeAll(keepingCapacity: true)
        }
        func storedONet(_ subject: Subject) -> [Int32] {
            (stored[subject] ?? [:]).filter { $0.value == .onet }.map(\.key)
        }

        // Each subject's cells from the inputs `CascadeGraph` declares for its kind, as `CellReader` derives them.
        var ratedOfUnitGroup: [String: [String: Set<Int32>]] = [:]
        for (profile, cells) in rated where !cells.isEmpty {
            ratedOfUnitGroup[Codes.unitGroup(ofProfile: profile), default: [:]][profile] = Set(cells)
        }
        let reader = CellReader(db, withMetadata: false)
        for kind in kinds {
            for subject in try SQLiteStore.subjects(db, kind: kind) {
                var authoritative: [Int32] = [], onet: [Int32] = []
                for input in CascadeGraph.inputs(of: kind) {
                    switch input {
                    case .ratings:
                        authoritative += rated[subject.code] ?? []
                    case .onetOffers:
                        onet += offered[kind == .profile ? Codes.unitGroup(ofProfile: subject.code) : subject.code] ?? []
                    case .unitGroupRule:
                        authoritative += UnitGroupRule.cellKeys(profileCells: ratedOfUnitGroup[subject.code] ?? [:]) {
                            counter.isInterestRank[Int($0)]
                        }
                    case .titleInheritance:
                        // The profile's authoritative cells and its O*NET values (its unit group's and its own).
                        guard let profile = try reader.titleResolution(subject.code)?.profileCode else { continue }
                        authoritative += rated[profile] ?? []
                        onet += (offered[Codes.unitGroup(ofProfile: profile)] ?? []) + storedONet(.profile(profile))
                    case .stored:
                        continue  // counted by `count` for every subject
                    }
                }
                count(subject, authoritative: authoritative, onet: onet)
            }
        }

        var result: [CellCount] = []
        for (kind, kindName) in kinds.enumerated() {
            for (index, source) in ranked.enumerated() {
                for (category, name) in counter.categories.enumerated() {
                    let cells = totals[(kind * rankCount + index + 1) * categoryCount + category]
                    if cells > 0 { result.append(CellCount(subjectKind: kindName.rawValue, source: source.rawValue, category: name, cells: cells)) }
                }
            }
        }
        return result.sorted { ($0.subjectKind, $0.source, $0.category) < ($1.subjectKind, $1.source, $1.category) }
    }
}
