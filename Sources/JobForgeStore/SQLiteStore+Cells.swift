import Foundation
import GRDB
import JobForgeCore

extension SQLiteStore: CellStore {
    public func beginRun(command: String) throws -> String {
        let id = Self.newRunID()
        try dbQueue.write { db in
            try db.execute(sql: "INSERT INTO run (id, command, started_at) VALUES (?, ?, ?)",
                           arguments: [id, command, Timestamp.string(Date())])
        }
        return id
    }

    public func finishRun(_ id: String, status: String) throws {
        try dbQueue.write { db in
            try db.execute(sql: "UPDATE run SET finished_at = ?, status = ? WHERE id = ?",
                           arguments: [Timestamp.string(Date()), status, id])
        }
    }

    /// Run ids sort by time: `20261123T185012Z-3f9a1c`.
    static func newRunID() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: Date()) + "-" + UUID().uuidString.prefix(6).lowercased()
    }

    public func completedStep(_ name: String) throws -> StepRecord? {
        try dbQueue.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM step WHERE name = ?", arguments: [name]).map {
                StepRecord(name: $0["name"], fingerprint: $0["fingerprint"],
                           completedAt: Timestamp.date($0["completed_at"]) ?? Date(), runID: $0["run_id"],
                           summary: $0["summary"])
            }
        }
    }

    public func commitStep(_ name: String, fingerprint: String, runID: String,
                           _ body: (StepWriter) throws -> String) throws {
        try dbQueue.write { db in
            let summary = try body(SQLiteStepWriter(db: db))
            try db.execute(sql: """
                INSERT INTO step (name, fingerprint, completed_at, run_id, summary) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET fingerprint = excluded.fingerprint,
                    completed_at = excluded.completed_at, run_id = excluded.run_id, summary = excluded.summary
                """, arguments: [name, fingerprint, Timestamp.string(Date()), runID, summary])
        }
    }

    public func submit(_ candidates: [Candidate], runID: String) throws -> SubmitSummary {
        try dbQueue.write { db in try CellWriter.submit(candidates, runID: runID, db: db) }
    }

    // MARK: Reads

    public func subjectHeader(_ subject: Subject) throws -> SubjectHeader? {
        try dbQueue.read { db in
            switch subject.kind {
            case .unitGroup:
                guard let row = try Row.fetchOne(db, sql: "SELECT title, definition FROM noc_class WHERE code = ? AND level = 5",
                                                 arguments: [subject.code]) else { return nil }
                let profiles = try String.fetchAll(db, sql: "SELECT code FROM profile WHERE unit_group = ? ORDER BY code",
                                                   arguments: [subject.code])
                return SubjectHeader(subject: subject, label: row["title"], leadStatement: row["definition"],
                                     related: profiles, details: [:])
            case .profile:
                guard let row = try Row.fetchOne(db, sql: "SELECT label, lead_statement, unit_group FROM profile WHERE code = ?",
                                                 arguments: [subject.code]) else { return nil }
                return SubjectHeader(subject: subject, label: row["label"], leadStatement: row["lead_statement"],
                                     related: [row["unit_group"]], details: [:])
            case .title:
                return try Self.titleHeader(db, id: subject.code)
            }
        }
    }

    public func resolveSubject(_ text: String) throws -> Subject? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        return try dbQueue.read { db in
            if trimmed.allSatisfy(\.isASCIIDigit), let code = Codes.unitGroup(trimmed),
               try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM noc_class WHERE code = ? AND level = 5)", arguments: [code]) == true {
                return .unitGroup(code)
            }
            if trimmed.contains("."), let code = Codes.profile(trimmed),
               try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM profile WHERE code = ?)", arguments: [code]) == true {
                return .profile(code)
            }
            if let id = try Self.titleID(db, matching: trimmed) { return .title(id) }
            return nil
        }
    }

    public func winners(of subject: Subject, filter: CellFilter) throws -> [CellValue] {
        try dbQueue.read { db in
            var values: [CellValue] = []
            try Self.forEachWinner(db, subject: subject, filter: filter) { values.append($0) }
            return values
        }
    }

    /// Streams every winning cell matching `filter`, ordered by subject and guide order.
    public func forEachWinner(filter: CellFilter, subjectKinds: [Subject.Kind] = Subject.Kind.allCases,
                              _ body: (CellValue) throws -> Void) throws {
        try dbQueue.read { db in
            for kind in subjectKinds {
                try Self.forEachWinner(db, subject: nil, kind: kind, filter: filter, body)
            }
        }
    }

    static func forEachWinner(_ db: Database, subject: Subject?, kind: Subject.Kind? = nil, filter: CellFilter,
                              _ body: (CellValue) throws -> Void) throws {
        try forEachCell(db, winnersOnly: true, subject: subject, kind: kind, filter: filter, body)
    }

    static func forEachCell(_ db: Database, winnersOnly: Bool, subject: Subject?, kind: Subject.Kind?, filter: CellFilter,
                            _ body: (CellValue) throws -> Void) throws {
        var conditions = [winnersOnly ? "c.is_winner = 1" : "1 = 1"]
        var arguments: [DatabaseValueConvertible] = []
        if let subject {
            conditions.append("c.subject_kind = ? AND c.subject_code = ?")
            arguments += [subject.kind.rawValue, subject.code]
        } else if let kind {
            conditions.append("c.subject_kind = ?")
            arguments.append(kind.rawValue)
        }
        if let categories = filter.categories, !categories.isEmpty {
            conditions.append("d.category IN (\(categories.map { _ in "?" }.joined(separator: ",")))")
            arguments += categories.sorted()
        }
        if let sources = filter.sources, !sources.isEmpty {
            conditions.append("c.source IN (\(sources.map { _ in "?" }.joined(separator: ",")))")
            arguments += sources.map(\.rawValue).sorted()
        }
        if let minimum = filter.minimumConfidence {
            conditions.append("c.confidence >= ?")
            arguments.append(minimum)
        }
        let sql = """
            SELECT c.*, d.name AS d_name, d.category AS d_category, s.label AS s_label, s.minimum AS s_min,
                   s.maximum AS s_max, s.not_applicable AS s_na, s.position AS s_position
            FROM candidate c
            JOIN descriptor d ON d.code = c.descriptor_code
            LEFT JOIN descriptor_scale s ON s.descriptor_code = c.descriptor_code AND s.dimension = c.dimension
            WHERE \(conditions.joined(separator: " AND "))
            ORDER BY c.subject_kind, c.subject_code, d.sort_key, COALESCE(s.position, 9), c.dimension, c.precedence DESC, c.id
            """
        let cursor = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(arguments))
        while let row = try cursor.next() {
            let candidate = try CandidateRow.candidate(from: row)
            var scale: String?
            if let label: String = row["s_label"] {
                scale = DescriptorScale(descriptorCode: candidate.key.descriptor, dimension: candidate.key.dimension,
                                        minimum: row["s_min"], maximum: row["s_max"], label: label,
                                        notApplicable: row["s_na"]).summary
            }
            try body(CellValue(subject: candidate.key.subject, descriptorCode: candidate.key.descriptor,
                               descriptorName: row["d_name"], category: row["d_category"],
                               dimension: candidate.key.dimension.rawValue, value: candidate.value, text: candidate.text,
                               scale: scale, source: candidate.source, precedence: candidate.precedence,
                               method: candidate.method, sourceLevel: candidate.sourceLevel.rawValue,
                               sourceIDs: candidate.sourceIDs, confidence: candidate.confidence,
                               rationale: candidate.rationale, release: candidate.release,
                               observedAt: candidate.observedAt, runID: row["run_id"],
                               metadata: candidate.metadata, candidateID: row["id"], isWinner: row["is_winner"],
                               scalePosition: row["s_position"]))
        }
    }

    public func candidates(for key: CellKey) throws -> [StoredCandidate] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM candidate WHERE subject_kind = ? AND subject_code = ? AND descriptor_code = ? AND dimension = ?
                ORDER BY precedence DESC, observed_at DESC, id DESC
                """, arguments: [key.subject.kind.rawValue, key.subject.code, key.descriptor, key.dimension.rawValue]
            ).map { row in
                StoredCandidate(id: row["id"], candidate: try CandidateRow.candidate(from: row), runID: row["run_id"],
                                isWinner: row["is_winner"])
            }
        }
    }

    public func overrides(for key: CellKey) throws -> [OverrideEvent] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM override_event WHERE subject_kind = ? AND subject_code = ? AND descriptor_code = ? AND dimension = ?
                ORDER BY id
                """, arguments: [key.subject.kind.rawValue, key.subject.code, key.descriptor, key.dimension.rawValue]
            ).map { row in
                OverrideEvent(id: row["id"], key: key, oldCandidateID: row["old_candidate_id"],
                              newCandidateID: row["new_candidate_id"], oldValue: row["old_value"], newValue: row["new_value"],
                              oldSource: (row["old_source"] as String?).flatMap(Source.init(rawValue:)),
                              newSource: Source(rawValue: row["new_source"]) ?? .llm, reason: row["reason"],
                              at: Timestamp.date(row["at"]) ?? Date(), runID: row["run_id"])
            }
        }
    }

    /// Every override event, oldest first (for audits and exports).
    public func allOverrides() throws -> [OverrideEvent] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM override_event ORDER BY id").map { row in
                OverrideEvent(id: row["id"],
                              key: CellKey(subject: Subject(kind: Subject.Kind(rawValue: row["subject_kind"]) ?? .profile,
                                                            code: row["subject_code"]),
                                           descriptor: row["descriptor_code"], dimension: CellDimension(row["dimension"])),
                              oldCandidateID: row["old_candidate_id"], newCandidateID: row["new_candidate_id"],
                              oldValue: row["old_value"], newValue: row["new_value"],
                              oldSource: (row["old_source"] as String?).flatMap(Source.init(rawValue:)),
                              newSource: Source(rawValue: row["new_source"]) ?? .llm, reason: row["reason"],
                              at: Timestamp.date(row["at"]) ?? Date(), runID: row["run_id"])
            }
        }
    }

    public func descriptors(category: Category?) throws -> [DescriptorInfo] {
        try dbQueue.read { db in
            var sql = "SELECT * FROM descriptor WHERE structure_type = 'Descriptor'"
            var arguments: StatementArguments = []
            if let category {
                sql += " AND category = ?"
                arguments = [category.rawValue]
            }
            sql += " ORDER BY sort_key, code"
            let scales = try Self.allScales(db)
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                let descriptor = Self.descriptor(from: row)
                return DescriptorInfo(descriptor: descriptor, scales: scales[descriptor.code] ?? [])
            }
        }
    }

    public func descriptor(matching text: String) throws -> DescriptorInfo? {
        let trimmed = text.trimmingSpacesAndNBSP
        return try dbQueue.read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT * FROM descriptor WHERE structure_type = 'Descriptor'
                  AND (code = ? COLLATE NOCASE OR name = ? COLLATE NOCASE)
                ORDER BY (code = ?) DESC, sort_key LIMIT 1
                """, arguments: [trimmed, trimmed, trimmed])
            guard let row else { return nil }
            let descriptor = Self.descriptor(from: row)
            return DescriptorInfo(descriptor: descriptor, scales: try Self.allScales(db)[descriptor.code] ?? [])
        }
    }

    public func cellCounts() throws -> [CellCount] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT c.subject_kind, c.source, d.category, COUNT(*) AS n
                FROM candidate c JOIN descriptor d ON d.code = c.descriptor_code
                WHERE c.is_winner = 1 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
                """).map { CellCount(subjectKind: $0["subject_kind"], source: $0["source"], category: $0["category"], cells: $0["n"]) }
        }
    }

    /// Row counts of the reference tables, for summaries and tests.
    public func tableCounts() throws -> [String: Int] {
        try dbQueue.read { db in
            var counts: [String: Int] = [:]
            for table in ["noc_class", "profile", "profile_text", "descriptor", "descriptor_scale", "candidate",
                          "override_event", "release", "source_file", "run", "step"] {
                counts[table] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0
            }
            counts["unit_group"] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM noc_class WHERE level = 5") ?? 0
            return counts
        }
    }

    // MARK: Helpers

    static func allScales(_ db: Database) throws -> [String: [DescriptorScale]] {
        var scales: [String: [DescriptorScale]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT * FROM descriptor_scale ORDER BY descriptor_code, position, dimension") {
            let scale = DescriptorScale(descriptorCode: row["descriptor_code"], dimension: CellDimension(row["dimension"]),
                                        minimum: row["minimum"], maximum: row["maximum"], label: row["label"],
                                        notApplicable: row["not_applicable"], position: row["position"])
            scales[scale.descriptorCode, default: []].append(scale)
        }
        return scales
    }

    static func descriptor(from row: Row) -> Descriptor {
        Descriptor(code: row["code"], name: row["name"], category: row["category"], structureType: row["structure_type"],
                   parent: row["parent"], definition: row["definition"], origin: row["origin"], sortKey: row["sort_key"])
    }
}

