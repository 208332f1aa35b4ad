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
    fileprivate let stores: [SQLiteStore]
    private let lock = NSLock()
    private var free: [Int]
    private var next = 0
    /// Requests using each connection (more than one only through the synchronous `withStore`).
    private var users: [Int]
    /// Requests waiting for a free connection, first come first served.
    private var waiting: [CheckedContinuation<Int, Never>] = []
    /// Each connection's last `data_version`: it changes when another connection commits.
    private var versions: [Int64]
    /// Grows whenever any connection sees a commit by someone else.
    private var changes: UInt64 = 0
    /// One serial queue per connection: a thread of its own (a serial queue overcommits) for its reads.
    fileprivate let threads: [DispatchQueue]
    /// Where the reads that take seconds run, behind every other request.
    fileprivate let slowLane = LowPriorityLane(name: "jobforge.serve.slow")
    /// A connection of its own for ``changeCount()``, so that a request answered from the cache
    /// never waits for a connection (nil when it could not be opened: the requests' are asked).
    private let watcher: StoreChangeWatcher?

    public init(_ stores: [SQLiteStore]) {
        precondition(!stores.isEmpty, "a pool needs at least one connection")
        self.stores = stores
        free = Array(stores.indices.reversed())
        users = Array(repeating: 0, count: stores.count)
        threads = stores.indices.map { DispatchQueue(label: "jobforge.serve.connection-\($0)") }
        // Every connection's starting point, read before anything is cached: a connection first
        // asked later would otherwise take a commit made in between for its starting point.
        // (Unreadable: -1, which the first real reading replaces, emptying a cache that is empty.)
        versions = stores.map { store in (try? Self.dataVersion(store)) ?? -1 }
        watcher = try? StoreChangeWatcher(path: stores[0].path)
    }

    static func dataVersion(_ store: SQLiteStore) throws -> Int64 {
        try store.dbQueue.read { db in try Int64.fetchOne(db, sql: "PRAGMA data_version") ?? 0 }
    }

    public var size: Int { stores.count }
    public var primary: SQLiteStore { stores[0] }

    /// Runs `body` on a connection no other request is using (or, when all are busy, on one
    /// that a request is using: GRDB then serializes the two, blocking this thread).
    public func withStore<T>(_ body: (SQLiteStore) throws -> T) rethrows -> T {
        let index = acquireSharing()
        defer { release(index) }
        return try body(stores[index])
    }

    /// Runs `body` on a connection no other request is using, waiting (suspended, not blocking
    /// a thread) for the first that is free. Queueing on a busy connection instead made a
    /// request wait for whatever that one was doing: seconds behind a first `/api/coverage`,
    /// with the thread blocked meanwhile (two cores: half the server).
    public func withStore<T>(_ body: (SQLiteStore) async throws -> T) async rethrows -> T {
        try await withConnection { connection in try await body(connection.store) }
    }

    /// `withStore`, with the connection's thread.
    func withConnection<T>(_ body: (Connection) async throws -> T) async rethrows -> T {
        let index = await acquireWaiting()
        defer { release(index) }
        return try await body(Connection(pool: self, index: index))
    }

    /// A connection held by one request.
    struct Connection: Sendable {
        let pool: StorePool
        let index: Int

        var store: SQLiteStore { pool.stores[index] }

        /// Runs `body`, which blocks its thread (GRDB reads), on the connection's own thread, or,
        /// when it takes seconds (`slow`), on the pool's low-priority thread (``LowPriorityLane``).
        func run<T: Sendable>(slow: Bool = false, _ body: @escaping @Sendable (SQLiteStore) -> T) async -> T {
            let store = self.store
            if slow { return await pool.slowLane.run { body(store) } }
            return await withCheckedContinuation { continuation in
                pool.threads[index].async { continuation.resume(returning: body(store)) }
            }
        }
    }

    /// A number that changes whenever the store was committed to since it was last asked (by this
    /// process's reader or another process's writer): ask it before using what was read earlier.
    public func changeCount() throws -> UInt64 {
        if let watcher { return try watcher.changeCount() }
        let index = acquireSharing()
        defer { release(index) }
        return try changeCount(index)
    }

    private func changeCount(_ index: Int) throws -> UInt64 {
        let version = try Self.dataVersion(stores[index])
        return lock.withLock {
            if versions[index] != version { changes += 1 }
            versions[index] = version
            return changes
        }
    }

    private func acquireSharing() -> Int {
        lock.withLock {
            let index: Int
            if let first = free.popLast() {
                index = first
            } else {
                next = (next + 1) % stores.count
                index = next
            }
            users[index] += 1
            return index
        }
    }

    private func acquireWaiting() async -> Int {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int, Never>) in
            let index: Int? = lock.withLock {
                guard let index = free.popLast() else {
                    waiting.append(continuation)
                    return nil
                }
                users[index] += 1
                return index
            }
            if let index { continuation.resume(returning: index) }
        }
    }

    private func release(_ index: Int) {
        let handedTo: CheckedContinuation<Int, Never>? = lock.withLock {
            users[index] -= 1
            guard users[index] == 0 else { return nil }
            guard !waiting.isEmpty else {
                free.append(index)
                return nil
            }
            users[index] = 1
            return waiting.removeFirst()
        }
        handedTo?.resume(returning: index)
    }
}
