import Foundation

/// Work started on a thread of its own (a build has two cores), its result taken when needed.
///
/// A plain thread, not a Dispatch or Swift concurrency pool: the caller blocks until the work
/// ends, and blocking a pool thread on work queued to the same pool can wait forever when every
/// thread of the pool is busy.
///
/// ```swift
/// let digests = BlockingBackground { contents.map(SHA256.hex) }   // hashing on the other core
/// let parsed = try parse(contents)                                 // meanwhile, on this one
/// let fingerprints = try digests.value()                           // waits for the hashing
/// ```
public final class BlockingBackground<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `result` is written once by the worker before it signals `finished`, and read
    // only after waiting for that signal.
    private let finished = DispatchSemaphore(value: 0)
    private var result: Result<Value, any Error>?
    private var waited = false
    private let lock = NSLock()

    /// Starts `work` on a new thread.
    public init(_ work: @escaping @Sendable () throws -> Value) {
        Thread {
            self.result = Result(catching: work)
            self.finished.signal()
        }.start()
    }

    /// Waits for the work to end (the first call) and returns its value or throws its error.
    /// Any number of calls return the same result.
    public func value() throws -> Value {
        lock.withLock {
            if !waited {
                finished.wait()
                waited = true
            }
        }
        return try result!.get()
    }
}
