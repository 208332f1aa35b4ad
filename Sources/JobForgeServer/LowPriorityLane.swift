import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A thread of its own at a low CPU priority (nice 10), for the requests that take seconds
/// (a first `/api/coverage` tallies every title's cells; a first `/api/review` audits every
/// title's code): while one runs, a profile page asked meanwhile takes the core from it at once,
/// instead of sharing it. On 2 cores, a cold coverage at the same priority held up every other
/// request (16 clients: profile p99 74-99 ms; see the README's serve section). Nice 10, not 19: it
/// gets about a tenth of a core that others want, so a machine busy with other work slows a first
/// coverage down but never starves it.
///
/// ```swift
/// let lane = LowPriorityLane(name: "jobforge.serve.slow")
/// lane.run { computeForSeconds() }   // later requests at normal priority go first
/// ```
final class LowPriorityLane: @unchecked Sendable {  // `jobs` guarded by `condition`
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []

    init(name: String) {
        let thread = Thread { [condition] in
            // Linux keeps a nice value per thread, and `who` 0 is the calling thread: this one
            // alone runs at 10 (never raised back, which an unprivileged process may not do; so
            // the lane keeps a thread of its own).
            #if os(Linux)
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
            #endif
            while true {
                condition.lock()
                while self.jobs.isEmpty { condition.wait() }
                let job = self.jobs.removeFirst()
                condition.unlock()
                job()
            }
        }
        thread.name = name
        thread.start()
    }

    /// Runs `body` on the lane's thread, after the jobs before it, and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            condition.lock()
            jobs.append { continuation.resume(returning: body()) }
            condition.signal()
            condition.unlock()
        }
    }
}
