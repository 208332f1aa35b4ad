import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The store's writer lock: an exclusive `flock` on `<store>.lock`, held by a run (`withRun`)
/// from start to finish and by an open that migrates. Two builds on one store would otherwise
/// both do the same steps (SQLite serializes their transactions, not their decisions); with the
/// lock, the second waits, then finds the steps done. The kernel drops the lock when its process
/// dies, so a lock that can be taken means no run of another process is alive.
///
/// Reentrant within a process (a run that opens the store again does not wait for itself).
final class StoreLock: @unchecked Sendable {
    let path: String
    private let mutex = NSLock()
    private var descriptor: Int32 = -1
    private var depth = 0

    private init(path: String) { self.path = path }

    private static let registryLock = NSLock()
    nonisolated(unsafe) private static var registry: [String: StoreLock] = [:]

    /// The one lock object of this process for the store at `storePath`.
    static func forStore(at storePath: String) -> StoreLock {
        let lockPath = URL(fileURLWithPath: storePath).standardizedFileURL.path + ".lock"
        return registryLock.withLock {
            if let lock = registry[lockPath] { return lock }
            let lock = StoreLock(path: lockPath)
            registry[lockPath] = lock
            return lock
        }
    }

    /// Takes the lock, waiting for its holder (after telling `waiting` who that is), and returns
    /// whether it had to wait.
    @discardableResult
    func acquire(holder: String, waiting: (String) -> Void) throws -> Bool {
        mutex.lock(); defer { mutex.unlock() }
        if depth > 0 { depth += 1; return false }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreOpenError.lockFile(path: path, reason: String(cString: strerror(errno))) }
        var waited = false
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            waited = true
            waiting(Self.holderText(fd))
            while flock(fd, LOCK_EX) != 0 {
                guard errno == EINTR else {
                    let reason = String(cString: strerror(errno))
                    close(fd)
                    throw StoreOpenError.lockFile(path: path, reason: reason)
                }
            }
        }
        descriptor = fd
        depth = 1
        Self.write(holder, to: fd)
        return waited
    }

    /// Takes the lock only if nobody holds it; true when taken.
    func tryAcquire(holder: String) -> Bool {
        mutex.lock(); defer { mutex.unlock() }
        if depth > 0 { depth += 1; return true }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return false }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { close(fd); return false }
        descriptor = fd
        depth = 1
        Self.write(holder, to: fd)
        return true
    }

    /// True when this process holds the lock once only: no outer run of this process is going on.
    var heldByOneHolder: Bool {
        mutex.lock(); defer { mutex.unlock() }
        return depth == 1
    }

    func release() {
        mutex.lock(); defer { mutex.unlock() }
        guard depth > 0 else { return }
        depth -= 1
        if depth == 0 {
            _ = ftruncate(descriptor, 0)
            close(descriptor)   // drops the flock
            descriptor = -1
        }
    }

    func withLock<T>(holder: String, waiting: (String) -> Void, _ body: () throws -> T) throws -> T {
        try acquire(holder: holder, waiting: waiting)
        defer { release() }
        return try body()
    }

    private static func write(_ holder: String, to fd: Int32) {
        let text = holder + " (pid \(getpid()))"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    private static func holderText(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = pread(fd, &buffer, buffer.count, 0)
        let text = count > 0 ? String(decoding: buffer.prefix(count), as: UTF8.self) : ""
        return text.isEmpty ? "another jobforge process" : text
    }
}
