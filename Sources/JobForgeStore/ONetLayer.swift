import Foundation
import GRDB
import JobForgeCore

/// The O*NET layer: what O*NET offers each NOC unit group, kept as one packed row per unit
/// group and load (`onet_layer`) rather than one row per cell and subject.
///
/// A profile's O*NET-SOC codes are its unit group's, so the unit group (L5) and each of its
/// OaSIS profiles (L6) are offered the same values; titles (L7) inherit their profile's by
/// `TitleInheritanceRule`. The store gives the offers to those subjects when they are read,
/// where they compete with the authoritative layer and with stored candidates by `Precedence`,
/// exactly as stored O*NET candidates would. A build offers about 70,000 values to ~1,400
/// subjects: as candidate rows that was 190,000 rows and most of the build's time.
enum ONetLayer {
    /// The method of a load's provenance row; each offer carries its own method and codes.
    static let loadMethod: CandidateMethod = "onet_tier"

    // MARK: Packed format

    private static let tab: UInt8 = 0x09, newline: UInt8 = 0x0A
    /// Between metadata entries, between a key and its value, and before the number of a text
    /// written earlier in the row: control characters no O*NET name, code or rule contains
    /// (`append` replaces them with spaces if one ever does).
    private static let entrySeparator: UInt8 = 0x1E, keySeparator: UInt8 = 0x1F, repeatMark: UInt8 = 0x1D
    /// Texts shorter than this are written out each time; longer ones once per row, then by number.
    private static let shortestRepeat = 4

    /// One line per offer: descriptor, dimension, value, confidence, method, source ids (comma
    /// separated), metadata (sorted by key, so that the same offers always pack the same). The
    /// method, the codes and the metadata keys and values repeat from offer to offer (a rule, the
    /// unit group's codes): each is written once per row, then referred to by number, which makes
    /// the row a third of the size and lets the reader share one string for all of them.
    static func encode(_ offers: [UnitGroupOffer]) -> String {
        encode(offers, at: Array(offers.indices))
    }

