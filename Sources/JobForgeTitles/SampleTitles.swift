import Foundation
import GRDB
import JobForgeCore
import JobForgeStore

/// Where an import's titles come from: the user's own architecture, or the shipped sample that
/// `jobforge build` loads into a store that has none, to show what JobForge does.
public enum ImportOrigin: String, Sendable, Codable {
    case user
    case sample
}

/// The shipped sample is a demonstration only. A store gets it while it has no import of the
/// user's; the user's first import removes every sample title its file does not name (in the
/// import's transaction), and a build never brings them back. The LLM step asks about them only
/// when the user names them (`impute --titles JA-0002`).
///
/// ```swift
/// try store.dbQueue.write { db in
///     if try SampleTitles.storeHasUserImport(in: db) {
///         _ = try SampleTitles.remove(in: db)     // an older store's leftovers
///     }
/// }
/// ```
public enum SampleTitles {
    /// `title_import_run.is_sample`: 1 for the sample's imports. Stores written before it knew
    /// the sample only by its file's name, which the build always used.
    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE title_import_run ADD COLUMN is_sample INTEGER NOT NULL DEFAULT 0;
            UPDATE title_import_run SET is_sample = 1 WHERE file = 'job_architecture.csv';
            """)
    }

    static func markSample(runID: Int64, in db: Database) throws {
        try db.execute(sql: "UPDATE title_import_run SET is_sample = 1 WHERE id = ?", arguments: [runID])
    }

    /// True once the user has imported an architecture of their own into this store.
    public static func storeHasUserImport(in db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM title_import_run WHERE is_sample = 0)") ?? false
    }

    /// The ids of the titles the sample put in the store (and no import of the user's changed since).
    public static func ids(in db: Database) throws -> Set<String> {
        Set(try String.fetchAll(db, sql: """
            SELECT t.id FROM job_title t JOIN title_import_run r ON r.id = t.import_run_id WHERE r.is_sample = 1
            """))
    }

    /// ``ids(in:)`` of a store, for readers such as the LLM step.
    public static func ids(of store: SQLiteStore) throws -> Set<String> {
        try store.dbQueue.read { try ids(in: $0) }
    }

    /// Removes the sample's titles but those in `keeping`, and what the engine knows of their
    /// resolutions, in the caller's transaction (whose `TitleCells.resolving` logs the cells they
    /// leave). Returns how many were removed.
    @discardableResult
    public static func remove(keeping: Set<String> = [], in db: Database) throws -> Int {
        let ids = try ids(in: db).subtracting(keeping).sorted()
        guard !ids.isEmpty else { return 0 }
        let delete = try db.cachedStatement(sql: "DELETE FROM job_title WHERE id = ?")
        for id in ids { try delete.execute(arguments: [id]) }
        try SQLiteStore.recordTitleResolutions(ids.map { ($0, nil) }, in: db)
        return ids.count
    }

    /// After a user's import: the sample titles left are those its file named (same id), which
    /// are now the user's, even where the upsert found nothing to change.
    static func claim(runID: Int64, in db: Database) throws {
        try db.execute(sql: """
            UPDATE job_title SET import_run_id = ?
            WHERE import_run_id IN (SELECT id FROM title_import_run WHERE is_sample = 1)
            """, arguments: [runID])
    }
}
