import Foundation
import GRDB

/// A read-only connection of its own that only asks SQLite whether the store was committed to
/// since it last asked (`PRAGMA data_version`: any commit, by this process or another). A server
/// asks it before each request to know whether a kept response still holds, without waiting for
/// a connection that a long read holds.
///
/// ```swift
/// let watcher = try StoreChangeWatcher(path: store.path)
/// let before = try watcher.changeCount()
/// // ... another process runs `jobforge titles pin ...`
/// try watcher.changeCount() > before   // true
/// ```
public final class StoreChangeWatcher: @unchecked Sendable {  // `version` and `changes` guarded by `lock`
    private let queue: DatabaseQueue
    private let lock = NSLock()
    private var version: Int64
    private var changes: UInt64 = 0

    /// Opens the store at `path` read-only (SQLite's own read-only mode).
    public init(path: String) throws {
        queue = try SQLiteStore.openQueue(path: path, readOnly: true)
        version = try Self.dataVersion(queue)
    }

    /// Asks on `store`'s own connection: a question waits while that connection reads.
    public init(sharing store: SQLiteStore) throws {
        queue = store.dbQueue
        version = try Self.dataVersion(queue)
    }

    /// A number that grows whenever the store was committed to since the last call.
    public func changeCount() throws -> UInt64 {
        try lock.withLock {
            let now = try Self.dataVersion(queue)
            if now != version {
                changes += 1
                version = now
            }
            return changes
        }
    }

    static func dataVersion(_ queue: DatabaseQueue) throws -> Int64 {
        try queue.read { db in try Int64.fetchOne(db, sql: "PRAGMA data_version") ?? 0 }
    }
}
