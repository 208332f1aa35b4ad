import Foundation
import GRDB
import JobForgeCore

extension PublishedModel {
    /// v6: the published model's engine part (see ``PublishedModel``). Creates the relations and
    /// the triggers that mark what each write touches; the rows of an existing store are filled
    /// when it is first opened for writing after the upgrade (`SQLiteStore.migrate`), by the
    /// current code, so this migration stays plain SQL.
    static func registerMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v6-published-model") { db in
            try db.execute(sql: """
                CREATE TABLE model_state (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    generation INTEGER NOT NULL
                );
                INSERT INTO model_state (id, generation) VALUES (1, 0);
                CREATE TABLE model_change (
                    subject_kind TEXT NOT NULL,
                    subject_code TEXT NOT NULL,
                    generation INTEGER NOT NULL,
                    PRIMARY KEY (subject_kind, subject_code)
                ) WITHOUT ROWID;
                CREATE INDEX model_change_generation ON model_change(generation);
                -- Unit groups and profiles a write touched, re-derived before its transaction commits.
                CREATE TABLE model_dirty (
                    subject_kind TEXT NOT NULL,
                    subject_code TEXT NOT NULL,
                    PRIMARY KEY (subject_kind, subject_code)
                ) WITHOUT ROWID;
                -- What the candidates of model_candidate share (a few thousand rows for 500,000
                -- candidates): kept once, so that a candidate row is about 60 bytes, not 170.
                CREATE TABLE model_provenance (
                    id INTEGER PRIMARY KEY,
                    source TEXT NOT NULL,
                    precedence INTEGER NOT NULL,
                    method TEXT NOT NULL,
                    source_level TEXT NOT NULL,
                    source_ids TEXT NOT NULL,
                    release TEXT,
                    observed_at TEXT NOT NULL,
                    run_id TEXT NOT NULL
                );
                -- Every candidate of every unit-group and profile cell, as CellReader derives it,
                -- clustered by subject and cell (a subject's rows are replaced together).
                CREATE TABLE model_candidate (
                    subject_kind TEXT NOT NULL,
                    subject_code TEXT NOT NULL,
                    descriptor_code TEXT NOT NULL,
                    dimension TEXT NOT NULL,
                    -- The candidate's place in its cell, in arrival order.
                    ordinal INTEGER NOT NULL,
                    value REAL NOT NULL,
                    text_value TEXT,
                    confidence REAL NOT NULL,
                    rationale TEXT,
                    provenance_id INTEGER NOT NULL REFERENCES model_provenance(id),
                    candidate_id INTEGER,
                    is_winner INTEGER NOT NULL,
                    -- What a title resolved to this profile inherits (TitleInheritanceRule), and its winner.
                    is_inheritable INTEGER NOT NULL,
                    is_inherited_winner INTEGER NOT NULL,
                    PRIMARY KEY (subject_kind, subject_code, descriptor_code, dimension, ordinal)
                ) WITHOUT ROWID;
                -- Every profile and unit group is derived once on first use.
                INSERT OR IGNORE INTO model_dirty (subject_kind, subject_code)
                    SELECT 'profile', profile_code FROM profile_rating
                    UNION SELECT 'unit_group', substr(profile_code, 1, 5) FROM profile_rating
                    UNION SELECT 'unit_group', unit_group FROM onet_layer
                    UNION SELECT 'profile', code FROM profile WHERE unit_group IN (SELECT unit_group FROM onet_layer)
                    UNION SELECT kind, code FROM subject WHERE kind <> 'title';

                CREATE TRIGGER model_mark_profile_rating AFTER INSERT ON profile_rating BEGIN
                    INSERT OR IGNORE INTO model_dirty (subject_kind, subject_code)
                        VALUES ('profile', NEW.profile_code), ('unit_group', substr(NEW.profile_code, 1, 5));
                END;
                CREATE TRIGGER model_mark_onet_layer AFTER INSERT ON onet_layer BEGIN
                    INSERT OR IGNORE INTO model_dirty (subject_kind, subject_code) VALUES ('unit_group', NEW.unit_group);
                    INSERT OR IGNORE INTO model_dirty (subject_kind, subject_code)
                        SELECT 'profile', code FROM profile WHERE unit_group = NEW.unit_group
                        UNION SELECT 'profile', profile_code FROM profile_rating
                            WHERE profile_code > NEW.unit_group || '.' AND profile_code < NEW.unit_group || '/';
                END;
                CREATE TRIGGER model_mark_candidate AFTER INSERT ON candidate BEGIN
                    INSERT OR IGNORE INTO model_dirty (subject_kind, subject_code)
                        SELECT kind, code FROM subject WHERE id = NEW.subject_id AND kind <> 'title'
                        UNION SELECT 'unit_group', substr(code, 1, 5) FROM subject WHERE id = NEW.subject_id AND kind = 'profile';
                    INSERT INTO model_change (subject_kind, subject_code, generation)
                        SELECT kind, code, (SELECT generation + 1 FROM model_state) FROM subject
                        WHERE id = NEW.subject_id AND kind = 'title'
                        ON CONFLICT (subject_kind, subject_code) DO UPDATE SET generation = excluded.generation;
                END;
                CREATE TRIGGER model_mark_candidate_winner AFTER UPDATE OF is_winner ON candidate BEGIN
                    INSERT OR IGNORE INTO model_dirty (subject_kind, subject_code)
                        SELECT kind, code FROM subject WHERE id = NEW.subject_id AND kind <> 'title'
                        UNION SELECT 'unit_group', substr(code, 1, 5) FROM subject WHERE id = NEW.subject_id AND kind = 'profile';
                    INSERT INTO model_change (subject_kind, subject_code, generation)
                        SELECT kind, code, (SELECT generation + 1 FROM model_state) FROM subject
                        WHERE id = NEW.subject_id AND kind = 'title'
                        ON CONFLICT (subject_kind, subject_code) DO UPDATE SET generation = excluded.generation;
                END;
                CREATE TRIGGER model_mark_override AFTER INSERT ON override_event BEGIN
                    INSERT INTO model_change (subject_kind, subject_code, generation)
                        VALUES (NEW.subject_kind, NEW.subject_code, (SELECT generation + 1 FROM model_state))
                        ON CONFLICT (subject_kind, subject_code) DO UPDATE SET generation = excluded.generation;
                END;
                CREATE TRIGGER model_mark_resolution_insert AFTER INSERT ON title_resolution BEGIN
                    INSERT INTO model_change (subject_kind, subject_code, generation)
                        VALUES ('title', NEW.title_id, (SELECT generation + 1 FROM model_state))
                        ON CONFLICT (subject_kind, subject_code) DO UPDATE SET generation = excluded.generation;
                END;
                CREATE TRIGGER model_mark_resolution_update AFTER UPDATE ON title_resolution
                    WHEN OLD.profile_code IS NOT NEW.profile_code OR OLD.method IS NOT NEW.method
                        OR OLD.confidence IS NOT NEW.confidence OR OLD.unit_group_source IS NOT NEW.unit_group_source
                        OR OLD.fuzzy_score IS NOT NEW.fuzzy_score OR OLD.title_id IS NOT NEW.title_id BEGIN
                    INSERT INTO model_change (subject_kind, subject_code, generation)
                        VALUES ('title', NEW.title_id, (SELECT generation + 1 FROM model_state))
                        ON CONFLICT (subject_kind, subject_code) DO UPDATE SET generation = excluded.generation;
                END;
                CREATE TRIGGER model_mark_resolution_delete AFTER DELETE ON title_resolution BEGIN
                    INSERT INTO model_change (subject_kind, subject_code, generation)
                        VALUES ('title', OLD.title_id, (SELECT generation + 1 FROM model_state))
                        ON CONFLICT (subject_kind, subject_code) DO UPDATE SET generation = excluded.generation;
                END;
                CREATE TRIGGER model_mark_context AFTER UPDATE ON subject_context WHEN NEW.kind = 'title' BEGIN
                    INSERT INTO model_change (subject_kind, subject_code, generation)
                        VALUES ('title', NEW.code, (SELECT generation + 1 FROM model_state))
                        ON CONFLICT (subject_kind, subject_code) DO UPDATE SET generation = excluded.generation;
                END;

                CREATE VIEW dim_descriptor AS
                    SELECT d.code AS descriptor_code, d.name, d.category, s.dimension, s.label AS scale_label,
                           s.minimum AS scale_minimum, s.maximum AS scale_maximum, s.not_applicable, d.definition,
                           d.parent AS parent_code, d.origin, d.sort_key
                    FROM descriptor d JOIN descriptor_scale s ON s.descriptor_code = d.code
                    WHERE d.structure_type = 'Descriptor';

                CREATE VIEW fact_candidate AS
                    SELECT m.subject_kind, m.subject_code, m.descriptor_code, m.dimension, m.value, m.text_value, p.source,
                           p.precedence, p.method, p.source_level, p.source_ids, m.confidence, m.rationale, p.release,
                           p.observed_at, p.run_id, m.candidate_id, m.is_winner
                    FROM model_candidate m JOIN model_provenance p ON p.id = m.provenance_id
                    UNION ALL
                    -- A title inherits its profile's authoritative winner and best O*NET value (TitleInheritanceRule).
                    SELECT 'title', t.title_id, m.descriptor_code, m.dimension, m.value, m.text_value, p.source, p.precedence,
                           CASE p.source WHEN 'authoritative' THEN 'inherited' ELSE p.method END,
                           CASE p.source WHEN 'authoritative' THEN 'L6' ELSE p.source_level END,
                           CASE p.source WHEN 'authoritative' THEN json_array(t.profile_code) ELSE p.source_ids END,
                           m.confidence * t.confidence,
                           CASE p.source WHEN 'authoritative'
                               THEN 'inherited from OaSIS profile ' || t.profile_code || ' (' || t.method || ', confidence '
                                    || CASE WHEN t.confidence = CAST(t.confidence AS INTEGER) THEN printf('%.1f', t.confidence)
                                            ELSE CAST(t.confidence AS TEXT) END || ')'
                               ELSE m.rationale END,
                           p.release, p.observed_at, p.run_id, NULL,
                           m.is_inherited_winner AND NOT EXISTS (
                               SELECT 1 FROM subject ts JOIN candidate w ON w.subject_id = ts.id
                               WHERE ts.kind = 'title' AND ts.code = t.title_id AND w.descriptor_code = m.descriptor_code
                                   AND w.dimension = m.dimension AND w.is_winner = 1)
                    FROM title_resolution t
                    JOIN model_candidate m ON m.subject_kind = 'profile' AND m.subject_code = t.profile_code AND m.is_inheritable = 1
                    JOIN model_provenance p ON p.id = m.provenance_id
                    UNION ALL
                    -- A title's own candidates (LLM answers), while asked about the title as it is.
                    SELECT s.kind, s.code, c.descriptor_code, c.dimension, c.value, c.text_value, p.source, p.precedence,
                           p.method, p.source_level, p.source_ids, c.confidence, c.rationale, p.release, p.observed_at, p.run_id,
                           c.id, c.is_winner
                    FROM subject s JOIN candidate c ON c.subject_id = s.id JOIN provenance p ON p.id = c.provenance_id
                    WHERE s.kind = 'title' AND (c.asked_context IS NULL OR c.asked_context =
                        (SELECT x.context FROM subject_context x WHERE x.kind = 'title' AND x.code = s.code));

                CREATE VIEW fact_cell AS SELECT * FROM fact_candidate WHERE is_winner = 1;

                CREATE VIEW fact_override AS
                    SELECT id AS event_id, subject_kind, subject_code, descriptor_code, dimension, old_value, new_value,
                           old_source, new_source, old_candidate_id, new_candidate_id, reason, at, run_id
                    FROM override_event;

                CREATE VIEW model_title_change AS
                    SELECT subject_code AS title_id, generation FROM model_change WHERE subject_kind = 'title'
                    UNION ALL
                    SELECT t.title_id, c.generation FROM model_change c JOIN title_resolution t ON t.profile_code = c.subject_code
                    WHERE c.subject_kind = 'profile';
                """)
        }
    }

    /// v7: the metadata of the values the derivation computes itself (a unit-group mean's count,
    /// minimum and maximum), which only the rule knows once its profiles' values have been read
    /// (`UnitGroupRule`). The metadata of a stored candidate stays in `candidate`, and that of an
    /// O*NET offer in `onet_layer`: an export reads it from there (`LongRowReader`). The unit groups
    /// are derived again on first use, as v6's rows were.
    static func registerMetadataMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v7-model-derived-metadata") { db in
            try db.execute(sql: """
                ALTER TABLE model_candidate ADD COLUMN metadata TEXT;
                INSERT OR IGNORE INTO model_dirty (subject_kind, subject_code)
                    SELECT DISTINCT subject_kind, subject_code FROM model_candidate WHERE subject_kind = 'unit_group';
                """)
        }
    }

    /// The triggers that mark a title whose `title_resolution` row was inserted or changed. A bulk
    /// writer may set them aside (``SetAsideTriggers``) and mark what
    /// ``SQLiteStore/recordTitleResolutions(_:in:changed:)`` reports with ``markTitles(_:in:)``.
    public static let resolutionMarkingTriggers = ["model_mark_resolution_insert", "model_mark_resolution_update"]

    /// Marks these titles as changed in the open generation, as the marking triggers do one row
    /// at a time (`model_change`), in `db`'s transaction.
    public static func markTitles(_ ids: [String], in db: Database) throws {
        guard !ids.isEmpty else { return }
        let next = try generation(in: db) + 1
        try RawStatement.forEachChunk(of: ids, in: db, sql: { rows in
            """
            INSERT INTO model_change (subject_kind, subject_code, generation)
            VALUES \(Array(repeating: "('title', ?, ?)", count: rows).joined(separator: ", "))
            ON CONFLICT (subject_kind, subject_code) DO UPDATE SET generation = excluded.generation
            """
        }, bind: { statement, row, id in
            statement.bind(row * 2 + 1, id)
            statement.bind(row * 2 + 2, next)
        })
    }

    /// The model's generation: it grows with every write that changed published rows.
    public static func generation(in db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT generation FROM model_state") ?? 0
    }

    /// Re-derives the unit groups and profiles the transaction's writes touched (`model_dirty`,
    /// filled by triggers), records them as changed, and closes the generation, all in `db`'s
    /// transaction. Cheap when nothing is pending; the engine's write paths call it before they
    /// commit (`commitStep`, `submit`), and opening a store for writing calls it after upgrading.
    ///
    /// ```swift
    /// try dbQueue.write { db in
    ///     _ = try CellWriter.submit(candidates, runID: runID, db: db)
    ///     try PublishedModel.refresh(db)     // the model is current when the transaction commits
    /// }
    /// ```
    public static func refresh(_ db: Database) throws {
        guard try !isDeferred(db) else { return }
        let dirty = try Row.fetchAll(db, sql: "SELECT subject_kind, subject_code FROM model_dirty").map {
            Subject(kind: try $0.decode(at: 0, table: "model_dirty", column: "subject_kind"), code: $0[1])
        }
        if !dirty.isEmpty {
            try rederive(dirty, in: db)
            try db.execute(sql: "DELETE FROM model_dirty")
        }
        // Closes the generation that the writes (here and through the triggers) marked.
        try db.execute(sql: """
            UPDATE model_state SET generation = generation + 1
            WHERE EXISTS (SELECT 1 FROM model_change WHERE generation > model_state.generation)
            """)
    }

    /// While it exists on a connection, ``refresh(_:)`` derives nothing there (see ``deferRefreshes(_:)``).
    static let deferralTable = "model_refresh_deferred"

    /// Holds back ``refresh(_:)`` on `db`'s connection until ``resumeRefreshes(_:)``. The marks
    /// still accumulate in `model_dirty`, a table: they survive each commit and a crash, and the
    /// next refresh derives them. A build defers through its steps: each would otherwise
    /// re-derive every profile and unit group that the next step touches again.
    ///
    /// ```swift
    /// try db.write { try PublishedModel.deferRefreshes($0) }   // the run begins
    /// // ... steps commit; model_dirty fills
    /// try db.write { try PublishedModel.resumeRefreshes($0) }  // the run ends: one derivation
    /// ```
    public static func deferRefreshes(_ db: Database) throws {
        try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS \(deferralTable) (since TEXT)")
    }

    static func isDeferred(_ db: Database) throws -> Bool {
        // sqlite_temp_master, not db.tableExists(in: "temp"): the temp schema exists only once used.
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM sqlite_temp_master WHERE type = 'table' AND name = ?)",
                          arguments: [deferralTable]) ?? false
    }

    /// Ends a deferral on `db`'s connection and derives what it held back, in `db`'s transaction.
    public static func resumeRefreshes(_ db: Database) throws {
        try db.execute(sql: "DROP TABLE IF EXISTS temp.\(deferralTable)")
        try refresh(db)
    }

    /// Replaces the materialized rows of `subjects` with what `CellReader` derives now.
    private static func rederive(_ subjects: [Subject], in db: Database) throws {
        // A unit group's cells read its profiles': grouped so that the reader's cache holds one
        // unit group at a time.
        let ordered = subjects.sorted {
            let left = $0.kind == .profile ? Codes.unitGroup(ofProfile: $0.code) : $0.code
            let right = $1.kind == .profile ? Codes.unitGroup(ofProfile: $1.code) : $1.code
            return (left, $0.code) < (right, $1.code)
        }
        let remove = try db.cachedStatement(sql: "DELETE FROM model_candidate WHERE subject_kind = ? AND subject_code = ?")
        // Half a million rows for the shipped data: bound through SQLite's C API.
        let insert = RawStatement(try db.cachedStatement(sql: """
            INSERT INTO model_candidate (subject_kind, subject_code, descriptor_code, dimension, ordinal, value, text_value,
                confidence, rationale, provenance_id, candidate_id, is_winner, is_inheritable, is_inherited_winner, metadata)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """))
        let change = try db.cachedStatement(sql: """
            INSERT INTO model_change (subject_kind, subject_code, generation)
            VALUES (?, ?, (SELECT generation + 1 FROM model_state))
            ON CONFLICT (subject_kind, subject_code) DO UPDATE SET generation = excluded.generation
            """)
        var provenances = try ModelProvenances(db)
        let reader = CellReader(db, withMetadata: false)
        var currentUnitGroup = ""
        for subject in ordered {
            let unitGroup = subject.kind == .profile ? Codes.unitGroup(ofProfile: subject.code) : subject.code
            if unitGroup != currentUnitGroup {
                reader.releaseProfileCells()
                currentUnitGroup = unitGroup
            }
            try remove.execute(arguments: [subject.kind.rawValue, subject.code])
            try change.execute(arguments: [subject.kind.rawValue, subject.code])
            // In key order, so that the rows append to the clustered table instead of splitting its pages.
            let states = try reader.cells(of: subject).sorted {
                ($0.key.descriptor, $0.key.dimension.rawValue) < ($1.key.descriptor, $1.key.dimension.rawValue)
            }
            for state in states {
                let inherited = subject.kind == .profile ? inheritance(of: state) : (all: [], winner: nil)
                for (index, entry) in state.entries.enumerated() {
                    let candidate = entry.candidate
                    insert.bind(1, subject.kind.rawValue)
                    insert.bind(2, subject.code)
                    insert.bind(3, state.key.descriptor)
                    insert.bind(4, state.key.dimension.rawValue)
                    insert.bind(5, Int64(index))
                    insert.bind(6, candidate.value)
                    insert.bind(7, candidate.text)
                    insert.bind(8, candidate.confidence)
                    insert.bind(9, candidate.rationale)
                    insert.bind(10, try provenances.id(of: candidate, runID: entry.runID))
                    insert.bind(11, entry.origin.rowID)
                    insert.bind(12, Int64(index == state.winner ? 1 : 0))
                    insert.bind(13, Int64(inherited.all.contains(index) ? 1 : 0))
                    insert.bind(14, Int64(inherited.winner == index ? 1 : 0))
                    // The reader decodes no stored or O*NET metadata here (`withMetadata: false`):
                    // what it has is what the rule computed, which nothing else keeps.
                    insert.bind(15, candidate.metadata.isEmpty ? nil : JSONText.object(candidate.metadata))
                    try insert.step(db)
                }
            }
        }
        try provenances.removeUnused()
    }

    /// Which entries of a profile's cell a resolved title inherits (`TitleInheritanceRule`: the
    /// authoritative winner and the best O*NET value), and which of those wins at the title.
    static func inheritance(of state: CellState) -> (all: [Int], winner: Int?) {
        var inheritable: [Int] = []
        if state.winningEntry.candidate.source == .authoritative { inheritable.append(state.winner) }
        var bestONet: Int?
        for (index, entry) in state.entries.enumerated() where entry.candidate.source == .onet {
            if let best = bestONet, !Precedence.replaces(entry.candidate, incumbent: state.entries[best].candidate) { continue }
            bestONet = index
        }
        if let bestONet { inheritable.append(bestONet) }
        // Authoritative (precedence 3) beats O*NET (2) at the title as at the profile.
        return (inheritable, inheritable.first)
    }
}