/// Timestamps are stored as ISO 8601 text in UTC with milliseconds, so that they sort as text.
public enum Timestamp {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: (Date, String)?

    public static func string(_ date: Date) -> String {
        lock.lock(); defer { lock.unlock() }
        if let cache, cache.0 == date { return cache.1 }
        let text = date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        cache = (date, text)
        return text
    }

    public static func date(_ text: String?) -> Date? {
        guard let text else { return nil }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }
}

extension SQLiteStore {
    /// The dimensions a descriptor has values in for a subject (O*NET adds importance, for one).
    public func dimensionsWithValues(subject: Subject, descriptor: String) throws -> [CellDimension] {
        try dbQueue.read { db in
            try String.fetchAll(db, sql: """
                SELECT DISTINCT dimension FROM candidate WHERE subject_kind = ? AND subject_code = ? AND descriptor_code = ?
                ORDER BY dimension
                """, arguments: [subject.kind.rawValue, subject.code, descriptor]).map { CellDimension(rawValue: $0) }
        }
    }

    /// A readable label for every subject: unit group titles, profile labels, job titles.
    public func subjectLabels() throws -> [Subject: String] {
        try dbQueue.read { db in
            var labels: [Subject: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT code, title FROM noc_class WHERE level = 5") {
                labels[.unitGroup(row["code"])] = row["title"]
            }
            for row in try Row.fetchAll(db, sql: "SELECT code, label FROM profile") { labels[.profile(row["code"])] = row["label"] }
            if try db.tableExists("job_title") {
                for row in try Row.fetchAll(db, sql: "SELECT id, title FROM job_title") { labels[.title(row["id"])] = row["title"] }
            }
            return labels
        }
    }
}

