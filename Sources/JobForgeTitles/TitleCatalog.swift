import Foundation
import GRDB
import JobForgeCore
import JobForgeStore

/// The Titles source's tables: the user's job titles as imported, with their resolutions, and
/// each import. Add migrations here, named "v1-titles", "v2-...", never edit shipped ones.
public enum TitlesSchema: StoreSchema {
    public static func registerMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v1-titles") { db in
            try db.execute(sql: """
                -- One import of a job architecture file.
                CREATE TABLE title_import_run (
                    id INTEGER PRIMARY KEY,
                    file TEXT NOT NULL,
                    sha256 TEXT NOT NULL,
                    imported_at TEXT NOT NULL,
                    rows_read INTEGER NOT NULL,
                    imported INTEGER NOT NULL,
                    skipped INTEGER NOT NULL,
                    summary TEXT NOT NULL
                );
                -- A title of the user's job architecture and where it resolved. Keyed by the file's
                -- id column (or a key derived from title and code): a re-import updates in place.
                CREATE TABLE job_title (
                    id TEXT PRIMARY KEY,
                    title TEXT NOT NULL,
                    title_fr TEXT,
                    function TEXT,
                    family TEXT,
                    managerial_level TEXT,
                    noc_2021 TEXT,
                    noc_2016 TEXT,
                    extra TEXT NOT NULL DEFAULT '{}',
                    source_file TEXT NOT NULL,
                    source_line INTEGER NOT NULL,
                    unit_group TEXT,
                    unit_group_method TEXT,
                    profile_code TEXT,
                    method TEXT NOT NULL,
                    confidence REAL NOT NULL,
                    fuzzy_score REAL,
                    candidates TEXT NOT NULL DEFAULT '[]',
                    note TEXT NOT NULL DEFAULT '',
                    import_run_id INTEGER REFERENCES title_import_run(id)
                );
                CREATE INDEX job_title_profile ON job_title(profile_code);
                CREATE INDEX job_title_method ON job_title(method);
                CREATE INDEX job_title_title ON job_title(title COLLATE NOCASE);
                """)
        }
        // The store's one time format (milliseconds) for the imports written before it.
        migrator.registerMigration("v2-titles-one-timestamp") { db in
            try db.execute(sql: """
                UPDATE title_import_run SET imported_at = substr(imported_at, 1, 19) || '.000Z'
                WHERE imported_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z'
                """)
        }
        // The engine's `title_resolution` contract (created by the engine's v4), filled from the
        // titles stored before it: the resolved ones, as `TitleCatalog` writes it from now on.
        migrator.registerMigration("v3-titles-resolution") { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO title_resolution (title_id, profile_code, method, confidence, unit_group_source, fuzzy_score)
                SELECT id, profile_code, method, confidence, unit_group_method, fuzzy_score FROM job_title
                WHERE profile_code IS NOT NULL AND confidence > 0
                """)
        }
        // Each title's context, which its LLM answers are tied to (see `askedContext`).
        migrator.registerMigration("v4-titles-context") { db in
            let titles = try Row.fetchAll(db, sql: "SELECT * FROM job_title").map { try JobTitleRecord(row: $0) }
            try SQLiteStore.recordSubjectContexts(titles.map { (.title($0.id), $0.askedContext) }, in: db)
        }
        registerDecisionMigrations(&migrator)
        // Which imports were the shipped sample's (see `SampleTitles`).
        migrator.registerMigration("v5-titles-sample-imports", migrate: SampleTitles.migrate)
        // The titles' part of the published model (`PublishedModel`, `publishedRelations`).
        migrator.registerMigration("v5-titles-published-model") { db in
            try db.execute(sql: """
                CREATE VIEW dim_title AS
                    SELECT j.id AS title_id, j.title, j.title_fr, j.function, j.family, j.managerial_level,
                           j.noc_2021, j.noc_2016, j.unit_group AS unit_group_code, j.unit_group_method,
                           j.profile_code, p.label AS profile_label, j.method AS resolution_method,
                           j.confidence AS resolution_confidence, j.fuzzy_score,
                           (r.title_id IS NOT NULL) AS is_resolved, j.extra AS user_columns, j.note,
                           j.source_file, j.source_line
                    FROM job_title j
                    LEFT JOIN title_resolution r ON r.title_id = j.id
                    LEFT JOIN profile p ON p.code = j.profile_code;

                CREATE VIEW dim_subject AS
                    SELECT 'unit_group' AS subject_kind, code AS subject_code, 'L5' AS level, title AS label,
                           code AS unit_group_code, NULL AS profile_code
                    FROM noc_class WHERE level = 5
                    UNION ALL
                    SELECT 'profile', code, 'L6', label, unit_group, code FROM profile
                    UNION ALL
                    SELECT 'title', j.id, 'L7', j.title, j.unit_group, r.profile_code
                    FROM job_title j LEFT JOIN title_resolution r ON r.title_id = j.id;

                -- What the LLM would be asked: every rated dimension of every descriptor but the interests.
                -- A cell is filled as in fact_cell (the profile's inherited winner unless the title holds a
                -- stored winner; a stored winner while asked about the title as it is), written over the
                -- tables so that `WHERE title_id = ?` reads one title, not every title's cells.
                CREATE VIEW title_coverage AS
                    SELECT title_id, category, COUNT(*) AS cells_expected, SUM(is_filled) AS cells_filled,
                           COUNT(*) - SUM(is_filled) AS cells_empty
                    FROM (SELECT j.id AS title_id, d.category,
                              (EXISTS (SELECT 1 FROM title_resolution r
                                       JOIN model_candidate m ON m.subject_kind = 'profile' AND m.subject_code = r.profile_code
                                           AND m.descriptor_code = d.descriptor_code AND m.dimension = d.dimension
                                       WHERE r.title_id = j.id AND m.is_inherited_winner = 1)
                               AND NOT EXISTS (SELECT 1 FROM subject s JOIN candidate c ON c.subject_id = s.id
                                       WHERE s.kind = 'title' AND s.code = j.id AND c.descriptor_code = d.descriptor_code
                                           AND c.dimension = d.dimension AND c.is_winner = 1))
                              OR EXISTS (SELECT 1 FROM subject s JOIN candidate c ON c.subject_id = s.id
                                       WHERE s.kind = 'title' AND s.code = j.id AND c.descriptor_code = d.descriptor_code
                                           AND c.dimension = d.dimension AND c.is_winner = 1
                                           AND (c.asked_context IS NULL OR c.asked_context =
                                               (SELECT x.context FROM subject_context x WHERE x.kind = 'title' AND x.code = j.id)))
                              AS is_filled
                          FROM job_title j
                          CROSS JOIN dim_descriptor d
                          WHERE d.category <> 'Interests')
                    GROUP BY title_id, category;

                CREATE TRIGGER model_mark_title_insert AFTER INSERT ON job_title BEGIN
                    INSERT INTO model_change (subject_kind, subject_code, generation)
                        VALUES ('title', NEW.id, (SELECT generation + 1 FROM model_state))
                        ON CONFLICT (subject_kind, subject_code) DO UPDATE SET generation = excluded.generation;
                END;
                CREATE TRIGGER model_mark_title_update AFTER UPDATE ON job_title BEGIN
                    INSERT INTO model_change (subject_kind, subject_code, generation)
                        VALUES ('title', NEW.id, (SELECT generation + 1 FROM model_state))
                        ON CONFLICT (subject_kind, subject_code) DO UPDATE SET generation = excluded.generation;
                END;
                CREATE TRIGGER model_mark_title_delete AFTER DELETE ON job_title BEGIN
                    INSERT INTO model_change (subject_kind, subject_code, generation)
                        VALUES ('title', OLD.id, (SELECT generation + 1 FROM model_state))
                        ON CONFLICT (subject_kind, subject_code) DO UPDATE SET generation = excluded.generation;
                END;
                """)
        }
    }

    /// The titles' relations of the published model (beside the engine's `PublishedModel.relations`).
    public static let publishedRelations: [PublishedRelation] = [
        PublishedRelation(
            name: "dim_title", kind: .view,
            meaning: "every job title as imported, its resolution and the user's own columns",
            columns: [
                .init("title_id", "TEXT", "the title's id (the file's id column, or a key derived from title and code)"),
                .init("title", "TEXT", "the title"),
                .init("title_fr", "TEXT", "the French title, or NULL"),
                .init("function", "TEXT", "job function, or NULL"),
                .init("family", "TEXT", "job family, or NULL"),
                .init("managerial_level", "TEXT", "managerial level, or NULL"),
                .init("noc_2021", "TEXT", "the NOC 2021 code as the user gave it, or NULL"),
                .init("noc_2016", "TEXT", "the NOC 2016 code as the user gave it, or NULL"),
                .init("unit_group_code", "TEXT", "the NOC 2021 unit group used, or NULL"),
                .init("unit_group_method", "TEXT", "where the unit group came from (noc_2021, concordance, suggestion), or NULL"),
                .init("profile_code", "TEXT", "the OaSIS profile resolved to, or NULL"),
                .init("profile_label", "TEXT", "that profile's label, or NULL"),
                .init("resolution_method", "TEXT", "exact_label, exact_title, single_profile, fuzzy, unit_group_fallback, unresolved, ..."),
                .init("resolution_confidence", "REAL", "the resolution's confidence, 0 when unresolved"),
                .init("fuzzy_score", "REAL", "the fuzzy score of a fuzzy match, or NULL"),
                .init("is_resolved", "INTEGER", "1 when the title inherits from its profile, else 0"),
                .init("user_columns", "TEXT", "JSON object of the file's other columns: json_extract(user_columns, '$.\"Cost Centre\"')"),
                .init("note", "TEXT", "what the import noted about the title"),
                .init("source_file", "TEXT", "the file it was imported from"),
                .init("source_line", "INTEGER", "its line in that file"),
            ],
            primaryKey: ["title_id"], subjectColumns: ["title_id"], owner: "JobForgeTitles"),
        PublishedRelation(
            name: "dim_subject", kind: .view,
            meaning: "every subject: unit groups (L5), OaSIS profiles (L6) and job titles (L7), with labels",
            columns: [
                .init("subject_kind", "TEXT", "unit_group, profile or title"),
                .init("subject_code", "TEXT", "21211, 21211.00, or the title's id"),
                .init("level", "TEXT", "L5, L6 or L7"),
                .init("label", "TEXT", "the unit group's title, the profile's label, the job title"),
                .init("unit_group_code", "TEXT", "the unit group it belongs to, or NULL"),
                .init("profile_code", "TEXT", "the profile (a title's resolution), or NULL"),
            ],
            primaryKey: ["subject_kind", "subject_code"], subjectColumns: ["subject_kind", "subject_code"], owner: "JobForgeTitles"),
        PublishedRelation(
            name: "title_coverage", kind: .view,
            meaning: "per title and category (interests aside): the cells expected, filled and still empty",
            columns: [
                .init("title_id", "TEXT", "the title's id"),
                .init("category", "TEXT", "the category"),
                .init("cells_expected", "INTEGER", "rated dimensions of the category's descriptors"),
                .init("cells_filled", "INTEGER", "those with a winner"),
                .init("cells_empty", "INTEGER", "those still empty"),
            ],
            primaryKey: ["title_id", "category"], subjectColumns: ["title_id"], owner: "JobForgeTitles"),
    ]
}

/// A row of `job_title`: the title as imported and its resolution, in column form.
public struct JobTitleRecord: Sendable, Codable, Equatable {
    public var id: String
    public var title: String
    public var titleFR: String?
    public var function: String?
    public var family: String?
    public var managerialLevel: String?
    public var noc2021: String?
    public var noc2016: String?
    /// The columns the mapping does not name, as a JSON object (header -> value).
    public var extraJSON: String
    public var sourceFile: String
    public var sourceLine: Int
    public var unitGroup: String?
    /// Where the unit group came from: the user's NOC 2021 code, the 2016 concordance, a suggestion.
    public var unitGroupMethod: UnitGroupSource?
    public var profileCode: String?
    public var method: ResolutionMethod
    public var confidence: Double
    public var fuzzyScore: Double?
    /// The candidates considered, as a JSON array.
    public var candidatesJSON: String
    public var note: String
    /// The import that last changed the row.
    public var importRunID: Int64?

    public init(id: String, title: String, titleFR: String?, function: String?, family: String?,
                managerialLevel: String?, noc2021: String?, noc2016: String?, extraJSON: String,
                sourceFile: String, sourceLine: Int, unitGroup: String?, unitGroupMethod: UnitGroupSource?,
                profileCode: String?, method: ResolutionMethod, confidence: Double, fuzzyScore: Double?,
                candidatesJSON: String, note: String, importRunID: Int64? = nil) {
        self.id = id
        self.title = title
        self.titleFR = titleFR
        self.function = function
        self.family = family
        self.managerialLevel = managerialLevel
        self.noc2021 = noc2021
        self.noc2016 = noc2016
        self.extraJSON = extraJSON
        self.sourceFile = sourceFile
        self.sourceLine = sourceLine
        self.unitGroup = unitGroup
        self.unitGroupMethod = unitGroupMethod
        self.profileCode = profileCode
        self.method = method
        self.confidence = confidence
        self.fuzzyScore = fuzzyScore
        self.candidatesJSON = candidatesJSON
        self.note = note
        self.importRunID = importRunID
    }

    init(row: Row) throws {
        let unitGroupMethod: UnitGroupSource? = row["unit_group_method"] == nil ? nil
            : try row.decode("unit_group_method", table: "job_title")
        self.init(id: row["id"], title: row["title"], titleFR: row["title_fr"], function: row["function"],
                  family: row["family"], managerialLevel: row["managerial_level"], noc2021: row["noc_2021"],
                  noc2016: row["noc_2016"], extraJSON: row["extra"], sourceFile: row["source_file"],
                  sourceLine: row["source_line"], unitGroup: row["unit_group"], unitGroupMethod: unitGroupMethod,
                  profileCode: row["profile_code"], method: try row.decode("method", table: "job_title"), confidence: row["confidence"],
                  fuzzyScore: row["fuzzy_score"], candidatesJSON: row["candidates"], note: row["note"],
                  importRunID: row["import_run_id"])
    }
}

/// One import of a job architecture file, as recorded.
public struct TitleImportRunRecord: Sendable, Codable, Equatable {
    public var id: Int64?
    public var file: String
    public var sha256: String
    public var importedAt: Date
    public var rowsRead: Int
    public var imported: Int
    public var skipped: Int
    /// The import summary as JSON.
    public var summaryJSON: String

    public init(id: Int64? = nil, file: String, sha256: String, importedAt: Date, rowsRead: Int, imported: Int,
                skipped: Int, summaryJSON: String) {
        self.id = id
        self.file = file
        self.sha256 = sha256
        self.importedAt = importedAt
        self.rowsRead = rowsRead
        self.imported = imported
        self.skipped = skipped
        self.summaryJSON = summaryJSON
    }
}

/// What an upsert of titles did.
public struct TitleUpsertCounts: Sendable, Codable, Equatable {
    public var inserted = 0
    public var updated = 0
    public var unchanged = 0

    public init(inserted: Int = 0, updated: Int = 0, unchanged: Int = 0) {
        self.inserted = inserted
        self.updated = updated
        self.unchanged = unchanged
    }
}

/// The profiles, OaSIS titles and NOC 2021 unit groups of the store, for title resolution.
public struct TitleReferenceRows: Sendable {
    public var profiles: [Profile]
    /// Example titles (`profile_text` of kind `example_title`), in profile and sequence order.
    public var titles: [ProfileText]
    /// NOC 2021 unit groups (level 5 of `noc_class`, and every profile's unit group).
    public var unitGroups: Set<String>
}

/// The Titles source's repository over a store: its titles, their imports and resolutions.
///
/// Writes come in two forms: a convenience method that is its own transaction, and a static
/// core that takes the caller's `Database`, so that a build step or a command composes the
/// titles' writes with the engine's in one transaction:
///
/// ```swift
/// try store.dbQueue.write { db in
///     let counts = try TitleCatalog.upsert(records, in: db)   // job_title and title_resolution
///     _ = try SQLiteStore.reconcileTitleCells(since: snapshot, runID: runID, in: db)
/// }
/// ```
public struct TitleCatalog: Sendable {
    public let store: SQLiteStore
    public init(_ store: SQLiteStore) { self.store = store }
    var dbQueue: DatabaseQueue { store.dbQueue }
}

extension TitleCatalog {
    /// ``upsertTitleSQL(rows:)`` that returns the ids of the rows it inserted or changed (those
    /// the marking triggers mark; a title left alone is not returned).
    private static func upsertTitleSQL(rows: Int, returning: Bool) -> String {
        upsertTitleSQL(rows: rows) + (returning ? "\nRETURNING id" : "")
    }

    /// The upsert of `rows` titles in one statement.
    private static func upsertTitleSQL(rows: Int) -> String {
        """
        INSERT INTO job_title (id, title, title_fr, function, family, managerial_level, noc_2021, noc_2016, extra,
            source_file, source_line, unit_group, unit_group_method, profile_code, method, confidence, fuzzy_score,
            candidates, note, import_run_id)
        VALUES \(Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: rows).joined(separator: ", "))
        ON CONFLICT(id) DO UPDATE SET
            title = excluded.title, title_fr = excluded.title_fr, function = excluded.function,
            family = excluded.family, managerial_level = excluded.managerial_level, noc_2021 = excluded.noc_2021,
            noc_2016 = excluded.noc_2016, extra = excluded.extra, source_file = excluded.source_file,
            source_line = excluded.source_line, unit_group = excluded.unit_group,
            unit_group_method = excluded.unit_group_method, profile_code = excluded.profile_code,
            method = excluded.method, confidence = excluded.confidence, fuzzy_score = excluded.fuzzy_score,
            candidates = excluded.candidates, note = excluded.note,
            import_run_id = COALESCE(excluded.import_run_id, job_title.import_run_id)
        WHERE job_title.title IS NOT excluded.title OR job_title.title_fr IS NOT excluded.title_fr
            OR job_title.function IS NOT excluded.function OR job_title.family IS NOT excluded.family
            OR job_title.managerial_level IS NOT excluded.managerial_level
            OR job_title.noc_2021 IS NOT excluded.noc_2021 OR job_title.noc_2016 IS NOT excluded.noc_2016
            OR job_title.extra IS NOT excluded.extra OR job_title.source_file IS NOT excluded.source_file
            OR job_title.source_line IS NOT excluded.source_line OR job_title.unit_group IS NOT excluded.unit_group
            OR job_title.unit_group_method IS NOT excluded.unit_group_method
            OR job_title.profile_code IS NOT excluded.profile_code OR job_title.method IS NOT excluded.method
            OR job_title.confidence IS NOT excluded.confidence OR job_title.fuzzy_score IS NOT excluded.fuzzy_score
            OR job_title.candidates IS NOT excluded.candidates OR job_title.note IS NOT excluded.note
        """
    }

    /// Records an import and upserts its titles, in one transaction: a title already stored
    /// (same id) is updated in place, an identical one is left alone. Returns the run's id.
    @discardableResult
    public func saveImport(_ run: TitleImportRunRecord, titles: [JobTitleRecord]) throws -> (runID: Int64, counts: TitleUpsertCounts) {
        try dbQueue.write { db in try Self.saveImport(run, titles: titles, in: db) }
    }

    /// ``saveImport(_:titles:)`` in the caller's transaction.
    public static func saveImport(_ run: TitleImportRunRecord, titles: [JobTitleRecord],
                                  in db: Database) throws -> (runID: Int64, counts: TitleUpsertCounts) {
        let runID = try recordImport(run, in: db)
        var writer = try TitleWriter(runID: runID, in: db)
        try writer.write(titles)
        return (runID, try writer.finish())
    }

    /// Inserts an import's row (`title_import_run`) in the caller's transaction and returns its id.
    public static func recordImport(_ run: TitleImportRunRecord, in db: Database) throws -> Int64 {
        try db.execute(sql: """
            INSERT INTO title_import_run (file, sha256, imported_at, rows_read, imported, skipped, summary)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [run.file, run.sha256, Timestamp.string(run.importedAt), run.rowsRead, run.imported,
                             run.skipped, run.summaryJSON])
        return db.lastInsertedRowID
    }

    /// The figures of an import whose titles were written after its row (a streamed import).
    public static func finishImport(_ runID: Int64, rowsRead: Int, imported: Int, skipped: Int, summaryJSON: String,
                                    in db: Database) throws {
        try db.execute(sql: "UPDATE title_import_run SET rows_read = ?, imported = ?, skipped = ?, summary = ? WHERE id = ?",
                       arguments: [rowsRead, imported, skipped, summaryJSON, runID])
    }

    /// Upserts titles without an import (after re-resolving them against a new OaSIS load).
    @discardableResult
    public func upsert(_ titles: [JobTitleRecord]) throws -> TitleUpsertCounts {
        try dbQueue.write { db in try Self.upsert(titles, in: db) }
    }

    /// ``upsert(_:)`` in the caller's transaction.
    @discardableResult
    public static func upsert(_ titles: [JobTitleRecord], in db: Database) throws -> TitleUpsertCounts {
        var writer = try TitleWriter(runID: nil, in: db)
        try writer.write(titles)
        return try writer.finish()
    }

    /// Writes titles batch by batch in the caller's transaction, with what the engine needs of
    /// their resolutions (`title_resolution`) and contexts, so that a large import never holds
    /// all its records at once. `finish()` brings the published model up to date.
    ///
    /// ```swift
    /// var writer = try TitleCatalog.TitleWriter(runID: runID, in: db)
    /// for batch in batches { try writer.write(batch) }     // a few thousand titles each
    /// let counts = try writer.finish()                     // inserted, updated, unchanged
    /// ```
    public struct TitleWriter {
        let db: Database
        let runID: Int64?
        /// The ids stored before the first batch: read once, so that a batch needs no look-up per title.
        private let existing: Set<String>
        private let single: RawStatement
        private let multiple: RawStatement
        /// With the marking triggers set aside: the upserts that return the titles they changed,
        /// for rows that may already be stored (a new title is marked without asking).
        private let singleReturning: RawStatement?
        private let multipleReturning: RawStatement?
        /// The titles' plain indexes, dropped for a large write (see ``init(runID:expectedTitles:in:)``).
        private var setAside: SetAsideIndexes?
        /// The marking triggers of inserts and updates, dropped for a large write: the writer
        /// marks the titles it changed itself, one statement per batch (``markChanged``).
        private var setAsideTriggers: SetAsideTriggers?
        public private(set) var counts = TitleUpsertCounts()

        /// The triggers that mark a title whose `job_title` row was inserted or updated.
        static let markingTriggers = ["model_mark_title_insert", "model_mark_title_update"]

        /// Titles per statement: one statement's fixed work (its journal, its triggers' set-up)
        /// shared by many rows; 50 rows bind 1,000 values.
        static let rowsPerStatement = RawStatement.rowsPerStatement

        /// A writer in `db`'s transaction. With `expectedTitles` (about how many titles the
        /// batches will hold), a write large next to the titles stored sets the plain indexes of
        /// `job_title` and `title_resolution` aside until ``finish()`` (``SetAsideIndexes``):
        /// the caller's transaction must then roll back on an error, as `dbQueue.write` does.
        /// Such a write also sets aside the triggers that mark inserted and updated titles for the
        /// published model, and marks them itself: until ``finish()``, nothing else may insert or
        /// update rows of `job_title` or `title_resolution` in the transaction (removing is fine:
        /// the delete triggers stay).
        public init(runID: Int64?, expectedTitles: Int = 0, in db: Database) throws {
            self.db = db
            self.runID = runID
            existing = Set(try String.fetchAll(db, sql: "SELECT id FROM job_title"))
            if expectedTitles >= Self.setAsideFloor, expectedTitles >= existing.count / 2, db.isInsideTransaction {
                // model_change: its generation index too, which each mark moves.
                setAside = try SetAsideIndexes.drop(on: ["job_title", "title_resolution", "model_change"], in: db)
                let triggers = try SetAsideTriggers.drop(named: Self.markingTriggers + PublishedModel.resolutionMarkingTriggers,
                                                         in: db)
                setAsideTriggers = triggers
            }
            single = RawStatement(try db.cachedStatement(sql: TitleCatalog.upsertTitleSQL(rows: 1)))
            multiple = RawStatement(try db.cachedStatement(sql: TitleCatalog.upsertTitleSQL(rows: Self.rowsPerStatement)))
            if setAsideTriggers != nil {
                singleReturning = RawStatement(try db.cachedStatement(sql: TitleCatalog.upsertTitleSQL(rows: 1, returning: true)))
                multipleReturning = RawStatement(try db.cachedStatement(sql: TitleCatalog.upsertTitleSQL(
                    rows: Self.rowsPerStatement, returning: true)))
            } else {
                singleReturning = nil
                multipleReturning = nil
            }
        }

        /// The titles a write needs to set the indexes aside (two import batches). Rebuilding an
        /// index reads every row, stored or new, at about a quarter of the cost of inserting a new
        /// one in it: worth it when the write is at least half as large as what is stored.
        static let setAsideFloor = 4_000

        /// Upserts `titles`: a title already stored is updated in place, an identical one left alone.
        public mutating func write(_ titles: [JobTitleRecord]) throws {
            // Bound through SQLite's C API, many titles per statement: building `StatementArguments`
            // and running a statement per title were most of a large import.
            let isNew = titles.map { !existing.contains($0.id) }
            // With the marking triggers set aside: the titles the statements inserted or changed,
            // as the triggers would have marked them. A new title is inserted, so marked; for a
            // stored one, the upserts say whether they changed it (RETURNING).
            var changed: [String]? = setAsideTriggers == nil ? nil : []
            let collect: ((RawStatement) -> Void)? = changed == nil ? nil : { changed!.append($0.text(0)) }
            var start = 0
            while start < titles.count {
                let range = start..<min(start + Self.rowsPerStatement, titles.count)
                let chunk = titles[range]
                start = range.upperBound
                let inserted = isNew[range].count(where: { $0 })
                // All new: marked here, and the upsert need not return them.
                if inserted == chunk.count, changed != nil { changed!.append(contentsOf: chunk.lazy.map(\.id)) }
                // A title twice in one statement would be counted once: such a chunk goes row by row.
                if chunk.count == Self.rowsPerStatement, Set(chunk.map(\.id)).count == chunk.count {
                    let upsert = inserted < chunk.count ? multipleReturning ?? multiple : multiple
                    for (row, title) in chunk.enumerated() { bind(upsert, row: Int32(row), title) }
                    try upsert.step(db, row: collect)
                    let changed = db.changesCount
                    counts.inserted += inserted
                    counts.updated += changed - inserted
                    counts.unchanged += chunk.count - changed
                    continue
                }
                for (offset, title) in chunk.enumerated() {
                    let new = isNew[range.lowerBound + offset]
                    let upsert = new ? single : singleReturning ?? single
                    bind(upsert, row: 0, title)
                    try upsert.step(db, row: collect)
                    if new {
                        if inserted < chunk.count { changed?.append(title.id) }
                        counts.inserted += 1
                    } else if db.changesCount > 0 {
                        counts.updated += 1
                    } else {
                        counts.unchanged += 1
                    }
                }
            }
            if changed != nil {
                // New titles are marked already: only the stored ones' resolutions are asked what changed.
                try SQLiteStore.recordTitleResolutions(zip(titles, isNew).compactMap { $1 ? ($0.id, $0.resolution) : nil }, in: db)
                try SQLiteStore.recordTitleResolutions(zip(titles, isNew).compactMap { $1 ? nil : ($0.id, $0.resolution) },
                                                       in: db, changed: &changed)
            } else {
                try SQLiteStore.recordTitleResolutions(titles.map { ($0.id, $0.resolution) }, in: db)
            }
            try SQLiteStore.recordSubjectContexts(titles.map { (.title($0.id), $0.askedContext) }, in: db)
            if var changed {
                // In key order, each once (a title whose row and resolution both changed is listed twice).
                changed.sort()
                try PublishedModel.markTitles(changed.enumerated().compactMap { index, id in
                    index > 0 && changed[index - 1] == id ? nil : id
                }, in: db)
            }
        }

        private func bind(_ upsert: RawStatement, row: Int32, _ title: JobTitleRecord) {
            let base = row * 20
            upsert.bind(base + 1, title.id); upsert.bind(base + 2, title.title); upsert.bind(base + 3, title.titleFR)
            upsert.bind(base + 4, title.function); upsert.bind(base + 5, title.family); upsert.bind(base + 6, title.managerialLevel)
            upsert.bind(base + 7, title.noc2021); upsert.bind(base + 8, title.noc2016); upsert.bind(base + 9, title.extraJSON)
            upsert.bind(base + 10, title.sourceFile); upsert.bind(base + 11, Int64(title.sourceLine))
            upsert.bind(base + 12, title.unitGroup); upsert.bind(base + 13, title.unitGroupMethod?.rawValue)
            upsert.bind(base + 14, title.profileCode); upsert.bind(base + 15, title.method.rawValue)
            upsert.bind(base + 16, title.confidence); upsert.bind(base + 17, title.fuzzyScore)
            upsert.bind(base + 18, title.candidatesJSON); upsert.bind(base + 19, title.note)
            upsert.bind(base + 20, runID ?? title.importRunID)
        }

        /// Builds the indexes set aside again and brings the published model up to date with
        /// the writes; returns what they did.
        public mutating func finish() throws -> TitleUpsertCounts {
            if let setAsideTriggers {
                try setAsideTriggers.restore(in: db)
                self.setAsideTriggers = nil
            }
            if let setAside {
                try setAside.restore(in: db)
                self.setAside = nil
            }
            try PublishedModel.refresh(db)
            return counts
        }
    }

    /// Stored titles in id order; `unresolvedOnly` keeps those without a profile, `method` one
    /// method, `unitGroupMethod` one source of the unit group.
    public func titles(unresolvedOnly: Bool = false, method: String? = nil,
                       unitGroupMethod: String? = nil) throws -> [JobTitleRecord] {
        try dbQueue.read { db in try Self.titles(unresolvedOnly: unresolvedOnly, method: method, unitGroupMethod: unitGroupMethod, in: db) }
    }

    /// ``titles(unresolvedOnly:method:unitGroupMethod:)`` in the caller's transaction.
    public static func titles(unresolvedOnly: Bool = false, method: String? = nil, unitGroupMethod: String? = nil,
                              in db: Database) throws -> [JobTitleRecord] {
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if unresolvedOnly { conditions.append("profile_code IS NULL") }
        if let method { conditions.append("method = ?"); arguments.append(method) }
        if let unitGroupMethod { conditions.append("unit_group_method = ?"); arguments.append(unitGroupMethod) }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        return try Row.fetchAll(db, sql: "SELECT * FROM job_title\(filter) ORDER BY id",
                                arguments: StatementArguments(arguments)).map { try JobTitleRecord(row: $0) }
    }

    /// Every stored title in id order, one at a time in one read (an export of 200,000 titles
    /// holds one), and before them the names of the user's own columns that any of them has.
    ///
    /// ```swift
    /// try TitleCatalog(store).forEachTitle { columns in header += columns.sorted() } body: { title in write(title) }
    /// ```
    public func forEachTitle(columns: (Set<String>) throws -> Void, body: (JobTitleRecord) throws -> Void) throws {
        try dbQueue.read { db in
            var names: Set<String> = []
            let extras = try String.fetchCursor(db, sql: "SELECT DISTINCT extra FROM job_title")
            while let extra = try extras.next() { names.formUnion(JSONText.decodeObject(extra).keys) }
            try columns(names)
            let rows = try Row.fetchCursor(db, sql: "SELECT * FROM job_title ORDER BY id")
            while let row = try rows.next() { try body(try JobTitleRecord(row: row)) }
        }
    }

    /// A title by id, or else by exact title (ignoring case; the lowest id when several share it).
    public func title(matching text: String) throws -> JobTitleRecord? {
        try dbQueue.read { db in
            guard let id = try Self.titleID(db, matching: text) else { return nil }
            return try Row.fetchOne(db, sql: "SELECT * FROM job_title WHERE id = ?", arguments: [id]).map { try JobTitleRecord(row: $0) }
        }
    }

    public func count() throws -> Int {
        try dbQueue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job_title") ?? 0 }
    }

    /// Every import recorded, oldest first.
    public func importRuns() throws -> [TitleImportRunRecord] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM title_import_run ORDER BY id").map { row in
                TitleImportRunRecord(id: row["id"], file: row["file"], sha256: row["sha256"],
                                     importedAt: Timestamp.date(row["imported_at"]) ?? Date(timeIntervalSince1970: 0),
                                     rowsRead: row["rows_read"], imported: row["imported"], skipped: row["skipped"],
                                     summaryJSON: row["summary"])
            }
        }
    }

    /// Profiles, their example titles and the NOC 2021 unit groups, for a `TitleResolver`.
    public func referenceRows() throws -> TitleReferenceRows {
        try dbQueue.read { db in try Self.referenceRows(in: db) }
    }

    /// ``referenceRows()`` in the caller's transaction.
    public static func referenceRows(in db: Database) throws -> TitleReferenceRows {
        let profiles = try Row.fetchAll(db, sql: "SELECT code, unit_group, label, lead_statement FROM profile ORDER BY code").map {
            Profile(code: $0["code"], unitGroup: $0["unit_group"], label: $0["label"], leadStatement: $0["lead_statement"])
        }
        let titles = try Row.fetchAll(db, sql: """
            SELECT profile_code, seq, text, qualifier, reference FROM profile_text
            WHERE kind = ? ORDER BY profile_code, seq
            """, arguments: [ProfileText.Kind.exampleTitle.rawValue]).map {
            ProfileText(profileCode: $0["profile_code"], kind: .exampleTitle, seq: $0["seq"], text: $0["text"],
                        qualifier: $0["qualifier"], reference: $0["reference"])
        }
        var unitGroups = Set(try String.fetchAll(db, sql: "SELECT code FROM noc_class WHERE level = 5"))
        unitGroups.formUnion(profiles.map(\.unitGroup))
        return TitleReferenceRows(profiles: profiles, titles: titles, unitGroups: unitGroups)
    }
}