/// The rows of `model_provenance` during one refresh: each distinct provenance of the
/// materialized candidates once, found by value.
struct ModelProvenances {
    /// A provenance as the reader derives it and the run whose load it came from. Its time was
    /// read from stored text, so it equals the time read back from `model_provenance`.
    private struct Key: Hashable {
        var provenance: Provenance
        var runID: String
    }

    private let db: Database
    private var ids: [Key: Int64] = [:]
    private var nextID: Int64
    private var last: (key: Key, id: Int64)?

    init(_ db: Database) throws {
        self.db = db
        nextID = (try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM model_provenance") ?? 0) + 1
        // A row whose time does not read is never matched, and is removed as unused.
        for record in try Self.read(db).records {
            ids[Key(provenance: record.provenance, runID: record.runID)] = record.id
        }
    }

    /// Every row of `model_provenance`, and the `observed_at` of any whose time does not read.
    static func read(_ db: Database) throws -> (records: [ProvenanceRecord], unreadableTimes: [String]) {
        var records: [ProvenanceRecord] = [], unreadableTimes: [String] = []
        let rows = try Row.fetchCursor(db, sql: """
            SELECT id, source, method, source_level, source_ids, release, observed_at, run_id FROM model_provenance
            """)
        while let row = try rows.next() {
            guard let observedAt = Timestamp.date(row[6]) else {
                unreadableTimes.append(row[6])
                continue
            }
            let provenance = Provenance(source: try row.decode(at: 1, table: "model_provenance", column: "source"),
                                        method: CandidateMethod(row[2] as String),
                                        sourceLevel: try row.decode(at: 3, table: "model_provenance", column: "source_level"),
                                        sourceIDs: JSONText.decodeArray(row[4]), release: row[5], observedAt: observedAt)
            records.append(ProvenanceRecord(id: row[0], provenance: provenance, runID: row[7]))
        }
        return (records, unreadableTimes)
    }

    /// The id of the candidate's provenance, inserted when new.
    mutating func id(of candidate: Candidate, runID: String) throws -> Int64 {
        let key = Key(provenance: Provenance(candidate), runID: runID)
        // A subject's candidates come in runs of one provenance: the last one is checked first.
        if let last, last.key == key { return last.id }
        if let known = ids[key] {
            last = (key, known)
            return known
        }
        let id = nextID
        nextID += 1
        try db.execute(sql: """
            INSERT INTO model_provenance (id, source, precedence, method, source_level, source_ids, release, observed_at, run_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [id, candidate.source.rawValue, candidate.precedence, candidate.method.rawValue,
                             candidate.sourceLevel.rawValue, JSONText.array(candidate.sourceIDs), candidate.release,
                             Timestamp.string(candidate.observedAt), runID])
        ids[key] = id
        last = (key, id)
        return id
    }

    /// Drops the provenances no materialized candidate refers to any more (an earlier build's).
    func removeUnused() throws {
        try db.execute(sql: """
            DELETE FROM model_provenance WHERE id NOT IN (SELECT DISTINCT provenance_id FROM model_candidate)
            """)
    }
}
