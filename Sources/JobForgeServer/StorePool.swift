import Foundation
import JobForgeStore

/// Several read-only connections to one store, so that concurrent requests read in parallel
/// instead of queueing on one (a GRDB queue serializes its reads), and a connection of its own
/// that tells whether anyone committed to the store since it last looked (SQLite's
/// `PRAGMA data_version`), which is what the response cache is keyed on.
///
/// ```swift
/// let pool = StorePool([store] + (1..<4).map { _ in try SQLiteStore(path: store.path, schemas: schemas, mode: .readOnly) })
/// let count = try await pool.withStore { store in try TitleCatalog(store).count() }
/// ```
public final class StorePool: @unchecked Sendable {  // mutable state guarded by `lock`
    fileprivate let stores: [SQLiteStore]
    private let lock = NSLock()
    private var free: [Int]
    /// Requests waiting for a free connection, first come first served.
    private var waiting: [CheckedContinuation<Int, Never>] = []
    /// One serial queue per connection: a thread of its own (a serial queue overcommits) for its reads.
    fileprivate let threads: [DispatchQueue]
    /// Where the reads that take seconds run, behind every other request.
    fileprivate let slowLane = LowPriorityLane(name: "jobforge.serve.slow")
    /// A connection of its own for ``changeCount()``, so that a request answered from the cache
    /// never waits for a connection (the first one's, shared, when it cannot be opened).
    private let watcher: StoreChangeWatcher?
    /// The watcher when it has a connection of its own: what the pool's connections share
    /// (``SQLiteStore/shareReads(with:watcher:)``) is forgotten when it sees a commit.
    let ownWatcher: StoreChangeWatcher?

    /// The low-priority lane's own connection, if any: a read that takes seconds then holds none
    /// of `stores` while it waits for the lane and runs.
    fileprivate let slowStore: SQLiteStore?

    /// `slowStore`: a connection of its own for the reads that take seconds (``withSlowStore(_:)``).
    public init(_ stores: [SQLiteStore], slowStore: SQLiteStore? = nil) {
        precondition(!stores.isEmpty, "a pool needs at least one connection")
        self.stores = stores
        self.slowStore = slowStore
        free = Array(stores.indices.reversed())
        threads = stores.indices.map { DispatchQueue(label: "jobforge.serve.connection-\($0)") }
        // Its starting point is read now, before anything is cached.
        ownWatcher = try? StoreChangeWatcher(path: stores[0].path)
        watcher = ownWatcher ?? (try? StoreChangeWatcher(sharing: stores[0]))
    }

    public var size: Int { stores.count }
    public var primary: SQLiteStore { stores[0] }

    /// Runs `body` on a connection no other request is using, waiting (suspended, not blocking
    /// a thread) for the first that is free. Queueing on a busy connection instead made a
    /// request wait for whatever that one was doing: seconds behind a first `/api/coverage`,
    /// with the thread blocked meanwhile (two cores: half the server).
    public func withStore<T>(_ body: (SQLiteStore) async throws -> T) async rethrows -> T {
        try await withConnection { connection in try await body(connection.store) }
    }

    /// Runs `body`, a read that takes seconds, on the low-priority thread (``LowPriorityLane``),
    /// behind the reads queued there before it: on the lane's own connection when the pool has
    /// one, so that the first coverage and review (a second together on the shipped build, at a
    /// low priority) do not hold two of the connections the pages need; else on one of them.
    func withSlowStore<T: Sendable>(_ body: @escaping @Sendable (SQLiteStore) -> T) async -> T {
        if let slowStore { return await slowLane.run { body(slowStore) } }
        return await withConnection { connection in
            let store = connection.store
            return await slowLane.run { body(store) }
        }
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

        /// Runs `body`, which blocks its thread (GRDB reads), on the connection's own thread.
        func run<T: Sendable>(_ body: @escaping @Sendable (SQLiteStore) -> T) async -> T {
            let store = self.store
            return await withCheckedContinuation { continuation in
                pool.threads[index].async { continuation.resume(returning: body(store)) }
            }
        }
    }

    /// A number that changes whenever the store was committed to since it was last asked (by this
    /// process's reader or another process's writer): ask it before using what was read earlier.
    public func changeCount() throws -> UInt64 {
        guard let watcher else { throw StoreChangeUnknown() }
        return try watcher.changeCount()
    }

    /// Neither a watcher's connection nor the first connection could be read when the pool was made.
    struct StoreChangeUnknown: Error, CustomStringConvertible {
        var description: String { "the store's change count could not be read" }
    }

    private func acquireWaiting() async -> Int {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int, Never>) in
            let index: Int? = lock.withLock {
                guard let index = free.popLast() else {
                    waiting.append(continuation)
                    return nil
                }
                return index
            }
            if let index { continuation.resume(returning: index) }
        }
    }

    private func release(_ index: Int) {
        let handedTo: CheckedContinuation<Int, Never>? = lock.withLock {
            guard !waiting.isEmpty else {
                free.append(index)
                return nil
            }
            return waiting.removeFirst()
        }
        handedTo?.resume(returning: index)
    }
}
