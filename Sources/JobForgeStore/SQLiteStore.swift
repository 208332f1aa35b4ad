import Foundation
import GRDB
import JobForgeCore

/// The working store: one SQLite file, nothing to install.
///
/// The store owns the cell engine's tables (subjects, provenance, candidates, the override log,
/// the two packed layers, runs, steps, releases, the reference tables and the `title_resolution`
/// contract). Each source module owns its own tables and registers their migrations through a
/// ``StoreSchema``; the composition root (the CLI, the build) passes the schemas it needs:
///
/// ```swift
/// let store = try SQLiteStore(path: "jobforge.sqlite", schemas: [TitlesSchema.self, ONetSchema.self])
/// let catalog = TitleCatalog(store)          // the Titles source's own repository
/// let cells = try store.winners(of: .unitGroup("21211"), filter: CellFilter())
/// ```
public final class SQLiteStore: Sendable {
    /// The GRDB queue. Serialized access; every write is a transaction.
    public let dbQueue: DatabaseQueue
    public let path: String

    /// Opens (creating if needed) the store at `path` and brings the engine's tables and those of
    /// `schemas` up to date. Schemas are registered after the engine's, in the order given.
    public init(path: String, schemas: [any StoreSchema.Type] = []) throws {
        self.path = path
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // A build writes a few hundred thousand rows in one transaction: keep its pages in
            // memory instead of spilling them to the file mid-transaction.
            try db.execute(sql: "PRAGMA cache_size = -131072; PRAGMA temp_store = MEMORY")
            // WAL: a commit is one sequential append instead of journal + database syncs, which
            // matters for the many small transactions of the network tiers; still atomic and durable
            // across a crash of the process (NORMAL syncs at checkpoints).
            try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL")
            // A build's steps write megabytes each. At SQLite's default threshold (1,000 pages, 4 MB)
            // each such commit copied its pages back into the database and synced both files before
            // the next step could start; with room for a whole build, the WAL is checkpointed once
            // when the store closes, or by the first commit past 64 MB. WAL frames apply only whole.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 16384")
        }
        dbQueue = try DatabaseQueue(path: path, configuration: configuration)
        try Self.migrator(schemas).migrate(dbQueue)
    }

    /// The engine's migrations, then each schema's. Never edit a shipped migration: add a new one.
    static func migrator(_ schemas: [any StoreSchema.Type]) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        EngineSchema.registerMigrations(&migrator)
        for schema in schemas { schema.registerMigrations(&migrator) }
        return migrator
    }
}

/// A module's tables: it registers their migrations, the way a GRDB app owns its database.
///
/// Identifiers are history: a shipped migration is never edited or renamed, so that a store
/// written by an earlier release upgrades by running only what it has not seen.
///
/// ```swift
/// public enum TBSSchema: StoreSchema {
///     public static func registerMigrations(_ migrator: inout DatabaseMigrator) {
///         migrator.registerMigration("v1-tbs") { db in try db.execute(sql: "CREATE TABLE tbs_scrape (...)") }
///     }
/// }
/// ```
public protocol StoreSchema {
    static func registerMigrations(_ migrator: inout DatabaseMigrator)
}
