import Foundation
import JobForgeStore

/// Several read-only connections to one store, so that concurrent requests read in parallel
/// instead of queueing on one (a GRDB queue serializes its reads). Each connection also tells
/// whether another process committed to the store since it last looked (SQLite's
/// `PRAGMA data_version`), which is what the response cache is keyed on.
///
/// ```swift
/// let pool = try StorePool([store] + (1..<4).map { _ in try SQLiteStore(path: store.path, schemas: schemas, mode: .readOnly) })
/// let count = try pool.withStore { store in try TitleCatalog(store).count() }
/// ```
public final class StorePool: @unchecked Sendable {  // mutable state guarded by `lock`
    private let stores: [SQLiteStore]
    private let lock = NSLock()
    private var free: [Int]
    private var next = 0
    /// Each connection's last `data_version`: it changes when another connection commits.
    private var versions: [Int64]
    /// Grows whenever any connection sees a commit by someone else.
    private var changes: UInt64 = 0

    public init(_ stores: [SQLiteStore]) {
        precondition(!stores.isEmpty, "a pool needs at least one connection")
        self.stores = stores
        free = Array(stores.indices.reversed())
        // Every connection's starting point, read before anything is cached: a connection first
        // asked later would otherwise take a commit made in between for its starting point.
        // (Unreadable: -1, which the first real reading replaces, emptying a cache that is empty.)
        versions = stores.map { store in (try? Self.dataVersion(store)) ?? -1 }
    }

    static func dataVersion(_ store: SQLiteStore) throws -> Int64 {
        try store.dbQueue.read { db in try Int64.fetchOne(db, sql: "PRAGMA data_version") ?? 0 }
    }

    public var size: Int { stores.count }
    public var primary: SQLiteStore { stores[0] }

    /// Runs `body` on a connection no other request is using (or, when all are busy, on one
    /// that a request is using: GRDB then serializes the two).
    public func withStore<T>(_ body: (SQLiteStore) throws -> T) rethrows -> T {
        let index = acquire()
        defer { release(index) }
        return try body(stores[index])
    }

    public func withStore<T>(_ body: (SQLiteStore) async throws -> T) async rethrows -> T {
        let index = acquire()
        defer { release(index) }
        return try await body(stores[index])
    }

    /// A number that changes whenever the store was committed to since it was last asked (by this
    /// process's reader or another process's writer): ask it before using what was read earlier.
    public func changeCount() throws -> UInt64 {
        let index = acquire()
        defer { release(index) }
        let version = try Self.dataVersion(stores[index])
        return lock.withLock {
            if versions[index] != version { changes += 1 }
            versions[index] = version
            return changes
        }
    }

    private func acquire() -> Int {
        lock.withLock {
            if let index = free.popLast() { return index }
            next = (next + 1) % stores.count
            return next
        }
    }

    private func release(_ index: Int) {
        lock.withLock {
            if !free.contains(index) { free.append(index) }
        }
    }
}