    /// The offers at these positions (read in place: a copy of each would retain its every field).
    static func encode(_ offers: [UnitGroupOffer], at positions: [Int]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(positions.count * 120)
        var written: [String: Int] = [:]
        /// Writes a text, or the number of its first writing; `last` is what stood at the same
        /// place in the previous offer, mostly the same text (often the same storage): compared
        /// first, it spares hashing the text.
        func token(_ text: String, last: inout (text: String, number: Int?)) {
            if text == last.text, let number = last.number {
                bytes.append(repeatMark)
                bytes += RatingLayer.number(Double(number)).utf8
                return
            }
            var number: Int?
            if text.utf8.count >= shortestRepeat {
                if let known = written[text] {
                    last = (text, known)
                    bytes.append(repeatMark)
                    bytes += RatingLayer.number(Double(known)).utf8
                    return
                }
                number = written.count
                written[text] = number
            }
            last = (text, number)
            append(text, to: &bytes)
        }
        var lastMethod: (text: String, number: Int?) = ("", nil)
        var lastCodes: (ids: [String], token: (text: String, number: Int?)) = ([], ("", nil))
        var lastEntries: [(key: (text: String, number: Int?), value: (text: String, number: Int?))] = []
        for position in positions {
            let offer = offers[position]
            append(offer.descriptor, to: &bytes)
            bytes.append(tab)
            append(offer.dimension.rawValue, to: &bytes)
            bytes.append(tab)
            bytes += RatingLayer.number(offer.value).utf8
            bytes.append(tab)
            bytes += RatingLayer.number(offer.confidence).utf8
            bytes.append(tab)
            token(offer.method.rawValue, last: &lastMethod)
            bytes.append(tab)
            if offer.sourceIDs != lastCodes.ids {
                lastCodes.ids = offer.sourceIDs
                lastCodes.token.text = ""
            }
            let codes = lastCodes.token.text.isEmpty
                ? offer.sourceIDs.map { $0.replacingOccurrences(of: ",", with: " ") }.joined(separator: ",") : lastCodes.token.text
            token(codes, last: &lastCodes.token)
            bytes.append(tab)
            while lastEntries.count < offer.details.count { lastEntries.append((("", nil), ("", nil))) }
            for (index, entry) in offer.details.enumerated() {
                if index > 0 { bytes.append(entrySeparator) }
                token(entry.key, last: &lastEntries[index].key)
                bytes.append(keySeparator)
                token(entry.value, last: &lastEntries[index].value)
            }
            bytes.append(newline)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the text's bytes with the separators the format uses replaced by spaces.
    private static func append(_ text: String, to bytes: inout [UInt8]) {
        let appended = text.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            for byte in utf8 where byte < 0x20 { return false }
            bytes.append(contentsOf: utf8)
            return true
        }
        if appended == true { return }
        for byte in text.utf8 {
            switch byte {
            case tab, newline, entrySeparator, keySeparator, repeatMark: bytes.append(0x20)
            default: bytes.append(byte)
            }
        }
    }

    /// The offers of one packed row, as candidates of `subject` (the unit group itself; the
    /// reader re-keys them for its profiles).
    static func decode(_ payload: String, subject: Subject, provenance: Provenance, withMetadata: Bool) -> [Candidate] {
        var result: [Candidate] = []
        result.reserveCapacity(200)
        var payload = payload
        payload.withUTF8 { bytes in
            var written: [String] = []
            var splitCodes: [Int: [String]] = [:]
            func text(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) }
            /// A written-out text (numbered when long enough) or the number of one written before.
            func token(_ range: Range<Int>) -> (text: String, number: Int?) {
                if let first = range.first, bytes[first] == repeatMark {
                    let number = ONetLayer.number(UnsafeBufferPointer(rebasing: bytes[first + 1..<range.upperBound]))
                    return written.indices.contains(number) ? (written[number], number) : ("", nil)
                }
                let value = text(range)
                guard range.count >= shortestRepeat else { return (value, nil) }
                written.append(value)
                return (value, written.count - 1)
            }
            func split(_ range: Range<Int>, on separator: UInt8) -> [Range<Int>] {
                var parts: [Range<Int>] = []
                forEachPart(of: range, in: bytes, on: separator) { parts.append($0) }
                return parts
            }
            forEachLine(bytes) { fields in
                guard fields.count == 7, let value = Double(text(fields[2])), let confidence = Double(text(fields[3])) else { return }
                let method = CandidateMethod(token(fields[4]).text)
                let codes = token(fields[5])
                var sourceIDs: [String]
                if let number = codes.number, let known = splitCodes[number] {
                    sourceIDs = known
                } else {
                    sourceIDs = codes.text.isEmpty ? [] : codes.text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                    if let number = codes.number { splitCodes[number] = sourceIDs }
                }
                // Every token is read, metadata or not, so that the numbering stays in step.
                var metadata: [String: String] = [:]
                let entries = split(fields[6], on: entrySeparator)
                // Sized once: grown key by key, a row's dictionary was rehashed three or four times.
                if withMetadata { metadata.reserveCapacity(entries.count) }
                for entry in entries {
                    let parts = split(entry, on: keySeparator)
                    guard parts.count == 2 else { continue }
                    let key = token(parts[0]).text, value = token(parts[1]).text
                    if withMetadata { metadata[key] = value }
                }
                result.append(Candidate(key: CellKey(subject: subject, descriptor: text(fields[0]), dimension: CellDimension(text(fields[1]))),
                                        value: value, source: provenance.source, method: method,
                                        sourceLevel: subject.level, sourceIDs: sourceIDs, confidence: confidence,
                                        release: provenance.release, observedAt: provenance.observedAt, metadata: metadata))
            }
        }
        return result
    }

