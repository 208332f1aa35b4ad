import Foundation
import GRDB
import JobForgeCore

/// The cascade's write path: candidates in, winners and override events out. This is the only
/// code that changes `candidate.is_winner` or appends to `override_event`, and it decides with
/// `Precedence.replaces`, so the rule lives in exactly one place.
enum CellWriter {
    /// What is known of a stored candidate while a batch is applied.
    private struct Incumbent {
        var id: Int64
        var precedence: Int
        var observedAt: Date
        var value: Double
        var source: Source
    }

    private struct CellID: Hashable {
        var descriptor: String
        var dimension: String
    }

    /// Two offers are the same when all of this is equal.
    private struct Identity: Hashable {
        var source: String
        var method: String
        var release: String?
        var value: Double
        var text: String?
        var sourceIDs: String
        var confidence: Double
    }

    static func submit(_ candidates: [Candidate], runID: String, db: Database) throws -> SubmitSummary {
        var summary = SubmitSummary()
        guard !candidates.isEmpty else { return summary }

        // Group by subject, keeping arrival order: the stored state is read once per subject.
        var order: [Subject] = []
        var bySubject: [Subject: [Int]] = [:]
        for (index, candidate) in candidates.enumerated() {
            if bySubject[candidate.key.subject] == nil { order.append(candidate.key.subject) }
            bySubject[candidate.key.subject, default: []].append(index)
        }

        let existing = try db.cachedStatement(sql: """
            SELECT id, descriptor_code, dimension, value, text_value, source, precedence, method, source_ids,
                   release, observed_at, is_winner, confidence
            FROM candidate WHERE subject_kind = ? AND subject_code = ?
            """)
        let insert = RawStatement(try db.cachedStatement(sql: """
            INSERT INTO candidate (subject_kind, subject_code, descriptor_code, dimension, value, text_value, source,
                precedence, method, source_level, source_ids, confidence, rationale, release, observed_at, run_id,
                metadata, is_winner)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """))
        let demote = try db.cachedStatement(sql: "UPDATE candidate SET is_winner = 0 WHERE id = ?")
        let logOverride = try db.cachedStatement(sql: """
            INSERT INTO override_event (subject_kind, subject_code, descriptor_code, dimension, old_candidate_id,
                new_candidate_id, old_value, new_value, old_source, new_source, reason, at, run_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let now = Timestamp.string(Date())
        var lastObservedAt = Date.distantPast
        var lastObservedText = ""
        // Stored times repeat (one per load): parse each distinct one once.
        var parsedTimes: [String: Date] = [:]
        func parsedTime(_ text: String) -> Date {
            if let known = parsedTimes[text] { return known }
            let date = Timestamp.date(text) ?? .distantPast
            parsedTimes[text] = date
            return date
        }

        for subject in order {
            var winners: [CellID: Incumbent] = [:]
            // The offers each cell already holds; empty on a first load, so nothing is compared then.
            var held: [CellID: [Identity]] = [:]
            let rows = try Row.fetchCursor(existing, arguments: [subject.kind.rawValue, subject.code])
            while let row = try rows.next() {
                let cell = CellID(descriptor: row[1], dimension: row[2])
                let source = Source(rawValue: row[5]) ?? .llm
                held[cell, default: []].append(Identity(source: source.rawValue, method: row[7], release: row[9],
                                                         value: row[3], text: row[4], sourceIDs: row[8],
                                                         confidence: row[12]))
                if (row[11] as Int) == 1 {
                    winners[cell] = Incumbent(id: row[0], precedence: row[6], observedAt: parsedTime(row[10]),
                                              value: row[3], source: source)
                }
            }

            for index in bySubject[subject]! {
                let candidate = candidates[index]
                let cell = CellID(descriptor: candidate.key.descriptor, dimension: candidate.key.dimension.rawValue)
                let sourceIDs = JSONText.array(candidate.sourceIDs)
                let identity = Identity(source: candidate.source.rawValue, method: candidate.method, release: candidate.release,
                                        value: candidate.value, text: candidate.text, sourceIDs: sourceIDs,
                                        confidence: candidate.confidence)
                if let offers = held[cell] {
                    if offers.contains(identity) {
                        summary.unchanged += 1
                        continue
                    }
                    held[cell]!.append(identity)
                } else {
                    held[cell] = [identity]
                }

                let incumbent = winners[cell]
                let wins = incumbent.map {
                    Precedence.replaces(challengerPrecedence: candidate.precedence, challengerTime: candidate.observedAt,
                                        incumbentPrecedence: $0.precedence, incumbentTime: $0.observedAt)
                } ?? true
                if candidate.observedAt != lastObservedAt {
                    lastObservedAt = candidate.observedAt
                    lastObservedText = Timestamp.string(candidate.observedAt)
                }
                insert.bind(1, subject.kind.rawValue)
                insert.bind(2, subject.code)
                insert.bind(3, cell.descriptor)
                insert.bind(4, cell.dimension)
                insert.bind(5, candidate.value)
                insert.bind(6, candidate.text)
                insert.bind(7, candidate.source.rawValue)
                insert.bind(8, Int64(candidate.precedence))
                insert.bind(9, candidate.method)
                insert.bind(10, candidate.sourceLevel.rawValue)
                insert.bind(11, sourceIDs)
                insert.bind(12, candidate.confidence)
                insert.bind(13, candidate.rationale)
                insert.bind(14, candidate.release)
                insert.bind(15, lastObservedText)
                insert.bind(16, runID)
                insert.bind(17, candidate.metadata.isEmpty ? nil : JSONText.object(candidate.metadata))
                insert.bind(18, Int64(wins ? 1 : 0))
                try insert.step(db)
                summary.inserted += 1
                guard wins else {
                    summary.keptBelow += 1
                    continue
                }
                let newID = db.lastInsertedRowID
                if let incumbent {
                    try demote.execute(arguments: [incumbent.id])
                    try logOverride.execute(arguments: [
                        subject.kind.rawValue, subject.code, cell.descriptor, cell.dimension, incumbent.id, newID,
                        incumbent.value, candidate.value, incumbent.source.rawValue, candidate.source.rawValue,
                        Precedence.reason(challenger: candidate.source, incumbent: incumbent.source), now, runID,
                    ])
                    summary.overridden += 1
                } else {
                    summary.filled += 1
                }
                winners[cell] = Incumbent(id: newID, precedence: candidate.precedence, observedAt: candidate.observedAt,
                                          value: candidate.value, source: candidate.source)
            }
        }
        return summary
    }
}

/// Decoding a `candidate` row back into a `Candidate`.
enum CandidateRow {
    static func candidate(from row: Row) throws -> Candidate {
        let subject = Subject(kind: Subject.Kind(rawValue: row["subject_kind"]) ?? .profile, code: row["subject_code"])
        let key = CellKey(subject: subject, descriptor: row["descriptor_code"], dimension: CellDimension(row["dimension"]))
        return Candidate(key: key, value: row["value"], text: row["text_value"],
                         source: Source(rawValue: row["source"]) ?? .llm, method: row["method"],
                         sourceLevel: SourceLevel(rawValue: row["source_level"]) ?? .l6,
                         sourceIDs: JSONText.decodeArray(row["source_ids"]), confidence: row["confidence"],
                         rationale: row["rationale"], release: row["release"],
                         observedAt: Timestamp.date(row["observed_at"]) ?? .distantPast,
                         metadata: JSONText.decodeObject(row["metadata"]))
    }
}

/// The typed write side of a step, over the step's transaction.
struct SQLiteStepWriter: StepWriter {
    let db: Database

    func upsertNOCClasses(_ classes: [NOCClass]) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO noc_class (code, level, hierarchy, title, definition, parent) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(code) DO UPDATE SET level = excluded.level, hierarchy = excluded.hierarchy,
                title = excluded.title, definition = excluded.definition, parent = excluded.parent
            """)
        for item in classes {
            try statement.execute(arguments: [item.code, item.level, item.hierarchy, item.title, item.definition, item.parent])
        }
    }

