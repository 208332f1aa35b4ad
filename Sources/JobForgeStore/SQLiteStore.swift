import Foundation
import GRDB
import JobForgeCore

/// The default engine: one SQLite file, nothing to install.
///
/// Other modules extend it with their own tables in files of their own
/// (`TBSStorage.swift`, `ONetStorage.swift`, ...), each registering its migrations
/// in `SQLiteStore.migrator`.
public final class SQLiteStore: Sendable {
    /// The GRDB queue. Serialized access; every write is a transaction.
    public let dbQueue: DatabaseQueue
    public let path: String

    public init(path: String) throws {
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
            // A build's steps write megabytes each (NOC and OaSIS alone, 9 MB). At SQLite's default
            // threshold (1,000 pages, 4 MB) each such commit copied its pages back into the database
            // and synced both files before the next step could start; with room for a whole build,
            // the WAL is checkpointed once (same syncs) when the store closes, or by the first commit
            // past 64 MB. Commits and crash recovery are unchanged: WAL frames apply only whole.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 16384")
        }
        dbQueue = try DatabaseQueue(path: path, configuration: configuration)
        try Self.migrator.migrate(dbQueue)
    }
}
