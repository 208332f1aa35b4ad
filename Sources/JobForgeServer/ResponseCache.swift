import Foundation

/// Responses already made, for the store as it was when they were made: a request asks the
/// pool whether the store changed (``StorePool/changeCount()``, any commit by any process) and
/// the cache forgets everything when it did. Bounded in bytes; the least recently used go first.
final class ResponseCache: @unchecked Sendable {  // guarded by `lock`
    private struct Entry {
        var response: APIResponse
        var lastUse: UInt64
    }

    private let lock = NSLock()
    private let capacity: Int
    private var entries: [String: Entry] = [:]
    private var bytes = 0
    private var clock: UInt64 = 0
    /// The pool's change count the entries were made under.
    private var generation: UInt64?

    /// `capacity`: the bytes of response bodies kept at most.
    init(capacity: Int) {
        self.capacity = capacity
    }

    func get(_ key: String, generation current: UInt64) -> APIResponse? {
        lock.withLock {
            guard generation == current, var entry = entries[key] else { return nil }
            clock += 1
            entry.lastUse = clock
            entries[key] = entry
            return entry.response
        }
    }

    /// Keeps `response`, made from the store at `current` (a change count taken before it was
    /// read): one made before a change is dropped, never served after it.
    func set(_ key: String, _ response: APIResponse, generation current: UInt64) {
        let size = response.body.count + key.utf8.count
        guard size <= capacity / 4 else { return }
        lock.withLock {
            if generation != current {
                guard generation.map({ current > $0 }) ?? true else { return }  // made before the change
                entries.removeAll()
                bytes = 0
                generation = current
            }
            clock += 1
            if let old = entries.updateValue(Entry(response: response, lastUse: clock), forKey: key) {
                bytes -= old.response.body.count + key.utf8.count
            }
            bytes += size
            if bytes > capacity {
                // Evict the least recently used half of the budget at once: sorting is the cost.
                let byAge = entries.sorted { $0.value.lastUse < $1.value.lastUse }
                for (old, entry) in byAge where bytes > capacity / 2 {
                    entries[old] = nil
                    bytes -= entry.response.body.count + old.utf8.count
                }
            }
        }
    }
}
