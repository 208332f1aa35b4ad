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
        }
        dbQueue = try DatabaseQueue(path: path, configuration: configuration)
        try Self.migrator.migrate(dbQueue)
    }
}