extension TitleCatalog {
    /// A job title by id, or by exact title (ignoring case; the lowest id when several share it).
    public func titleID(matching text: String) throws -> String? {
        try dbQueue.read { db in try Self.titleID(db, matching: text.trimmingCharacters(in: .whitespaces)) }
    }

    static func titleID(_ db: Database, matching text: String) throws -> String? {
        if let id = try String.fetchOne(db, sql: "SELECT id FROM job_title WHERE id = ?", arguments: [text]) { return id }
        return try String.fetchOne(db, sql: "SELECT id FROM job_title WHERE title = ? COLLATE NOCASE ORDER BY id LIMIT 1",
                                   arguments: [text])
    }

    /// The heading `show` and `explain` print for a title: its title, its profile's lead
    /// statement, and every column of its row.
    public func header(id: String) throws -> SubjectHeader? {
        try dbQueue.read { db -> SubjectHeader? in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM job_title WHERE id = ?", arguments: [id]) else { return nil }
            var details: [String: String] = [:]
            for column in row.columnNames {
                let value: DatabaseValue = row[column]
                switch value.storage {
                case .string(let text) where !text.isEmpty: details[column] = text
                case .int64(let number): details[column] = String(number)
                case .double(let number): details[column] = String(number)
                default: break
                }
            }
            let profile = details["profile_code"]
            var lead: String?
            if let profile {
                lead = try String.fetchOne(db, sql: "SELECT lead_statement FROM profile WHERE code = ?", arguments: [profile])
            }
            return SubjectHeader(subject: .title(id), label: details["title"] ?? id, leadStatement: lead,
                                 related: profile.map { [$0] } ?? [], details: details)
        }
    }