    func upsertProfiles(_ profiles: [Profile]) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO profile (code, unit_group, label, lead_statement) VALUES (?, ?, ?, ?)
            ON CONFLICT(code) DO UPDATE SET unit_group = excluded.unit_group, label = excluded.label,
                lead_statement = excluded.lead_statement
            """)
        for profile in profiles {
            try statement.execute(arguments: [profile.code, profile.unitGroup, profile.label, profile.leadStatement])
        }
    }

    func replaceProfileTexts(_ texts: [ProfileText]) throws {
        let kinds = Set(texts.map(\.kind.rawValue))
        for kind in kinds { try db.execute(sql: "DELETE FROM profile_text WHERE kind = ?", arguments: [kind]) }
        let statement = try db.cachedStatement(sql: """
            INSERT INTO profile_text (profile_code, kind, seq, text, qualifier, reference) VALUES (?, ?, ?, ?, ?, ?)
            """)
        for text in texts {
            try statement.execute(arguments: [text.profileCode, text.kind.rawValue, text.seq, text.text, text.qualifier, text.reference])
        }
    }

    func upsertDescriptors(_ descriptors: [Descriptor], scales: [DescriptorScale]) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO descriptor (code, name, category, structure_type, parent, definition, origin, sort_key)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(code) DO UPDATE SET name = excluded.name, category = excluded.category,
                structure_type = excluded.structure_type, parent = excluded.parent, definition = excluded.definition,
                origin = excluded.origin, sort_key = excluded.sort_key
            """)
        for item in descriptors {
            try statement.execute(arguments: [item.code, item.name, item.category, item.structureType, item.parent,
                                              item.definition, item.origin, item.sortKey])
        }
        let scaleStatement = try db.cachedStatement(sql: """
            INSERT INTO descriptor_scale (descriptor_code, dimension, minimum, maximum, label, not_applicable, position)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(descriptor_code, dimension) DO UPDATE SET minimum = excluded.minimum,
                maximum = excluded.maximum, label = excluded.label, not_applicable = excluded.not_applicable,
                position = excluded.position
            """)
        for scale in scales {
            try scaleStatement.execute(arguments: [scale.descriptorCode, scale.dimension.rawValue, scale.minimum,
                                                   scale.maximum, scale.label, scale.notApplicable, scale.position])
        }
    }

    func recordRelease(_ release: ReleaseRecord, runID: String) throws {
        let fingerprint = release.fingerprint
        if try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM release WHERE source = ? AND fingerprint = ?)",
                             arguments: [release.source, fingerprint]) == true { return }
        try db.execute(sql: "INSERT INTO release (source, name, fingerprint, loaded_at, run_id) VALUES (?, ?, ?, ?, ?)",
                       arguments: [release.source, release.name, fingerprint, Timestamp.string(Date()), runID])
        let id = db.lastInsertedRowID
        for file in release.files {
            try db.execute(sql: "INSERT INTO source_file (release_id, path, sha256, records) VALUES (?, ?, ?, ?)",
                           arguments: [id, file.path, file.sha256, file.records])
        }
    }

    func recordRatingColumns(_ columns: [(file: String, header: String, descriptor: String, dimension: String, match: String)]) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO rating_column (file, header, descriptor_code, dimension, match) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(file, header) DO UPDATE SET descriptor_code = excluded.descriptor_code,
                dimension = excluded.dimension, match = excluded.match
            """)
        for column in columns {
            try statement.execute(arguments: [column.file, column.header, column.descriptor, column.dimension, column.match])
        }
    }

    func submit(_ candidates: [Candidate], runID: String) throws -> SubmitSummary {
        try CellWriter.submit(candidates, runID: runID, db: db)
    }
}