    /// Each line of a packed row, as the ranges of its tab-separated fields (a last line without
    /// its newline is not read: every line is written with one).
    private static func forEachLine(_ bytes: UnsafeBufferPointer<UInt8>, _ body: ([Range<Int>]) -> Void) {
        var fields: [Range<Int>] = []
        fields.reserveCapacity(7)
        var start = 0
        for index in 0..<bytes.count {
            let byte = bytes[index]
            guard byte == tab || byte == newline else { continue }
            fields.append(start..<index)
            start = index + 1
            guard byte == newline else { continue }
            body(fields)
            fields.removeAll(keepingCapacity: true)
        }
    }

    /// The parts of `range` between `separator`s (none for an empty range).
    private static func forEachPart(of range: Range<Int>, in bytes: UnsafeBufferPointer<UInt8>, on separator: UInt8,
                                    _ part: (Range<Int>) -> Void) {
        guard !range.isEmpty else { return }
        var from = range.lowerBound
        for index in range where bytes[index] == separator {
            part(from..<index)
            from = index + 1
        }
        part(from..<range.upperBound)
    }

    /// The number after a repeat mark (digits, as `RatingLayer.number` writes a whole number), or
    /// -1 for anything else: what `Int(String(...))` reads, without a string per token.
    static func number(_ digits: UnsafeBufferPointer<UInt8>) -> Int {
        guard !digits.isEmpty, digits.count < 16 else { return -1 }
        var value = 0
        for digit in digits {
            guard digit >= 0x30, digit <= 0x39 else { return -1 }
            value = value * 10 + Int(digit - 0x30)
        }
        return value
    }