    /// Every title's label (its title), for exports.
    public func labels() throws -> [Subject: String] {
        try dbQueue.read { db in
            var labels: [Subject: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, title FROM job_title") { labels[.title(row["id"])] = row["title"] }
            return labels
        }
    }
}

extension JobTitleRecord {
    /// What an LLM is asked about when it is asked about this title: its texts, its codes and
    /// the profile it resolved to, as one text (a JSON object with sorted keys). Answers are tied
    /// to it: when a re-import changes any of these, the title's answers stop counting.
    public var askedContext: String {
        // In key order, as `JSONText.object` of the dictionary of these fields writes them.
        JSONText.object(sortedPairs: [
            "family": family, "function": function, "managerial_level": managerialLevel, "noc_2016": noc2016,
            "noc_2021": noc2021, "profile": profileCode, "title": title, "title_fr": titleFR, "unit_group": unitGroup,
        ])
    }

    /// What the engine inherits by (`TitleInheritanceRule`): nil when the title has no profile.
    public var resolution: TitleInheritanceRule.Resolution? {
        profileCode.map {
            TitleInheritanceRule.Resolution(titleID: id, profileCode: $0, method: method.rawValue, confidence: confidence,
                                            unitGroupSource: unitGroupMethod?.rawValue, fuzzyScore: fuzzyScore)
        }
    }
}
