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
    static let loadMethod = "onet_tier"

    // MARK: Packed format

    private static let tab: UInt8 = 0x09, newline: UInt8 = 0x0A
    /// Between metadata entries, and between a key and its value: control characters that no
    /// O*NET name, code or rule contains (`clean` makes sure).
    private static let entrySeparator: UInt8 = 0x1E, keySeparator: UInt8 = 0x1F

    /// One line per offer: descriptor, dimension, value, confidence, method, source ids (comma
    /// separated), metadata (sorted by key, so that the same offers always pack the same).
    static func encode(_ candidates: [Candidate]) -> String {
        encode(candidates, at: Array(candidates.indices))
    }

    /// The candidates at these positions (read in place: a copy of each would retain its every field).
    static func encode(_ candidates: [Candidate], at positions: [Int]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(positions.count * 320)
        for position in positions {
            let candidate = candidates[position]
            append(candidate.key.descriptor, to: &bytes)
            bytes.append(tab)
            append(candidate.key.dimension.rawValue, to: &bytes)
            bytes.append(tab)
            bytes += RatingLayer.number(candidate.value).utf8
            bytes.append(tab)
            bytes += RatingLayer.number(candidate.confidence).utf8
            bytes.append(tab)
            append(candidate.method, to: &bytes)
            bytes.append(tab)
            for (index, id) in candidate.sourceIDs.enumerated() {
                if index > 0 { bytes.append(0x2C) }
                append(id, to: &bytes, alsoAvoiding: 0x2C)
            }
            bytes.append(tab)
            var entries = Array(candidate.metadata)
            entries.sort { $0.key < $1.key }
            for (index, entry) in entries.enumerated() {
                if index > 0 { bytes.append(entrySeparator) }
                append(entry.key, to: &bytes)
                bytes.append(keySeparator)
                append(entry.value, to: &bytes)
            }
            bytes.append(newline)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the text's bytes with the separators the format uses replaced by spaces.
    private static func append(_ text: String, to bytes: inout [UInt8], alsoAvoiding extra: UInt8 = 0) {
        let appended = text.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            for byte in utf8 where byte < 0x20 || byte == extra { return false }
            bytes.append(contentsOf: utf8)
            return true
        }
        if appended == true { return }
        for byte in text.utf8 {
            switch byte {
            case tab, newline, entrySeparator, keySeparator: bytes.append(0x20)
            case extra where extra != 0: bytes.append(0x20)
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
            var fields: [Range<Int>] = []
            fields.reserveCapacity(7)
            var start = 0
            func text(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) }
            func split(_ range: Range<Int>, on separator: UInt8) -> [Range<Int>] {
                guard !range.isEmpty else { return [] }
                var parts: [Range<Int>] = []
                var from = range.lowerBound
                for index in range where bytes[index] == separator {
                    parts.append(from..<index)
                    from = index + 1
                }
                parts.append(from..<range.upperBound)
                return parts
            }
            var lastIDs: (bytes: Range<Int>, ids: [String]) = (0..<0, [])
            func sameBytes(_ lhs: Range<Int>, _ rhs: Range<Int>) -> Bool {
                lhs.count == rhs.count && (lhs.isEmpty || memcmp(bytes.baseAddress! + lhs.lowerBound, bytes.baseAddress! + rhs.lowerBound, lhs.count) == 0)
            }
            for index in 0..<bytes.count {
                let byte = bytes[index]
                guard byte == tab || byte == newline else { continue }
                fields.append(start..<index)
                start = index + 1
                guard byte == newline else { continue }
                defer { fields.removeAll(keepingCapacity: true) }
                guard fields.count == 7, let value = Double(text(fields[2])), let confidence = Double(text(fields[3])) else { continue }
                // The offers of a unit group mostly share one list of codes: decode it once.
                if lastIDs.ids.isEmpty || !sameBytes(lastIDs.bytes, fields[5]) { lastIDs = (fields[5], split(fields[5], on: 0x2C).map(text)) }
                var metadata: [String: String] = [:]
                if withMetadata {
                    for entry in split(fields[6], on: entrySeparator) {
                        let parts = split(entry, on: keySeparator)
                        if parts.count == 2 { metadata[text(parts[0])] = text(parts[1]) }
                    }
                }
                result.append(Candidate(key: CellKey(subject: subject, descriptor: text(fields[0]), dimension: CellDimension(text(fields[1]))),
                                        value: value, source: provenance.source, method: text(fields[4]),
                                        sourceLevel: subject.level, sourceIDs: lastIDs.ids, confidence: confidence,
                                        release: provenance.release, observedAt: provenance.observedAt, metadata: metadata))
            }
        }
        return result
    }

    /// Calls `body` with each line's "descriptor TAB dimension", without decoding the rest.
    static func forEachCellKey(_ payload: String, _ body: (String) -> Void) {
        var payload = payload
        payload.withUTF8 { bytes in
            var lineStart = 0, tabs = 0, keyEnd = -1
            for index in 0..<bytes.count {
                switch bytes[index] {
                case tab:
                    tabs += 1
                    if tabs == 2 { keyEnd = index }
                case newline:
                    if keyEnd > lineStart { body(String(decoding: UnsafeBufferPointer(rebasing: bytes[lineStart..<keyEnd]), as: UTF8.self)) }
                    lineStart = index + 1
                    tabs = 0
                    keyEnd = -1
                default: break
                }
            }
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
        var loads: [Load: [Candidate]] = [:]
        var order: [Load] = []
        let rows = try Row.fetchCursor(db, sql: """
            SELECT s.code, c.descriptor_code, c.dimension, c.value, c.confidence, c.metadata, p.method, p.source_ids,
                   p.release, p.observed_at, p.run_id
            \(tierRows) AND s.kind = 'unit_group' ORDER BY c.id
            """)
        while let row = try rows.next() {
            let load = Load(unitGroup: row[0], release: row[8], observedAt: row[9], runID: row[10])
            if loads[load] == nil { order.append(load) }
            loads[load, default: []].append(Candidate(
                key: CellKey(subject: .unitGroup(row[0]), descriptor: row[1], dimension: CellDimension(row[2] as String)),
                value: row[3], source: .onet, method: row[6], sourceLevel: .l5, sourceIDs: JSONText.decodeArray(row[7]),
                confidence: row[4], release: row[8], observedAt: Timestamp.date(row[9]) ?? Date(),
                metadata: JSONText.decodeObject(row[5])))
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
                    """, arguments: [loadMethod, load.release, load.observedAt, load.runID])
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
    static func store(_ candidates: [Candidate], runID: String, db: Database) throws -> SubmitSummary {
        var summary = SubmitSummary()
        var order: [String] = []
        var byUnitGroup: [String: [Int]] = [:]
        for (position, candidate) in candidates.enumerated() where candidate.key.subject.kind == .unitGroup {
            if byUnitGroup[candidate.key.subject.code] == nil { order.append(candidate.key.subject.code) }
            byUnitGroup[candidate.key.subject.code, default: []].append(position)
        }
        guard let first = order.first.flatMap({ byUnitGroup[$0]?.first }).map({ candidates[$0] }) else { return summary }

        // The profiles the reader offers these values to: every profile with a record or ratings.
        var profilesOf: [String: [String]] = [:]
        for code in try String.fetchAll(db, sql: "SELECT code FROM profile UNION SELECT profile_code FROM profile_rating ORDER BY 1") {
            profilesOf[Codes.unitGroup(ofProfile: code), default: []].append(code)
        }
        let newest = try db.cachedStatement(sql: """
            SELECT l.offers, p.release FROM onet_layer l JOIN provenance p ON p.id = l.provenance_id
            WHERE l.unit_group = ? ORDER BY l.provenance_id DESC LIMIT 1
            """)
        var changed: [(unitGroup: String, offers: String, hadOffers: Bool)] = []
        for unitGroup in order {
            let offers = byUnitGroup[unitGroup]!
            let payload = encode(candidates, at: offers)
            let subjects = 1 + (profilesOf[unitGroup]?.count ?? 0)
            let previous = try Row.fetchOne(newest, arguments: [unitGroup])
            if let previous, (previous[0] as String) == payload, (previous[1] as String?) == candidates[offers[0]].release {
                summary.unchanged += offers.count * subjects
                continue
            }
            changed.append((unitGroup, payload, previous != nil))
            summary.inserted += offers.count * subjects
        }
        guard !changed.isEmpty else { return summary }

        let affected = try subjectsToReconcile(changed.map { ($0.unitGroup, $0.hadOffers) }, profilesOf: profilesOf, db: db)
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
            let rated = try ratedCells(profiles: firstOffers.flatMap { profilesOf[$0] ?? [] }, db: db)
            for unitGroup in firstOffers {
                let offered = Set(byUnitGroup[unitGroup]!.map { "\(candidates[$0].key.descriptor)\t\(candidates[$0].key.dimension.rawValue)" })
                var unitGroupCells: Set<String> = []
                var subjects = 1
                for profile in profilesOf[unitGroup] ?? [] {
                    subjects += 1
                    let cells = rated[profile] ?? []
                    summary.keptBelow += cells.intersection(offered).count
                    unitGroupCells.formUnion(cells)
                }
                summary.keptBelow += unitGroupCells.intersection(offered).count
                summary.filled += offered.count * subjects
            }
            summary.filled -= summary.keptBelow
        }
        return summary
    }

    /// The subjects of these unit groups whose winners the new offers can change.
    private static func subjectsToReconcile(_ unitGroups: [(code: String, hadOffers: Bool)], profilesOf: [String: [String]],
                                            db: Database) throws -> [Subject] {
        var result: [Subject] = []
        var seen: Set<Subject> = []
        func add(_ subject: Subject) { if seen.insert(subject).inserted { result.append(subject) } }
        for unitGroup in unitGroups where unitGroup.hadOffers {
            add(.unitGroup(unitGroup.code))
            for profile in profilesOf[unitGroup.code] ?? [] { add(.profile(profile)) }
        }
        let codes = Set(unitGroups.map(\.code))
        let storedRows = try Row.fetchAll(db, sql: """
            SELECT s.kind, s.code FROM subject s WHERE EXISTS (SELECT 1 FROM candidate c WHERE c.subject_id = s.id)
            """).map { Subject(kind: Subject.Kind(rawValue: $0[0]) ?? .profile, code: $0[1]) }
        var profileOfTitle: [String: String] = [:]
        if storedRows.contains(where: { $0.kind == .title }), try db.tableExists("job_title") {
            for row in try Row.fetchAll(db, sql: "SELECT id, profile_code FROM job_title WHERE profile_code IS NOT NULL") {
                profileOfTitle[row[0]] = row[1]
            }
        }
        for subject in storedRows {
            switch subject.kind {
            case .unitGroup: if codes.contains(subject.code) { add(subject) }
            case .profile: if codes.contains(Codes.unitGroup(ofProfile: subject.code)) { add(subject) }
            case .title:
                if let profile = profileOfTitle[subject.code], codes.contains(Codes.unitGroup(ofProfile: profile)) { add(subject) }
            }
        }
        return result
    }

    /// "descriptor TAB dimension" of every cell the authoritative layer rates, per profile.
    static func ratedCells(profiles: [String], db: Database) throws -> [String: Set<String>] {
        let wanted = Set(profiles)
        var result: [String: Set<String>] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT profile_code, ratings FROM profile_rating")
        while let row = try rows.next() {
            let profile: String = row[0]
            guard wanted.contains(profile) else { continue }
            var cells = result[profile] ?? []
            ONetLayer.forEachCellKey(row[1]) { cells.insert($0) }
            result[profile] = cells
        }
        return result
    }
}

extension SQLiteStepWriter {
    func storeONetOffers(_ candidates: [Candidate], runID: String) throws -> SubmitSummary {
        try ONetLayer.store(candidates, runID: runID, db: db)
    }
}
