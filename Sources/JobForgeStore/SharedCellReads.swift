import Foundation
import GRDB
import JobForgeCore

/// What one subject's reads can share while the store does not change, for a long-lived reader
/// that answers one subject at a time (`jobforge serve`): what a title inherits from each
/// profile (deriving the profile's cells was a third of a profile request's CPU; a title's JSON,
/// filtered JSON, page and cells all need it), the runs of the layers' loads, the descriptor
/// catalog and list. Off unless turned on (``SQLiteStore/shareReads()``), and only for a read-only
/// connection: it is emptied when the connection sees a commit by another connection (SQLite's
/// `PRAGMA data_version`, read in the same transaction as the cells), which a connection's own
/// writes would not show.
public final class SharedCellReads: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var enabled = false
    private var version: Int64?
    private var inheritable: [String: [Candidate]] = [:]
    private var layerRuns: [Date: String] = [:]
    private var catalog: DescriptorCatalog?
    /// Every descriptor with its scales (`descriptors(category: nil)`): each sheet page and cell story reads it.
    private var descriptorInfos: [DescriptorInfo]?
    /// Profiles kept at most (about 100 KB each): a store has ~1,400; a page of titles needs a few.
    static let profileLimit = 256

    var isEnabled: Bool { lock.withLock { enabled } }

    func enable() { lock.withLock { enabled = true } }

    /// Brings the cache to the store as `db`'s transaction sees it: emptied if anything was
    /// committed since it was filled. Returns whether the cache may be used in this transaction.
    func validate(_ db: Database) throws -> Bool {
        guard isEnabled else { return false }
        let current = try Int64.fetchOne(db, sql: "PRAGMA data_version") ?? 0
        lock.withLock {
            if version != current {
                inheritable.removeAll()
                layerRuns.removeAll()
                catalog = nil
                descriptorInfos = nil
                version = current
            }
        }
        return true
    }

    func inheritable(profile: String) -> [Candidate]? {
        lock.withLock { inheritable[profile] }
    }

    func keep(profile: String, inheritable candidates: [Candidate], layerRuns runs: [Date: String]) {
        lock.withLock {
            if inheritable.count >= Self.profileLimit { inheritable.removeAll(keepingCapacity: true) }
            inheritable[profile] = candidates
            layerRuns.merge(runs) { _, new in new }
        }
    }

    func layerRun(at time: Date) -> String? {
        lock.withLock { layerRuns[time] }
    }

    func descriptorInfos(_ db: Database) throws -> [DescriptorInfo] {
        if let known = lock.withLock({ descriptorInfos }) { return known }
        let made = try SQLiteStore.descriptors(category: nil, in: db)
        lock.withLock { descriptorInfos = made }
        return made
    }

    func descriptorCatalog(_ db: Database) throws -> DescriptorCatalog {
        if let known = lock.withLock({ catalog }) { return known }
        let made = try DescriptorCatalog(db)
        lock.withLock { catalog = made }
        return made
    }
}
