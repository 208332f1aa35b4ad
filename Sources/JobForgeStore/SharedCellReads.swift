import Foundation
import GRDB
import JobForgeCore

/// What one subject's reads can share while the store does not change, for long-lived readers
/// that answer one subject at a time (`jobforge serve`): what a title inherits from each
/// profile (deriving the profile's cells was a third of a profile request's CPU; a title's JSON,
/// filtered JSON, page and cells all need it), the runs of the layers' loads, the descriptor
/// catalog and list. Off unless turned on (``SQLiteStore/shareReads(with:watcher:)``), and only
/// for read-only connections, whose own writes cannot change what they share.
///
/// Several connections to one store share one of these when a ``StoreChangeWatcher`` tells them
/// the store changed (a server's pool: a profile derived by one request serves the next whatever
/// its connection); a connection alone asks its own `PRAGMA data_version`.
public final class SharedCellReads: @unchecked Sendable {  // `state` guarded by `lock`
    private let lock = NSLock()
    /// nil while off; the same object in every connection that shares.
    private var state: State?

    /// Turns sharing on: with `other`'s connections when `watcher` (a connection of its own
    /// that sees every commit) says when to forget; else for this connection alone.
    func enable(sharingWith other: SharedCellReads?, watcher: StoreChangeWatcher?) {
        let shared = watcher == nil ? nil : other?.lock.withLock { other?.state }
        let state = shared ?? State(watcher: watcher)
        lock.withLock { self.state = state }
    }

    /// What may be shared in `db`'s transaction, or nil when sharing is off. Asked first in the
    /// transaction, before it reads anything: the store's version is taken before its snapshot,
    /// so that what the transaction derives is never kept under a later version than it saw.
    func session(_ db: Database) throws -> Session? {
        guard let state = lock.withLock({ state }) else { return nil }
        return try state.session(db)
    }

    /// The reads of one transaction: they see and keep entries of the version the transaction
    /// began under only, so that a transaction that began before a change (on another
    /// connection) neither reads what was derived after it nor keeps what it derived.
    struct Session {
        fileprivate let state: State
        fileprivate let version: Int64

        func inheritable(profile: String) -> [Candidate]? {
            state.withCurrent(version) { $0.inheritable[profile] } ?? nil
        }

        func keep(profile: String, inheritable candidates: [Candidate], layerRuns runs: [Date: String]) {
            state.withCurrent(version) { caches in
                if caches.inheritable.count >= SharedCellReads.profileLimit { caches.inheritable.removeAll(keepingCapacity: true) }
                caches.inheritable[profile] = candidates
                caches.layerRuns.merge(runs) { _, new in new }
            }
        }

        /// A subject's cells as ``CellReader/cells(of:)`` derived them: a title's JSON, filtered
        /// JSON, page and cell story all start from them.
        func states(of subject: Subject) -> [CellState]? {
            state.withCurrent(version) { $0.states[subject]?.cells } ?? nil
        }

        func keep(states: [CellState], of subject: Subject) {
            let weight = states.reduce(0) { $0 + $1.entries.count }
            guard weight <= SharedCellReads.stateEntriesLimit / 4 else { return }
            state.withCurrent(version) { caches in
                guard caches.states[subject] == nil else { return }
                // The oldest go first: a server's visitors mostly come back to what they just read.
                while caches.stateEntries + weight > SharedCellReads.stateEntriesLimit, !caches.stateOrder.isEmpty {
                    let oldest = caches.stateOrder.removeFirst()
                    caches.stateEntries -= caches.states.removeValue(forKey: oldest)?.weight ?? 0
                }
                caches.states[subject] = (states, weight)
                caches.stateOrder.append(subject)
                caches.stateEntries += weight
            }
        }

        func layerRun(at time: Date) -> String? {
            state.withCurrent(version) { $0.layerRuns[time] } ?? nil
        }

        func descriptorInfos(_ db: Database) throws -> [DescriptorInfo] {
            if let known = state.withCurrent(version, { $0.descriptorInfos }) ?? nil { return known }
            let made = try SQLiteStore.descriptors(category: nil, in: db)
            state.withCurrent(version) { $0.descriptorInfos = made }
            return made
        }

        func descriptorCatalog(_ db: Database) throws -> DescriptorCatalog {
            if let known = state.withCurrent(version, { $0.catalog }) ?? nil { return known }
            let made = try DescriptorCatalog(db)
            state.withCurrent(version) { $0.catalog = made }
            return made
        }
    }

    /// Profiles kept at most (about 100 KB each): a store has ~1,400; a page of titles needs a few.
    static let profileLimit = 256
    /// Candidates of subjects' cells kept at most (about 200 bytes each, so about 60 MB): every
    /// title of the shipped build (~700 each), the most recent few hundred of a large store.
    static let stateEntriesLimit = 300_000

    fileprivate struct Caches {
        var inheritable: [String: [Candidate]] = [:]
        var layerRuns: [Date: String] = [:]
        var catalog: DescriptorCatalog?
        /// Every descriptor with its scales (`descriptors(category: nil)`): each sheet page and cell story reads it.
        var descriptorInfos: [DescriptorInfo]?
        /// Each subject's cells, with how many candidates they hold.
        var states: [Subject: (cells: [CellState], weight: Int)] = [:]
        /// The subjects of `states`, oldest first, and how many candidates they hold together.
        var stateOrder: [Subject] = []
        var stateEntries = 0
    }

    fileprivate final class State: @unchecked Sendable {  // `version` and `caches` guarded by `lock`
        private let lock = NSLock()
        let watcher: StoreChangeWatcher?
        private var version: Int64?
        private var caches = Caches()

        init(watcher: StoreChangeWatcher?) { self.watcher = watcher }

        func session(_ db: Database) throws -> Session {
            let current: Int64
            if let watcher {
                current = Int64(clamping: try watcher.changeCount())
            } else {
                current = try Int64.fetchOne(db, sql: "PRAGMA data_version") ?? 0
            }
            lock.withLock {
                // A version only grows: a session that asked before a later one reset the caches
                // keeps its older version and matches nothing.
                if version.map({ current > $0 }) ?? true {
                    caches = Caches()
                    version = current
                }
            }
            return Session(state: self, version: current)
        }

        /// `body` on the caches when they are still those of `expected`; nil otherwise.
        func withCurrent<T>(_ expected: Int64, _ body: (inout Caches) -> T) -> T? {
            lock.withLock { version == expected ? body(&caches) : nil }
        }
    }
}
