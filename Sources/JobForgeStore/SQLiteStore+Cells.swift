import Foundation
import GRDB
import JobForgeCore

extension SQLiteStore {
    /// Offers candidates to their cells (one transaction): each becomes the winner if the
    /// precedence rule says so, and every change of winner is appended to the override log.
    public func submit(_ candidates: [Candidate], runID: String) throws -> SubmitSummary {
        try dbQueue.write { db in
            let summary = try CellWriter.submit(candidates, runID: runID, db: db)
            try PublishedModel.refresh(db)
            return summary
        }
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
                // A title's heading is its catalog's (JobForgeTitles' `TitleCatalog.header`).
                return nil
            }
        }
    }

    /// A unit group or profile by its code (`21211`, `21211.00`); job titles are their
    /// catalog's to find.
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
            return nil
        }
    }

    public func winners(of subject: Subject, filter: CellFilter) throws -> [CellValue] {
        try dbQueue.read { db in
            var values: [CellValue] = []
            if let shared = try sharedReads.session(db) {
                var buffers = CellPassBuffers()
                try Self.forEachCell(of: subject, catalog: try shared.descriptorCatalog(db), reader: CellReader(db, shared: shared),
                                     winnersOnly: true, filter: filter, buffers: &buffers) { values.append($0) }
            } else {
                try Self.forEachCell(db, winnersOnly: true, subjects: [subject], filter: filter) { values.append($0) }
            }
            return values
        }
    }

    /// Lets this connection's single-subject reads (`winners(of:)`, `candidates(for:)`) share
    /// what they derive until the store changes (``SharedCellReads``). For a read-only store
    /// that serves many reads (`jobforge serve`); never for one that writes.
    ///
    /// With a `watcher`, the connections given the same `other` share with it too (a server's
    /// pool: what one request derived serves the next on any connection); without, it shares
    /// with itself only.
    ///
    /// ```swift
    /// let watcher = try StoreChangeWatcher(path: path)
    /// for reader in readers { reader.shareReads(with: readers[0], watcher: watcher) }
    /// ```
    public func shareReads(with other: SQLiteStore? = nil, watcher: StoreChangeWatcher? = nil) {
        sharedReads.enable(sharingWith: other?.sharedReads, watcher: watcher)
    }

    /// Each subject's winning cells (as `winners(of:)` gives them), in one read: a pass over many
    /// titles reads the subject index once and each profile's cells once for all its titles,
    /// where `winners(of:)` per title reads both again every time. Read in chunks to keep memory flat.
    ///
    /// ```swift
    /// let cells = try store.winners(ofEach: chunk.map { .title($0.id) }, filter: CellFilter())
    /// for (record, known) in zip(chunk, cells) { ... }
    /// ```
    public func winners(ofEach subjects: [Subject], filter: CellFilter) throws -> [[CellValue]] {
        try dbQueue.read { db in
            let catalog = try DescriptorCatalog(db)
            let reader = CellReader(db)
            var buffers = CellPassBuffers()
            return try subjects.map { subject in
                var values: [CellValue] = []
                try Self.forEachCell(of: subject, catalog: catalog, reader: reader, winnersOnly: true, filter: filter,
                                     buffers: &buffers) { values.append($0) }
                return values
            }
        }
    }

    /// Streams the winning cells of `subjects` in the order given (each one's in guide order), in
    /// one read with one reader: what subjects share (a profile's cells, for its titles) is read
    /// once for the whole pass however they are ordered, and only one subject's cells are held.
    public func forEachWinner(of subjects: [Subject], filter: CellFilter, _ body: (CellValue) throws -> Void) throws {
        try dbQueue.read { db in try Self.forEachCell(db, winnersOnly: true, subjects: subjects, filter: filter, body) }
    }

    /// Streams every winning cell matching `filter`, ordered by subject and guide order.
    public func forEachWinner(filter: CellFilter, subjectKinds: [Subject.Kind] = Subject.Kind.allCases,
                              _ body: (CellValue) throws -> Void) throws {
        try dbQueue.read { db in
            for kind in subjectKinds {
                try Self.forEachCell(db, winnersOnly: true, subjects: try Self.subjects(db, kind: kind), filter: filter, body)
            }
        }
    }

    /// `forEachWinner` inside the caller's read, so that it sees the same snapshot as the
    /// caller's other reads (a publish reads every relation and the generation in one).
    public static func forEachWinner(_ db: Database, filter: CellFilter, subjectKinds: [Subject.Kind] = Subject.Kind.allCases,
                                     _ body: (CellValue) throws -> Void) throws {
        for kind in subjectKinds {
            try forEachCell(db, winnersOnly: true, subjects: try subjects(db, kind: kind), filter: filter, body)
        }
    }

    /// Streams the cells of `subjects` (the winner of each, or every candidate), each subject's
    /// cells in guide order, every candidate of a cell from the highest precedence down.
    static func forEachCell(_ db: Database, winnersOnly: Bool, subjects: [Subject], filter: CellFilter,
                            _ body: (CellValue) throws -> Void) throws {
        let catalog = try DescriptorCatalog(db)
        let reader = CellReader(db)
        var buffers = CellPassBuffers()
        for subject in subjects {
            try forEachCell(of: subject, catalog: catalog, reader: reader, winnersOnly: winnersOnly, filter: filter,
                            buffers: &buffers, body)
        }
    }

    /// What a pass over many subjects reuses from one subject to the next instead of allocating it again.
    struct CellPassBuffers {
        var states: [(state: CellState, descriptor: DescriptorCatalog.Entry, scale: DescriptorCatalog.Scale?)] = []
        var entries: [CellEntry] = []
    }

    /// One subject's cells for `forEachCell`, with the reader (and what it caches) and the buffers of the whole pass.
    static func forEachCell(of subject: Subject, catalog: DescriptorCatalog, reader: CellReader, winnersOnly: Bool,
                            filter: CellFilter, buffers: inout CellPassBuffers, _ body: (CellValue) throws -> Void) throws {
        defer { reader.releaseProfileCells() }
        buffers.states.removeAll(keepingCapacity: true)
        for state in try reader.cells(of: subject) {
            guard let descriptor = catalog.descriptors[state.key.descriptor] else { continue }
            if let categories = filter.categories, !categories.isEmpty, !categories.contains(descriptor.category) { continue }
            buffers.states.append((state, descriptor, catalog.scaleEntry(state.key.descriptor, state.key.dimension)))
        }
        // Field by field, the dimension's text last: a tuple of all three would copy (retain) it
        // at each of the ~10 comparisons per cell.
        buffers.states.sort {
            if $0.descriptor.sortKey != $1.descriptor.sortKey { return $0.descriptor.sortKey < $1.descriptor.sortKey }
            let left = $0.scale?.position ?? 9, right = $1.scale?.position ?? 9
            if left != right { return left < right }
            return $0.state.key.dimension.rawValue < $1.state.key.dimension.rawValue
        }
        // A cell's entries all have its key, so the scale found for the cell is each one's.
        func emit(_ entry: CellEntry, _ descriptor: DescriptorCatalog.Entry,
                  _ scale: DescriptorCatalog.Scale?, isWinner: Bool) throws {
            if let sources = filter.sources, !sources.isEmpty, !sources.contains(entry.candidate.source) { return }
            if let minimum = filter.minimumConfidence, entry.candidate.confidence < minimum { return }
            try body(CellValue(subject: subject, descriptorCode: entry.candidate.key.descriptor,
                               descriptorName: descriptor.name, category: descriptor.category,
                               dimension: entry.candidate.key.dimension, value: entry.candidate.value, text: entry.candidate.text,
                               scale: scale?.summary, source: entry.candidate.source, precedence: entry.candidate.precedence,
                               method: entry.candidate.method, sourceLevel: entry.candidate.sourceLevel,
                               sourceIDs: entry.candidate.sourceIDs, confidence: entry.candidate.confidence,
                               rationale: entry.candidate.rationale, release: entry.candidate.release,
                               observedAt: entry.candidate.observedAt, runID: entry.runID,
                               metadata: entry.candidate.metadata, candidateID: entry.origin.rowID ?? 0,
                               isWinner: isWinner, scalePosition: scale?.position))
        }
        if winnersOnly {
            // Read in place: copying each cell, its winner and its scale out first retained every one of their fields.
            for position in buffers.states.indices {
                let winner = buffers.states[position].state.winner
                try emit(buffers.states[position].state.entries[winner], buffers.states[position].descriptor,
                         buffers.states[position].scale, isWinner: true)
            }
            return
        }
        for (state, descriptor, scale) in buffers.states {
            let winner = state.winningEntry
            buffers.entries.removeAll(keepingCapacity: true)
            buffers.entries += state.entries
            buffers.entries.sort { ($0.candidate.precedence, $1.origin) > ($1.candidate.precedence, $0.origin) }
            for entry in buffers.entries {
                try emit(entry, descriptor, scale, isWinner: entry.origin == winner.origin && entry.candidate == winner.candidate)
            }
        }
    }

    public func candidates(for key: CellKey) throws -> [StoredCandidate] {
        try dbQueue.read { db in
            let reader = CellReader(db, shared: try sharedReads.session(db))
            guard let state = try reader.cells(of: key.subject).first(where: { $0.key == key }) else { return [] }
            let winner = state.winningEntry
            return state.entries.map { entry in
                StoredCandidate(origin: entry.origin, candidate: entry.candidate, runID: entry.runID,
                                isWinner: entry.origin == winner.origin && entry.candidate == winner.candidate)
            }.sorted {
                ($0.candidate.precedence, $0.candidate.observedAt, $0.origin) > ($1.candidate.precedence, $1.candidate.observedAt, $1.origin)
            }
        }
    }

    public func overrides(for key: CellKey) throws -> [OverrideEvent] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM override_event WHERE subject_kind = ? AND subject_code = ? AND descriptor_code = ? AND dimension = ?
                ORDER BY id
                """, arguments: [key.subject.kind.rawValue, key.subject.code, key.descriptor, key.dimension.rawValue]
            ).map { try OverrideEvent(row: $0) }
        }
    }

    /// Every override event, oldest first (for audits and exports).
    public func allOverrides() throws -> [OverrideEvent] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM override_event ORDER BY id").map { try OverrideEvent(row: $0) }
        }
    }

    public func descriptors(category: Category?) throws -> [DescriptorInfo] {
        try dbQueue.read { db in
            // A server's connection reads the list once per store version (GRDB's row decoding
            // of ~1,000 descriptors and their scales was a tenth of a sheet page's time).
            guard let shared = try sharedReads.session(db) else { return try Self.descriptors(category: category, in: db) }
            let all = try shared.descriptorInfos(db)
            guard let category else { return all }
            return all.filter { $0.descriptor.category == category }  // the same order: the query's
        }
    }

    /// ``descriptors(category:)`` in the caller's transaction.
    public static func descriptors(category: Category?, in db: Database) throws -> [DescriptorInfo] {
        do {
            var sql = "SELECT * FROM descriptor WHERE structure_type = 'Descriptor'"
            var arguments: StatementArguments = []
            if let category {
                sql += " AND category = ?"
                arguments = [category.rawValue]
            }
            sql += " ORDER BY sort_key, code"
            let scales = try Self.allScales(db)
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                let descriptor = try Self.descriptor(from: row)
                return DescriptorInfo(descriptor: descriptor, scales: scales[descriptor.code] ?? [])
            }
        }
    }

    public func descriptor(matching text: String) throws -> DescriptorInfo? {
        let trimmed = text.trimmingSpacesAndNBSP
        return try dbQueue.read { db in
            let shared = try sharedReads.session(db)  // first: before this transaction reads
            let row = try Row.fetchOne(db, sql: """
                SELECT * FROM descriptor WHERE structure_type = 'Descriptor'
                  AND (code = ? COLLATE NOCASE OR name = ? COLLATE NOCASE)
                ORDER BY (code = ?) DESC, sort_key LIMIT 1
                """, arguments: [trimmed, trimmed, trimmed])
            guard let row else { return nil }
            let descriptor = try Self.descriptor(from: row)
            if let shared {  // a server's: the scales of the list read once
                return DescriptorInfo(descriptor: descriptor,
                                      scales: try shared.descriptorInfos(db).first { $0.descriptor.code == descriptor.code }?.scales ?? [])
            }
            return DescriptorInfo(descriptor: descriptor, scales: try Self.allScales(db)[descriptor.code] ?? [])
        }
    }

    /// Winning cells per subject kind, source and category. Counting every cell through the
    /// read path would build ~700,000 candidates; this reads only which cells exist and the best
    /// source of each (the winner's, since sources rank strictly), by the same derivation rules.
    /// Winners per subject kind, source and category (`CellCounter`).
    public func cellCounts() throws -> [CellCount] {
        try dbQueue.read { db in try CellCounter.counts(db) }
    }

    public func tableCounts() throws -> [String: Int] {
        try dbQueue.read { db in
            var counts: [String: Int] = [:]
            for table in ["noc_class", "profile", "profile_text", "descriptor", "descriptor_scale", "candidate",
                          "override_event", "release", "source_file", "run", "step", "profile_rating"] {
                counts[table] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0
            }
            counts["rating"] = try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(cells), 0) FROM profile_rating") ?? 0
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

    static func descriptor(from row: Row) throws -> Descriptor {
        Descriptor(code: row["code"], name: row["name"], category: try row.decode("category", table: "descriptor"),
                   structureType: try row.decode("structure_type", table: "descriptor"), parent: row["parent"],
                   definition: row["definition"], origin: try row.decode("origin", table: "descriptor"), sortKey: row["sort_key"])
    }
}


extension SQLiteStore {
    /// The dimensions a descriptor has values in for a subject (O*NET adds importance, for one).
    public func dimensionsWithValues(subject: Subject, descriptor: String) throws -> [CellDimension] {
        try dbQueue.read { db in
            // A server's connection derives with what it shares (the cell's candidates are read next, with the same).
            let reader = try sharedReads.session(db).map { CellReader(db, shared: $0) } ?? CellReader(db, withMetadata: false)
            return Set(try reader.cells(of: subject).filter { $0.key.descriptor == descriptor }.map(\.key.dimension)).sorted()
        }
    }

    /// A readable label for every unit group and profile (job titles: `TitleCatalog.labels`).
    public func subjectLabels() throws -> [Subject: String] {
        try dbQueue.read { db in
            var labels: [Subject: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT code, title FROM noc_class WHERE level = 5") {
                labels[.unitGroup(row["code"])] = row["title"]
            }
            for row in try Row.fetchAll(db, sql: "SELECT code, label FROM profile") { labels[.profile(row["code"])] = row["label"] }
            return labels
        }
    }
}

extension SQLiteStore {
    /// Streams every candidate (winning or not) matching `filter` of the subjects of `subjectKinds`, for audits.
    public func forEachCandidate(filter: CellFilter, subjectKinds: [Subject.Kind] = Subject.Kind.allCases,
                                 _ body: (CellValue, Bool) throws -> Void) throws {
        try dbQueue.read { db in
            for kind in subjectKinds {
                try Self.forEachCell(db, winnersOnly: false, subjects: try Self.subjects(db, kind: kind), filter: filter) { cell in
                    try body(cell, cell.isWinner)
                }
            }
        }
    }
}


/// The descriptors and their scales, read once for a pass over many cells.
struct DescriptorCatalog {
    struct Entry {
        var name: String
        var category: Category
        var sortKey: Int
    }

    /// A scale and its `summary`, written once: a pass over every cell prints it per cell.
    struct Scale {
        var scale: DescriptorScale
        var summary: String
        var position: Int { scale.position }
    }

    var descriptors: [String: Entry] = [:]
    private var scales: [String: [Scale]]

    init(_ db: Database) throws {
        for row in try Row.fetchAll(db, sql: "SELECT code, name, category, sort_key FROM descriptor") {
            descriptors[row[0]] = Entry(name: row[1], category: try row.decode(at: 2, table: "descriptor", column: "category"),
                                        sortKey: row[3])
        }
        scales = try SQLiteStore.allScales(db).mapValues { $0.map { Scale(scale: $0, summary: $0.summary) } }
    }

    func scale(_ descriptor: String, _ dimension: CellDimension) -> DescriptorScale? {
        scaleEntry(descriptor, dimension)?.scale
    }

    func scaleEntry(_ descriptor: String, _ dimension: CellDimension) -> Scale? {
        scales[descriptor]?.first { $0.scale.dimension == dimension }
    }
}

/// The winners of the titles that hold stored candidates (LLM answers, say), taken before their
/// resolutions change so that the change of each winner can be logged afterwards.
public struct TitleCellsSnapshot: Sendable {
    let winners: [Subject: [CellKey: CellEntry]]
}

extension SQLiteStore {
    /// Before titles are (re)resolved in `db`'s transaction: the winners that can change.
    public static func snapshotTitleCells(in db: Database) throws -> TitleCellsSnapshot {
        TitleCellsSnapshot(winners: try CellWriter.winners(of: try CascadeGraph.dependents(of: .resolutions, in: StoreTopology(db)),
                                                           db: db))
    }

    /// After titles were (re-)resolved: their derived cells follow the new resolutions; for titles
    /// with stored candidates, winner flags are brought in line and each change of winner is logged.
    public static func reconcileTitleCells(since snapshot: TitleCellsSnapshot, runID: String, in db: Database) throws -> SubmitSummary {
        let subjects = Set(snapshot.winners.keys).union(try CascadeGraph.dependents(of: .resolutions, in: StoreTopology(db)))
        let result = try CellWriter.reconcile(subjects.sorted { $0.code < $1.code }, before: snapshot.winners,
                                              session: CellWriter.Session(db: db, runID: runID))
        try PublishedModel.refresh(db)
        var summary = SubmitSummary()
        summary.overridden = result.overridden
        return summary
    }

    /// How many authoritative cells the resolved titles inherit from their profiles' ratings
    /// (`TitleInheritanceRule`; they inherit the profiles' O*NET values too). Counted per profile
    /// from the layer, without deriving every title's cells (one look-up per profile, not per title).
    public static func derivedTitleCellCount(in db: Database) throws -> Int {
        try Int.fetchOne(db, sql: """
            SELECT COALESCE(SUM(t.titles * r.cells), 0)
            FROM (SELECT profile_code, COUNT(*) AS titles FROM title_resolution GROUP BY profile_code) t
            JOIN profile_rating r ON r.profile_code = t.profile_code
            WHERE r.provenance_id = (SELECT MAX(provenance_id) FROM profile_rating n WHERE n.profile_code = r.profile_code)
            """) ?? 0
    }

    /// Writes the current context of these subjects (`subject_context`), in the caller's
    /// transaction. A stored candidate produced for another context stops counting
    /// (`CascadeGraph.counts`); the caller reconciles the subjects (the titles step does, through
    /// `snapshotTitleCells` / `reconcileTitleCells`), which logs each answer withdrawn.
    public static func recordSubjectContexts(_ contexts: [(subject: Subject, context: String)], in db: Database) throws {
        // Bound through SQLite's C API, many rows per statement: an import writes a row per title.
        try RawStatement.forEachChunk(of: contexts, in: db, sql: { rows in
            """
            INSERT INTO subject_context (kind, code, context) VALUES \(RawStatement.placeholders(rows: rows, columns: 3))
            ON CONFLICT(kind, code) DO UPDATE SET context = excluded.context WHERE context IS NOT excluded.context
            """
        }) { statement, row, item in
            statement.bind(row * 3 + 1, item.subject.kind.rawValue)
            statement.bind(row * 3 + 2, item.subject.code)
            statement.bind(row * 3 + 3, item.context)
        }
    }

    /// Writes what the engine needs to know of these titles' resolutions (the `title_resolution`
    /// contract), in the caller's transaction: the resolved ones get their row, the others lose it.
    /// The Titles source calls it in the same transaction as it stores the titles.
    ///
    /// - Parameters:
    ///   - resolutions: each title's resolution by id; nil for a title that is not resolved.
    ///   - db: the transaction that stores the titles.
    public static func recordTitleResolutions(_ resolutions: [(id: String, resolution: TitleInheritanceRule.Resolution?)],
                                              in db: Database) throws {
        var ignored: [String]?
        try recordTitleResolutions(resolutions, in: db, changed: &ignored)
    }

    /// ``recordTitleResolutions(_:in:)`` that appends to `changed`, when not nil, the titles whose
    /// row it inserted or updated with other values: those that `PublishedModel.resolutionMarkingTriggers`
    /// mark, for a writer that set them aside. (A removed row still marks through its trigger.)
    public static func recordTitleResolutions(_ resolutions: [(id: String, resolution: TitleInheritanceRule.Resolution?)],
                                              in db: Database, changed: inout [String]?) throws {
        let remove = RawStatement(try db.cachedStatement(sql: "DELETE FROM title_resolution WHERE title_id = ?"))
        // Rows are written in the order given (a title named twice ends as its last entry says).
        var resolved: [(id: String, resolution: TitleInheritanceRule.Resolution)] = []
        resolved.reserveCapacity(resolutions.count)
        for (id, resolution) in resolutions {
            guard let resolution, resolution.isResolved else {
                try upsertTitleResolutions(resolved, in: db, changed: &changed)
                resolved.removeAll(keepingCapacity: true)
                remove.bind(1, id)
                try remove.step(db)
                continue
            }
            resolved.append((id, resolution))
        }
        try upsertTitleResolutions(resolved, in: db, changed: &changed)
    }

    private static func upsertTitleResolutions(_ resolved: [(id: String, resolution: TitleInheritanceRule.Resolution)],
                                               in db: Database, changed: inout [String]?) throws {
        guard !resolved.isEmpty else { return }
        // Rows updated with the values they hold are left alone, and not returned: the update
        // trigger marks only a change (its WHEN compares every column).
        let returning = changed == nil ? "" : """
             WHERE profile_code IS NOT excluded.profile_code OR method IS NOT excluded.method
                OR confidence IS NOT excluded.confidence OR unit_group_source IS NOT excluded.unit_group_source
                OR fuzzy_score IS NOT excluded.fuzzy_score
            RETURNING title_id
            """
        var returned: [String] = []
        // Bound through SQLite's C API, many rows per statement: an import writes a row per title.
        try RawStatement.forEachChunk(of: resolved, in: db, sql: { rows in
            """
            INSERT INTO title_resolution (title_id, profile_code, method, confidence, unit_group_source, fuzzy_score)
            VALUES \(RawStatement.placeholders(rows: rows, columns: 6))
            ON CONFLICT(title_id) DO UPDATE SET profile_code = excluded.profile_code, method = excluded.method,
                confidence = excluded.confidence, unit_group_source = excluded.unit_group_source, fuzzy_score = excluded.fuzzy_score
            """ + returning
        }, bind: { statement, row, item in
            let base = row * 6
            let (id, resolution) = item
            statement.bind(base + 1, id); statement.bind(base + 2, resolution.profileCode)
            statement.bind(base + 3, resolution.method); statement.bind(base + 4, resolution.confidence)
            statement.bind(base + 5, resolution.unitGroupSource); statement.bind(base + 6, resolution.fuzzyScore)
        }, returned: changed == nil ? nil : { returned.append($0.text(0)) })
        changed?.append(contentsOf: returned)
    }
}

extension OverrideEvent {
    /// A row of `override_event`.
    init(row: Row) throws {
        let table = "override_event"
        self.init(id: row["id"],
                  key: CellKey(subject: Subject(kind: try row.decode("subject_kind", table: table), code: row["subject_code"]),
                               descriptor: row["descriptor_code"], dimension: CellDimension(row["dimension"] as String)),
                  oldCandidateID: row["old_candidate_id"], newCandidateID: row["new_candidate_id"],
                  oldValue: row["old_value"], newValue: row["new_value"],
                  oldSource: row["old_source"] == nil ? nil : try row.decode("old_source", table: table),
                  newSource: row["new_source"] == nil ? nil : try row.decode("new_source", table: table),
                  reason: row["reason"], at: try Timestamp.decode(row, "at", table: table), runID: row["run_id"])
    }
}