    /// Each offer's metadata as `JSONText.object` writes it (nil for none), with the offer's
    /// descriptor and dimension: what ``decode(_:subject:provenance:withMetadata:)`` gives, read
    /// straight from the packed bytes without a dictionary per offer (an export writes one per O*NET row).
    static func forEachMetadataObject(_ payload: String, _ body: (_ descriptor: String, _ dimension: String, _ json: String?) -> Void) {
        var payload = payload
        payload.withUTF8 { bytes in
            // The numbered texts are ranges of this same payload.
            var written: [Range<Int>] = []
            var pairs: [(key: Range<Int>, value: Range<Int>)] = []
            var json: [UInt8] = []
            func text(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) }
            /// As `decode`'s `token`: the range of the text written out here or earlier.
            func token(_ range: Range<Int>) -> Range<Int>? {
                if let first = range.first, bytes[first] == repeatMark {
                    let number = ONetLayer.number(UnsafeBufferPointer(rebasing: bytes[first + 1..<range.upperBound]))
                    return written.indices.contains(number) ? written[number] : nil
                }
                if range.count >= shortestRepeat { written.append(range) }
                return range
            }
            func precedes(_ left: Range<Int>, _ right: Range<Int>) -> Bool {
                UnsafeBufferPointer(rebasing: bytes[left]).lexicographicallyPrecedes(UnsafeBufferPointer(rebasing: bytes[right]))
            }
            forEachLine(bytes) { fields in
                guard fields.count == 7, Double(text(fields[2])) != nil, Double(text(fields[3])) != nil else { return }
                _ = token(fields[4])
                _ = token(fields[5])
                pairs.removeAll(keepingCapacity: true)
                forEachPart(of: fields[6], in: bytes, on: entrySeparator) { entry in
                    // Exactly one key separator, as `decode` requires.
                    var separator: Int?
                    for index in entry where bytes[index] == keySeparator {
                        guard separator == nil else { return }
                        separator = index
                    }
                    guard let separator else { return }
                    let key = token(entry.lowerBound..<separator), value = token(separator + 1..<entry.upperBound)
                    pairs.append((key ?? 0..<0, value ?? 0..<0))
                }
                guard !pairs.isEmpty else {
                    body(text(fields[0]), text(fields[1]), nil)
                    return
                }
                // Packed sorted by key; a key written twice, never packed, would be the dictionary's to settle.
                pairs.sort { precedes($0.key, $1.key) }
                if zip(pairs, pairs.dropFirst()).contains(where: { !precedes($0.key, $1.key) }) {
                    var metadata: [String: String] = [:]
                    for pair in pairs { metadata[text(pair.key)] = text(pair.value) }
                    body(text(fields[0]), text(fields[1]), JSONText.object(metadata))
                    return
                }
                json.removeAll(keepingCapacity: true)
                json.append(UInt8(ascii: "{"))
                for (position, pair) in pairs.enumerated() {
                    if position > 0 { json.append(UInt8(ascii: ",")) }
                    json.append(UInt8(ascii: "\""))
                    JSONText.appendEscaped(UnsafeBufferPointer(rebasing: bytes[pair.key]), to: &json)
                    json.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":"), UInt8(ascii: "\"")])
                    JSONText.appendEscaped(UnsafeBufferPointer(rebasing: bytes[pair.value]), to: &json)
                    json.append(UInt8(ascii: "\""))
                }
                json.append(UInt8(ascii: "}"))
                body(text(fields[0]), text(fields[1]), String(decoding: json, as: UTF8.self))
            }
        }
    }

    /// Calls `body` with the bytes of each line's cell, "descriptor TAB dimension" (its first two
    /// fields), without decoding the rest: the lines of both layers (`RatingLayer` and this one)
    /// start the same way.
    static func forEachCellBytes(_ payload: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var payload = payload
        payload.withUTF8 { bytes in
            var lineStart = 0, tabs = 0, secondTab = -1
            for index in 0..<bytes.count {
                switch bytes[index] {
                case tab:
                    tabs += 1
                    if tabs == 2 { secondTab = index }
                case newline:
                    if tabs >= 2 { body(UnsafeBufferPointer(rebasing: bytes[lineStart..<secondTab])) }
                    lineStart = index + 1
                    tabs = 0
                default: break
                }
            }
        }
    }

    /// The cell each line names. Codes and dimensions fit Swift's small strings: naming a cell allocates nothing.
    static func forEachCellName(_ payload: String, _ body: (CellName) -> Void) {
        forEachCellBytes(payload) { cell in
            let tab = cell.firstIndex(of: ONetLayer.tab) ?? cell.endIndex
            body(CellName(descriptor: String(decoding: UnsafeBufferPointer(rebasing: cell[..<tab]), as: UTF8.self),
                          dimension: tab < cell.endIndex ? String(decoding: UnsafeBufferPointer(rebasing: cell[(tab + 1)...]), as: UTF8.self) : ""))
        }
    }

    // MARK: Schema

    /// `v3-onet-layer`: the O*NET tier's candidate rows of unit groups and profiles become the
    /// layer. A unit group's rows of one load become its packed row; the profiles' rows were
    /// copies of their unit group's and are offered again by the layer, so they are dropped.
    static func registerMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v3-onet-layer") { db in
            try db.execute(sql: """
                CREATE TABLE onet_layer (
                    unit_group TEXT NOT NULL,
                    provenance_id INTEGER NOT NULL REFERENCES provenance(id),
                    cells INTEGER NOT NULL,
                    offers TEXT NOT NULL,
                    PRIMARY KEY (unit_group, provenance_id)
                ) WITHOUT ROWID;
                CREATE TRIGGER onet_layer_no_delete BEFORE DELETE ON onet_layer
                    BEGIN SELECT RAISE(ABORT, 'O*NET offers are never deleted'); END;
                """)
            try convertStoredTier(db)
        }
    }

    private static func convertStoredTier(_ db: Database) throws {
        let tierRows = """
            FROM candidate c JOIN subject s ON s.id = c.subject_id JOIN provenance p ON p.id = c.provenance_id
            WHERE p.source = 'onet' AND p.method IN ('onet_mean', 'onet_rating') AND s.kind IN ('unit_group', 'profile')
            """
        struct Load: Hashable { var unitGroup: String; var release: String?; var observedAt: String; var runID: String }
        var loads: [Load: [UnitGroupOffer]] = [:]
        var order: [Load] = []
        let rows = try Row.fetchCursor(db, sql: """
            SELECT s.code, c.descriptor_code, c.dimension, c.value, c.confidence, c.metadata, p.method, p.source_ids,
                   p.release, p.observed_at, p.run_id
            \(tierRows) AND s.kind = 'unit_group' ORDER BY c.id
            """)
        while let row = try rows.next() {
            let load = Load(unitGroup: row[0], release: row[8], observedAt: row[9], runID: row[10])
            if loads[load] == nil { order.append(load) }
            loads[load, default: []].append(UnitGroupOffer(
                unitGroup: row[0], descriptor: row[1], dimension: CellDimension(row[2] as String), value: row[3],
                confidence: row[4], source: .onet, method: CandidateMethod(row[6] as String), sourceIDs: JSONText.decodeArray(row[7]), release: row[8],
                observedAt: Timestamp.date(row[9]) ?? Date(),
                details: JSONText.decodeObject(row[5]).map { (key: $0.key, value: $0.value) }))
        }
        guard !order.isEmpty else { return }
        var provenanceIDs: [Load: Int64] = [:]
        for load in order.sorted(by: { ($0.observedAt, $0.runID) < ($1.observedAt, $1.runID) }) {
            var key = load
            key.unitGroup = ""
            if provenanceIDs[key] == nil {
                try db.execute(sql: """
                    INSERT INTO provenance (source, precedence, method, source_level, source_ids, release, observed_at, run_id)
                    VALUES ('onet', 2, ?, 'L5', '[]', ?, ?, ?)
                    """, arguments: [loadMethod.rawValue, load.release, load.observedAt, load.runID])
                provenanceIDs[key] = db.lastInsertedRowID
            }
            let offers = loads[load]!
            try db.execute(sql: "INSERT INTO onet_layer (unit_group, provenance_id, cells, offers) VALUES (?, ?, ?, ?)",
                           arguments: [load.unitGroup, provenanceIDs[key]!, offers.count, encode(offers)])
        }
        try db.execute(sql: """
            DROP TRIGGER candidate_no_delete;
            DELETE FROM candidate WHERE id IN (SELECT c.id \(tierRows));
            CREATE TRIGGER candidate_no_delete BEFORE DELETE ON candidate
                BEGIN SELECT RAISE(ABORT, 'candidates are never deleted'); END;
            DELETE FROM step WHERE name IN ('onet', 'cell-counts');
            """)
    }
}