extension SQLiteStore {
    /// Streams every candidate (winning or not) matching `filter`, for audits.
    public func forEachCandidate(filter: CellFilter, _ body: (CellValue, Bool) throws -> Void) throws {
        try dbQueue.read { db in
            try Self.forEachCell(db, winnersOnly: false, subject: nil, kind: nil, filter: filter) { cell in
                try body(cell, cell.isWinner)
            }
        }
    }
}

extension SQLiteStore {
    /// The winning authoritative candidates of the given profiles, by profile code: what their
    /// job titles inherit.
    public func authoritativeProfileCandidates(_ profiles: [String]) throws -> [String: [Candidate]] {
        try dbQueue.read { db in
            var result: [String: [Candidate]] = [:]
            let statement = try db.cachedStatement(sql: """
                SELECT * FROM candidate WHERE subject_kind = 'profile' AND subject_code = ? AND is_winner = 1
                  AND source = 'authoritative'
                ORDER BY id
                """)
            for profile in profiles {
                let rows = try Row.fetchCursor(statement, arguments: [profile])
                var cells: [Candidate] = []
                while let row = try rows.next() { cells.append(try CandidateRow.candidate(from: row)) }
                result[profile] = cells
            }
            return result
        }
    }
}

extension SQLiteStore {
    /// Every OaSIS profile code, in order.
    public func profileCodes() throws -> [String] {
        try dbQueue.read { try String.fetchAll($0, sql: "SELECT code FROM profile ORDER BY code") }
    }
}
