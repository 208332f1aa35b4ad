import Foundation
import GRDB
import JobForgeCore

/// The cascade's write path: candidates in, winners and override events out. This is the only
/// code that changes `candidate.is_winner` or appends to `override_event`, and it decides with
/// `Precedence` (through `CellReader.winner`), so the rule lives in exactly one place.
///
/// A subject's incumbents are its stored candidates and the values the authoritative layer
/// derives for it, so a stored O*NET or LLM value competes with an inherited one exactly as
/// with a stored one.
enum CellWriter {
    /// Two offers are the same when all of this is equal.
    private struct Identity: Hashable {
        var source: Source
        var method: CandidateMethod
        var release: String?
        var value: Double
        var text: String?
        var sourceIDs: [String]
        var confidence: Double
        var askedContext: String?

        init(_ candidate: Candidate) {
            source = candidate.source
            method = candidate.method
            release = candidate.release
            value = candidate.value
            text = candidate.text
            sourceIDs = candidate.sourceIDs
            confidence = candidate.confidence
            askedContext = candidate.askedContext
        }
    }

    /// A cell within one subject.
    private struct CellID: Hashable {
        var descriptor: String
        var dimension: String
        init(_ key: CellKey) {
            descriptor = key.descriptor
            dimension = key.dimension.rawValue
        }
    }

    private struct Offer: Hashable {
        var cell: CellID
        var identity: Identity
    }

    /// Statements and lookups shared by the writes of one transaction.
    final class Session {
        let db: Database
        let runID: String
        let now: String
        private var provenanceIDs: [Provenance: Int64] = [:]
        private var subjectIDs: [Subject: Int64] = [:]

        init(db: Database, runID: String) {
            self.db = db
            self.runID = runID
            now = Timestamp.string(Date())
        }

        func provenanceID(_ key: Provenance) throws -> Int64 {
            if let id = provenanceIDs[key] { return id }
            let observedAt = Timestamp.string(key.observedAt)
            let sourceIDs = JSONText.array(key.sourceIDs)
            let find = try db.cachedStatement(sql: """
                SELECT id FROM provenance WHERE run_id = ? AND source_ids = ? AND source = ? AND method = ?
                  AND source_level = ? AND release IS ? AND observed_at = ?
                """)
            let id: Int64
            if let stored = try Int64.fetchOne(find, arguments: [runID, sourceIDs, key.source.rawValue, key.method.rawValue,
                                                                 key.sourceLevel.rawValue, key.release, observedAt]) {
                id = stored
            } else {
                try db.cachedStatement(sql: """
                    INSERT INTO provenance (source, precedence, method, source_level, source_ids, release, observed_at, run_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """).execute(arguments: [key.source.rawValue, Int64(key.source.precedence), key.method.rawValue,
                                             key.sourceLevel.rawValue, sourceIDs, key.release, observedAt, runID])
                id = db.lastInsertedRowID
            }
            provenanceIDs[key] = id
            return id
        }

        func subjectID(_ subject: Subject) throws -> Int64 {
            if let id = subjectIDs[subject] { return id }
            let id: Int64
            if let stored = try Int64.fetchOne(db, sql: "SELECT id FROM subject WHERE kind = ? AND code = ?",
                                               arguments: [subject.kind.rawValue, subject.code]) {
                id = stored
            } else {
                try db.execute(sql: "INSERT INTO subject (kind, code) VALUES (?, ?)", arguments: [subject.kind.rawValue, subject.code])
                id = db.lastInsertedRowID
            }
            subjectIDs[subject] = id
            return id
        }