extension ONetLayer {
    // MARK: Writing a load

    /// Stores the offers of a load (candidates of unit groups): one packed row per unit group
    /// whose offers or release differ from its newest row; unchanged unit groups are left alone.
    /// A new row is newer than the old ones, so it wins their cells among O*NET values
    /// (`Precedence`: newer among equals), and the old rows stay as lower candidates. Each
    /// change of winner is logged on the subjects whose winners can change: the unit group and
    /// its profiles when O*NET offered them values before, and any subject with stored
    /// candidates of its own (an LLM answer that O*NET now replaces). Titles without values of
    /// their own follow their profile.
    static func store(_ offers: [UnitGroupOffer], runID: String, db: Database) throws -> SubmitSummary {
        var summary = SubmitSummary()
        var order: [String] = []
        var byUnitGroup: [String: [Int]] = [:]
        for (position, offer) in offers.enumerated() {
            if byUnitGroup[offer.unitGroup] == nil { order.append(offer.unitGroup) }
            byUnitGroup[offer.unitGroup, default: []].append(position)
        }
        guard let first = offers.first else { return summary }

        // The profiles the reader offers these values to: every profile with a record or ratings.
        let topology = StoreTopology(db)
        let newest = try db.cachedStatement(sql: """
            SELECT l.offers, p.release FROM onet_layer l JOIN provenance p ON p.id = l.provenance_id
            WHERE l.unit_group = ? ORDER BY l.provenance_id DESC LIMIT 1
            """)
        var changed: [(unitGroup: String, offers: String, hadOffers: Bool)] = []
        for unitGroup in order {
            // In cell order, so that the same offers always pack the same, whatever order the
            // tier produced them in (it gathers them through dictionaries).
            let positions = byUnitGroup[unitGroup]!.sorted {
                (offers[$0].descriptor, offers[$0].dimension.rawValue, $0) < (offers[$1].descriptor, offers[$1].dimension.rawValue, $1)
            }
            byUnitGroup[unitGroup] = positions
            let payload = encode(offers, at: positions)
            let subjects = 1 + (try topology.profiles(ofUnitGroup: unitGroup).count)
            let previous = try Row.fetchOne(newest, arguments: [unitGroup])
            if let previous, (previous[0] as String) == payload, (previous[1] as String?) == offers[positions[0]].release {
                summary.unchanged += positions.count * subjects
                continue
            }
            changed.append((unitGroup, payload, previous != nil))
            summary.inserted += positions.count * subjects
        }
        guard !changed.isEmpty else { return summary }

        let affected = try CascadeGraph.dependents(of: .offers(unitGroups: changed.map(\.unitGroup)), in: topology)
        let before = try CellWriter.winners(of: affected, db: db)
        let session = CellWriter.Session(db: db, runID: runID)
        let provenanceID = try session.provenanceID(Provenance(source: first.source, method: loadMethod, sourceLevel: .l5, sourceIDs: [],
                                                               release: first.release, observedAt: first.observedAt))
        let insert = try db.cachedStatement(sql: "INSERT INTO onet_layer (unit_group, provenance_id, cells, offers) VALUES (?, ?, ?, ?)")
        for item in changed {
            try insert.execute(arguments: [item.unitGroup, provenanceID, byUnitGroup[item.unitGroup]!.count, item.offers])
        }
        summary.overridden += try CellWriter.reconcile(affected, before: before, session: session).overridden

        // A unit group's first offers: each cell OaSIS rates keeps its authoritative value (the
        // offer is kept below it), every other cell is filled.
        let firstOffers = changed.filter { !$0.hadOffers }.map(\.unitGroup)
        if !firstOffers.isEmpty {
            var offered: [String: Set<CellName>] = [:]
            for unitGroup in firstOffers {
                offered[unitGroup] = Set(byUnitGroup[unitGroup]!.map { CellName(descriptor: offers[$0].descriptor, dimension: offers[$0].dimension.rawValue) })
            }
            // The offered cells each profile rates (looked up, not collected: a profile rates ~250).
            var ratedOffers: [String: Set<CellName>] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT profile_code, ratings FROM profile_rating")
            while let row = try rows.next() {
                let profile: String = row[0]
                guard let cells = offered[Codes.unitGroup(ofProfile: profile)] else { continue }
                var hits = ratedOffers[profile] ?? []
                forEachCellName(row[1]) { if cells.contains($0) { hits.insert($0) } }
                ratedOffers[profile] = hits
            }
            for unitGroup in firstOffers {
                var unitGroupHits: Set<CellName> = []
                let profiles = try topology.profiles(ofUnitGroup: unitGroup)
                for profile in profiles {
                    let hits = ratedOffers[profile] ?? []
                    summary.keptBelow += hits.count
                    unitGroupHits.formUnion(hits)
                }
                summary.keptBelow += unitGroupHits.count
                summary.filled += offered[unitGroup]!.count * (1 + profiles.count)
            }
            summary.filled -= summary.keptBelow
        }
        return summary
    }
}

extension StepWriter {
    /// Stores what O*NET offers unit groups in the O*NET layer: the unit groups and their
    /// profiles get these values when read, titles inherit them.
    public func storeONetOffers(_ offers: [UnitGroupOffer]) throws -> SubmitSummary {
        try ONetLayer.store(offers, runID: runID, db: db)
    }
}

/// A cell within one subject: a descriptor and one of its dimensions.
struct CellName: Hashable {
    var descriptor: String
    var dimension: String

    init(descriptor: String, dimension: String) {
        self.descriptor = descriptor
        self.dimension = dimension
    }

    init(_ key: CellKey) {
        self.init(descriptor: key.descriptor, dimension: key.dimension.rawValue)
    }
}