        func logOverride(_ key: CellKey, old: CellEntry, new: CellEntry) throws {
            try db.cachedStatement(sql: """
                INSERT INTO override_event (subject_kind, subject_code, descriptor_code, dimension, old_candidate_id,
                    new_candidate_id, old_value, new_value, old_source, new_source, reason, at, run_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [
                    key.subject.kind.rawValue, key.subject.code, key.descriptor, key.dimension.rawValue,
                    old.origin.rowID, new.origin.rowID, old.candidate.value, new.candidate.value,
                    old.candidate.source.rawValue, new.candidate.source.rawValue,
                    Precedence.reason(challenger: new.candidate.source, incumbent: old.candidate.source)
                        + (new.isDerived ? " (\(new.candidate.method) from \(new.candidate.sourceIDs.joined(separator: ", ")))" : "")
                        + (old.candidate.confidence != new.candidate.confidence
                            ? "; confidence \(old.candidate.confidence) -> \(new.candidate.confidence)" : ""),
                    now, runID,
                ])
        }

        /// The old winner no longer counts and nothing took its place (an LLM answer whose title
        /// changed since it was asked, a value inherited through a resolution that is gone): the
        /// cell is empty again.
        func logWithdrawal(_ key: CellKey, old: CellEntry) throws {
            try db.cachedStatement(sql: """
                INSERT INTO override_event (subject_kind, subject_code, descriptor_code, dimension, old_candidate_id,
                    new_candidate_id, old_value, new_value, old_source, new_source, reason, at, run_id)
                VALUES (?, ?, ?, ?, ?, NULL, ?, NULL, ?, NULL, ?, ?, ?)
                """).execute(arguments: [
                    key.subject.kind.rawValue, key.subject.code, key.descriptor, key.dimension.rawValue,
                    old.origin.rowID, old.candidate.value, old.candidate.source.rawValue,
                    old.candidate.askedContext != nil
                        ? "withdrawn: the \(key.subject.kind.rawValue.replacingOccurrences(of: "_", with: " ")) changed since it was asked"
                        : "withdrawn: what it was derived from is gone",
                    now, runID,
                ])
        }

        func setWinnerFlag(_ id: Int64, _ isWinner: Bool) throws {
            try db.cachedStatement(sql: "UPDATE candidate SET is_winner = ? WHERE id = ?").execute(arguments: [isWinner ? 1 : 0, id])
        }
    }

    static func submit(_ candidates: [Candidate], runID: String, db: Database) throws -> SubmitSummary {
        var summary = SubmitSummary()
        guard !candidates.isEmpty else { return summary }
        let session = Session(db: db, runID: runID)
        let reader = CellReader(db, withMetadata: false)

        // Group by subject, keeping arrival order: the stored state is read once per subject.
        var order: [Subject] = []
        var bySubject: [Subject: [Int]] = [:]
        for (index, candidate) in candidates.enumerated() {
            if bySubject[candidate.key.subject] == nil { order.append(candidate.key.subject) }
            bySubject[candidate.key.subject, default: []].append(index)
        }

        let insert = RawStatement(try db.cachedStatement(sql: """
            INSERT INTO candidate (subject_id, descriptor_code, dimension, value, text_value, provenance_id, confidence,
                rationale, metadata, is_winner, asked_context)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """))

        for subject in order {
            // The cells as they are, derived values included; what this submit adds on top.
            let states = try reader.cells(of: subject)
            var stateIndex: [CellID: Int] = [:]
            stateIndex.reserveCapacity(states.count)
            for (position, state) in states.enumerated() { stateIndex[CellID(state.key)] = position }
            var offered: Set<Offer> = []
            var newWinners: [CellID: CellEntry] = [:]
            let subjectID = try session.subjectID(subject)
            let currentContext = try reader.context(of: subject)

            for index in bySubject[subject]! {
                let candidate = candidates[index]
                let key = candidate.key
                let cell = CellID(key)
                let identity = Identity(candidate)
                let state = stateIndex[cell].map { states[$0] }
                if state?.entries.contains(where: { Identity($0.candidate) == identity }) == true
                    || !offered.insert(Offer(cell: cell, identity: identity)).inserted {
                    summary.unchanged += 1
                    continue
                }
                let incumbent = newWinners[cell] ?? state?.winningEntry
                // An answer asked for what the subject no longer is (a title changed while it was
                // asked) is kept for audit but never counts.
                let counts = CascadeGraph.counts(askedContext: candidate.askedContext, currentContext: currentContext)
                let wins = counts && (incumbent.map { Precedence.replaces(candidate, incumbent: $0.candidate) } ?? true)
                insert.bind(1, subjectID)
                insert.bind(2, key.descriptor)
                insert.bind(3, key.dimension.rawValue)
                insert.bind(4, candidate.value)
                insert.bind(5, candidate.text)
                insert.bind(6, try session.provenanceID(Provenance(candidate)))
                insert.bind(7, candidate.confidence)
                insert.bind(8, candidate.rationale)
                insert.bind(9, candidate.metadata.isEmpty ? nil : JSONText.object(candidate.metadata))
                insert.bind(10, Int64(wins ? 1 : 0))
                insert.bind(11, candidate.askedContext)
                try insert.step(db)
                summary.inserted += 1
                guard wins else {
                    summary.keptBelow += 1
                    continue
                }
                let entry = CellEntry(origin: .stored(id: db.lastInsertedRowID), candidate: candidate, runID: runID, isStoredWinner: true)
                if let incumbent {
                    if case .stored(let id) = incumbent.origin { try session.setWinnerFlag(id, false) }
                    if isOverride(from: incumbent, to: entry) {
                        try session.logOverride(key, old: incumbent, new: entry)
                        summary.overridden += 1
                    }
                } else {
                    summary.filled += 1
                }
                newWinners[cell] = entry
            }
            // A title inherits its profile's O*NET values: what was read of the profile is stale now.
            reader.forget(subject)
        }
        return summary
    }

    /// Stores OaSIS ratings in the authoritative layer: one packed row per profile and load. A
    /// profile whose ratings and release are as stored is left alone; otherwise the new load
    /// wins its cells by the precedence rule (newer among equals) and each change of winner is
    /// logged, on the profile and on the unit groups and titles that hold stored values.
    static func storeProfileRatings(_ candidates: [Candidate], runID: String, db: Database) throws -> SubmitSummary {
        var summary = SubmitSummary()
        // By profile, in order of first appearance, as runs of consecutive ratings (a load has
        // ~223,000, spread over one file per category, a row's ratings one after the other):
        // one pass over the subjects, no copy of a candidate.
        var order: [String] = []
        var positions: [String: Int] = [:]
        var counts: [Int] = []
        var firsts: [Int] = []
        var runs: [RatingLayer.Run] = []
        candidates.withUnsafeBufferPointer { candidates in
            for index in candidates.indices where candidates[index].key.subject.kind == .profile {
                if let last = runs.last, last.candidates.upperBound == index,
                   candidates[index].key.subject.code == order[last.profile] {
                    runs[runs.count - 1].candidates = last.candidates.lowerBound..<(index + 1)
                    counts[last.profile] += 1
                    continue
                }
                let code = candidates[index].key.subject.code
                let position: Int
                if let known = positions[code] {
                    position = known
                } else {
                    position = order.count
                    positions[code] = position
                    order.append(code)
                    counts.append(0)
                    firsts.append(index)
                }
                runs.append(RatingLayer.Run(profile: position, candidates: index..<(index + 1)))
                counts[position] += 1
            }
        }
        // The layers are packed on another core while the store is read and provenances written.
        let packing = RatingLayer.packInBackground(candidates, runs: runs, profiles: order.count)
        let session = Session(db: db, runID: runID)
        let newest = try db.cachedStatement(sql: """
            SELECT r.ratings, p.release FROM profile_rating r JOIN provenance p ON p.id = r.provenance_id
            WHERE r.profile_code = ? ORDER BY r.provenance_id DESC LIMIT 1
            """)
        // Positions of the profiles whose layer differs from their newest stored one. Before any
        // layer is stored, that is all of them, known without waiting for the packing.
        var changed: [Int] = []
        var layers: [String] = []
        if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM profile_rating)") ?? false {
            layers = try packing.value()
            for position in order.indices {
                if let row = try Row.fetchOne(newest, arguments: [order[position]]),
                   (row[0] as String) == layers[position], (row[1] as String?) == candidates[firsts[position]].release {
                    summary.unchanged += counts[position]
                    continue
                }
                changed.append(position)
            }
        } else {
            changed = Array(order.indices)
        }
        guard !changed.isEmpty else { return summary }

        // What changes for subjects that already have values: their winners before the write.
        let changedProfiles = changed.map { order[$0] }
        let affected = try CascadeGraph.dependents(of: .ratings(profiles: changedProfiles), in: StoreTopology(db))
        let before = try winners(of: affected, db: db)
        let provenanceIDs = try changed.map { try session.provenanceID(Provenance(candidates[firsts[$0]])) }
        if layers.isEmpty { layers = try packing.value() }
        let insert = RawStatement(try db.cachedStatement(sql: """
            INSERT INTO profile_rating (profile_code, provenance_id, cells, ratings) VALUES (?, ?, ?, ?)
            """))
        for (index, position) in changed.enumerated() {
            insert.bind(1, order[position])
            insert.bind(2, provenanceIDs[index])
            insert.bind(3, Int64(counts[position]))
            insert.bind(4, layers[position])
            try insert.step(db)
            summary.inserted += counts[position]
        }
        let reconciled = try reconcile(affected, before: before, session: session)
        summary.overridden += reconciled.overridden
        // Every cell of a changed profile that had no winner before got one.
        let alreadyHeld = Set(affected.filter { $0.kind == .profile }.map(\.code))
        for position in changed where !alreadyHeld.contains(order[position]) { summary.filled += counts[position] }
        summary.filled += reconciled.filled
        return summary
    }

    /// The current winner of every cell of the subjects.
    static func winners(of subjects: [Subject], db: Database) throws -> [Subject: [CellKey: CellEntry]] {
        let reader = CellReader(db, withMetadata: false)
        var result: [Subject: [CellKey: CellEntry]] = [:]
        for subject in subjects {
            var cells: [CellKey: CellEntry] = [:]
            for state in try reader.cells(of: subject) { cells[state.key] = state.winningEntry }
            result[subject] = cells
        }
        return result
    }

    /// Brings the subjects' stored winner flags in line with their cells as they are now, and logs
    /// an override event for every cell whose winner differs from `before`.
    static func reconcile(_ subjects: [Subject], before: [Subject: [CellKey: CellEntry]],
                          session: Session) throws -> (filled: Int, overridden: Int) {
        let reader = CellReader(session.db, withMetadata: false)
        var filled = 0, overridden = 0
        for subject in subjects {
            let previous = before[subject] ?? [:]
            var present: Set<CellKey> = []
            for state in try reader.cells(of: subject) {
                present.insert(state.key)
                for (position, entry) in state.entries.enumerated() {
                    guard case .stored(let id) = entry.origin else { continue }
                    let shouldWin = position == state.winner
                    if entry.isStoredWinner != shouldWin { try session.setWinnerFlag(id, shouldWin) }
                }
                let winner = state.winningEntry
                guard let old = previous[state.key] else {
                    if subject.kind != .profile { filled += 1 }
                    continue
                }
                if !sameEntry(old, winner) {
                    // A stored winner that no longer counts is not among the entries read.
                    if case .stored(let id) = old.origin, !state.entries.contains(where: { $0.origin == old.origin }) {
                        try session.setWinnerFlag(id, false)
                    }
                    guard isOverride(from: old, to: winner) else { continue }
                    try session.logOverride(state.key, old: old, new: winner)
                    overridden += 1
                }
            }
            // Cells left without any candidate: their old winner was withdrawn.
            let gone = previous.keys.filter { !present.contains($0) }
                .sorted { ($0.descriptor, $0.dimension) < ($1.descriptor, $1.dimension) }
            for key in gone {
                let old = previous[key]!
                if case .stored(let id) = old.origin { try session.setWinnerFlag(id, false) }
                try session.logWithdrawal(key, old: old)
                overridden += 1
            }
        }
        return (filled, overridden)
    }

    /// Whether a change of winner is an override: the cell's value, source or confidence
    /// changes (a recalibrated O*NET confidence is logged like a new value). A new winner with
    /// the old value and confidence from the same source (a reload of an unchanged rating, the
    /// same answer again) changes nothing a user sees and is not logged.
    static func isOverride(from old: CellEntry, to new: CellEntry) -> Bool {
        old.candidate.value != new.candidate.value || old.candidate.text != new.candidate.text
            || old.candidate.source != new.candidate.source || old.candidate.confidence != new.candidate.confidence
    }

    private static func sameEntry(_ lhs: CellEntry, _ rhs: CellEntry) -> Bool {
        if !lhs.isDerived || !rhs.isDerived { return lhs.origin == rhs.origin }
        return lhs.candidate.source == rhs.candidate.source && lhs.candidate.method == rhs.candidate.method
            && lhs.candidate.value == rhs.candidate.value && lhs.candidate.text == rhs.candidate.text
            && lhs.candidate.sourceIDs == rhs.candidate.sourceIDs && lhs.candidate.observedAt == rhs.candidate.observedAt
            && lhs.candidate.confidence == rhs.candidate.confidence
    }
}

/// The write side of a step, over the step's transaction: the engine's typed writes, and the
/// step's `db` for a source's own repository, so that everything a step writes commits or rolls
/// back together.
public struct StepWriter {
    /// The step's transaction.
    public let db: Database
    /// The run the step belongs to: the provenance of what it writes.
    public let runID: String

    public func upsertNOCClasses(_ classes: [NOCClass]) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO noc_class (code, level, hierarchy, title, definition, parent) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(code) DO UPDATE SET level = excluded.level, hierarchy = excluded.hierarchy,
                title = excluded.title, definition = excluded.definition, parent = excluded.parent
            """)
        // Bound straight to SQLite: a NOC release is ~800 classes with long definitions.
        let raw = RawStatement(statement)
        for item in classes {
            raw.bind(1, item.code)
            raw.bind(2, Int64(item.level))
            raw.bind(3, item.hierarchy)
            raw.bind(4, item.title)
            raw.bind(5, item.definition)
            raw.bind(6, item.parent)
            try raw.step(db)
        }
    }

    public func upsertProfiles(_ profiles: [Profile]) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO profile (code, unit_group, label, lead_statement) VALUES (?, ?, ?, ?)
            ON CONFLICT(code) DO UPDATE SET unit_group = excluded.unit_group, label = excluded.label,
                lead_statement = excluded.lead_statement
            """)
        let raw = RawStatement(statement)
        for profile in profiles {
            raw.bind(1, profile.code)
            raw.bind(2, profile.unitGroup)
            raw.bind(3, profile.label)
            raw.bind(4, profile.leadStatement)
            try raw.step(db)
        }
    }

    public func replaceProfileTexts(_ texts: [ProfileText]) throws {
        let kinds = Set(texts.map(\.kind.rawValue))
        for kind in kinds { try db.execute(sql: "DELETE FROM profile_text WHERE kind = ?", arguments: [kind]) }
        // ~35,000 texts per load: bound straight to SQLite, without building arguments per row;
        // in the table's key order, so that each row goes to the end of the b-tree instead of a
        // random page of it (a file's texts come kind by kind); and many rows per statement, which
        // saves SQLite's per-statement work for most of them.
        let columns = "INSERT INTO profile_text (profile_code, kind, seq, text, qualifier, reference) VALUES "
        let rowsPerBatch = 50
        let single = RawStatement(try db.cachedStatement(sql: columns + "(?, ?, ?, ?, ?, ?)"))
        let batch = RawStatement(try db.cachedStatement(
            sql: columns + Array(repeating: "(?, ?, ?, ?, ?, ?)", count: rowsPerBatch).joined(separator: ", ")))
        try texts.withUnsafeBufferPointer { texts in
            let order = Self.keyOrder(of: texts)
            func bind(_ statement: RawStatement, row: Int32, _ text: ProfileText) {
                statement.bind(row * 6 + 1, text.profileCode)
                statement.bind(row * 6 + 2, text.kind.rawValue)
                statement.bind(row * 6 + 3, Int64(text.seq))
                statement.bind(row * 6 + 4, text.text)
                statement.bind(row * 6 + 5, text.qualifier)
                statement.bind(row * 6 + 6, text.reference)
            }
            let batched = order.count / rowsPerBatch * rowsPerBatch
            for start in stride(from: 0, to: batched, by: rowsPerBatch) {
                for row in 0..<rowsPerBatch { bind(batch, row: Int32(row), texts[order[start + row]]) }
                try batch.step(db)
            }
            for index in order[batched...] {
                bind(single, row: 0, texts[index])
                try single.step(db)
            }
        }
    }

    /// The texts' positions sorted by profile code and kind (the key of `profile_text`, whose
    /// last part, `seq`, follows the order texts arrive in). A bucket sort: ~900 profiles, 6 kinds.
    private static func keyOrder(of texts: UnsafeBufferPointer<ProfileText>) -> [Int] {
        var profileBuckets: [String: Int] = [:]
        var codes: [String] = []
        var profileOfText = [Int](repeating: 0, count: texts.count)
        for index in texts.indices {
            let code = texts[index].profileCode
            if let bucket = profileBuckets[code] {
                profileOfText[index] = bucket
            } else {
                profileBuckets[code] = codes.count
                profileOfText[index] = codes.count
                codes.append(code)
            }
        }
        var profileRank = [Int](repeating: 0, count: codes.count)
        // By bytes, as SQLite's BINARY collation orders the key.
        for (rank, bucket) in codes.indices.sorted(by: { codes[$0].utf8.lexicographicallyPrecedes(codes[$1].utf8) }).enumerated() {
            profileRank[bucket] = rank
        }
        let kinds = ProfileText.Kind.allCases.sorted { $0.rawValue.utf8.lexicographicallyPrecedes($1.rawValue.utf8) }
        var kindRank: [ProfileText.Kind: Int] = [:]
        for (rank, kind) in kinds.enumerated() { kindRank[kind] = rank }
        // Counting sort on profile rank, then kind rank: stable, so each cell keeps the arrival order.
        let kindCount = kinds.count
        var starts = [Int](repeating: 0, count: codes.count * kindCount + 1)
        var keys = [Int](repeating: 0, count: texts.count)
        for index in texts.indices {
            let key = profileRank[profileOfText[index]] * kindCount + kindRank[texts[index].kind]!
            keys[index] = key
            starts[key + 1] += 1
        }
        for key in 0..<(starts.count - 1) { starts[key + 1] += starts[key] }
        var order = [Int](repeating: 0, count: texts.count)
        for index in texts.indices {
            order[starts[keys[index]]] = index
            starts[keys[index]] += 1
        }
        return order
    }

    public func upsertDescriptors(_ descriptors: [Descriptor], scales: [DescriptorScale]) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO descriptor (code, name, category, structure_type, parent, definition, origin, sort_key)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(code) DO UPDATE SET name = excluded.name, category = excluded.category,
                structure_type = excluded.structure_type, parent = excluded.parent, definition = excluded.definition,
                origin = excluded.origin, sort_key = excluded.sort_key
            """)
        let raw = RawStatement(statement)
        for item in descriptors {
            raw.bind(1, item.code)
            raw.bind(2, item.name)
            raw.bind(3, item.category.rawValue)
            raw.bind(4, item.structureType.rawValue)
            raw.bind(5, item.parent)
            raw.bind(6, item.definition)
            raw.bind(7, item.origin.rawValue)
            raw.bind(8, Int64(item.sortKey))
            try raw.step(db)
        }
        let scaleStatement = try db.cachedStatement(sql: """
            INSERT INTO descriptor_scale (descriptor_code, dimension, minimum, maximum, label, not_applicable, position)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(descriptor_code, dimension) DO UPDATE SET minimum = excluded.minimum,
                maximum = excluded.maximum, label = excluded.label, not_applicable = excluded.not_applicable,
                position = excluded.position
            """)
        let rawScale = RawStatement(scaleStatement)
        for scale in scales {
            rawScale.bind(1, scale.descriptorCode)
            rawScale.bind(2, scale.dimension.rawValue)
            rawScale.bind(3, scale.minimum)
            rawScale.bind(4, scale.maximum)
            rawScale.bind(5, scale.label)
            rawScale.bind(6, scale.notApplicable)
            rawScale.bind(7, Int64(scale.position))
            try rawScale.step(db)
        }
    }

    public func recordRelease(_ release: ReleaseRecord) throws {
        let fingerprint = release.fingerprint
        if try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM release WHERE source = ? AND fingerprint = ?)",
                             arguments: [release.source.rawValue, fingerprint]) == true { return }
        try db.execute(sql: "INSERT INTO release (source, name, fingerprint, loaded_at, run_id) VALUES (?, ?, ?, ?, ?)",
                       arguments: [release.source.rawValue, release.name, fingerprint, Timestamp.string(Date()), runID])
        let id = db.lastInsertedRowID
        for file in release.files {
            try db.execute(sql: "INSERT INTO source_file (release_id, path, sha256, records) VALUES (?, ?, ?, ?)",
                           arguments: [id, file.path, file.sha256, file.records])
        }
    }

    public func recordRatingColumns(_ columns: [(file: String, header: String, descriptor: String, dimension: String, match: String)]) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO rating_column (file, header, descriptor_code, dimension, match) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(file, header) DO UPDATE SET descriptor_code = excluded.descriptor_code,
                dimension = excluded.dimension, match = excluded.match
            """)
        for column in columns {
            try statement.execute(arguments: [column.file, column.header, column.descriptor, column.dimension, column.match])
        }
    }

    /// Offers candidates to their cells: each becomes the winner if the precedence rule says so,
    /// and every change of winner is appended to the override log.
    public func submit(_ candidates: [Candidate]) throws -> SubmitSummary {
        try CellWriter.submit(candidates, runID: runID, db: db)
    }

    /// Stores OaSIS profile ratings in the authoritative layer (unit group and title cells are
    /// derived from it when read).
    public func storeProfileRatings(_ candidates: [Candidate]) throws -> SubmitSummary {
        try CellWriter.storeProfileRatings(candidates, runID: runID, db: db)
    }
}
