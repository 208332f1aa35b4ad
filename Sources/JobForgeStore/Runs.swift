import Foundation
import GRDB
import JobForgeCore

// MARK: Runs and steps

extension SQLiteStore {
    /// Starts a run (one command invocation) and returns its id. Prefer ``withRun(command:_:)``,
    /// which cannot leave a run marked `running`.
    public func beginRun(command: String) throws -> String {
        try beginRun(command: command, id: Self.newRunID())
    }

    func beginRun(command: String, id: String) throws -> String {
        try dbQueue.write { db in
            try db.execute(sql: "INSERT INTO run (id, command, started_at) VALUES (?, ?, ?)",
                           arguments: [id, command, Timestamp.string(Date())])
        }
        return id
    }

    public func finishRun(_ id: String, status: RunStatus) throws {
        try dbQueue.write { db in
            try db.execute(sql: "UPDATE run SET finished_at = ?, status = ? WHERE id = ?",
                           arguments: [Timestamp.string(Date()), status.stored, id])
            // Closes the run's last generation of the published model, whatever wrote it, and
            // derives what a deferring run (a build) held back.
            try PublishedModel.resumeRefreshes(db)
        }
    }

    /// Runs `body` as one run of `command`: the run is finished `ok` when `body` returns and
    /// `failed` (with the error) when it throws, so no command leaves its run marked `running`.
    ///
    /// A run holds the store's writer lock from start to finish: a second run on the same store
    /// (another `build`, an `impute`) says whose run it waits for and starts when that one ends,
    /// so it sees the steps the first completed instead of doing them again.
    ///
    /// ```swift
    /// let report = try await store.withRun(command: "impute") { runID in
    ///     try await tier.run(requests, runID: runID)
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - command: what the user ran (`build`, `titles import`, ...), kept in `run.command`.
    ///   - defersModelRefresh: derive the published model once, when the run finishes, instead of
    ///     in each of its transactions (``PublishedModel/deferRefreshes(_:)``): for a run of
    ///     several steps that touch the same profiles (a build). Between its commits, the model
    ///     lags; its marks are kept, so a run killed midway leaves them for the next write.
    ///   - body: the work, given the run's id for the provenance of what it writes.
    /// - Returns: what `body` returned.
    public func withRun<T>(command: String, defersModelRefresh: Bool = false,
                           _ body: (String) async throws -> T) async throws -> T {
        let runID = try beginLockedRun(command: command, defersModelRefresh: defersModelRefresh)
        defer { writerLock.release() }
        do {
            let result = try await body(runID)
            try finishRun(runID, status: .ok)
            return result
        } catch {
            try? finishRun(runID, status: .failed(String(describing: error)))
            throw error
        }
    }

    /// ``withRun(command:_:)`` for synchronous work.
    public func withRun<T>(command: String, defersModelRefresh: Bool = false, _ body: (String) throws -> T) throws -> T {
        let runID = try beginLockedRun(command: command, defersModelRefresh: defersModelRefresh)
        defer { writerLock.release() }
        do {
            let result = try body(runID)
            try finishRun(runID, status: .ok)
            return result
        } catch {
            try? finishRun(runID, status: .failed(String(describing: error)))
            throw error
        }
    }

    /// The store's writer lock (see ``StoreLock``).
    var writerLock: StoreLock { StoreLock.forStore(at: path) }

    /// Takes the writer lock (waiting, with a notice, while another process's run holds it),
    /// marks the runs of dead processes `interrupted` and begins the run. The caller releases
    /// the lock when the run ends.
    private func beginLockedRun(command: String, defersModelRefresh: Bool) throws -> String {
        // The id is chosen first so that a run waiting for this one can name it.
        let runID = Self.newRunID()
        try writerLock.acquire(holder: "\(command) run \(runID)") { holder in
            Self.notice("waiting for \(holder) on this store (\(path)) to finish...")
        }
        do {
            try markInterruptedRuns(lockHeld: true)
            let id = try beginRun(command: command, id: runID)
            if defersModelRefresh { try dbQueue.write { try PublishedModel.deferRefreshes($0) } }
            return id
        } catch {
            writerLock.release()
            throw error
        }
    }

    /// Marks `interrupted` the runs still `running` whose process is gone (killed, or the machine
    /// stopped): every run holds the writer lock while it lives, so when this process can take
    /// the lock, no `running` run of another process is alive. Done at each write open.
    func markInterruptedRuns(lockHeld: Bool = false) throws {
        let stale = try dbQueue.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM run WHERE status = 'running'") ?? 0
        }
        guard stale > 0 else { return }
        if !lockHeld {
            guard writerLock.tryAcquire(holder: "a jobforge process checking for interrupted runs") else { return }
        }
        defer { if !lockHeld { writerLock.release() } }
        // A run of this very process (an outer run that opened the store again) is alive.
        guard writerLock.heldByOneHolder else { return }
        try dbQueue.write { db in
            try db.execute(sql: "UPDATE run SET status = ?, finished_at = ? WHERE status = 'running'",
                           arguments: [RunStatus.interrupted.stored, Timestamp.string(Date())])
            // A build killed between its steps left the published model's marks: derived now.
            try PublishedModel.refresh(db)
        }
    }

    /// Run ids sort by time: `20261123T185012Z-3f9a1c`.
    static func newRunID() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: Date()) + "-" + UUID().uuidString.prefix(6).lowercased()
    }

    /// The record of a completed step, if one with this name completed.
    public func completedStep(_ name: String) throws -> StepRecord? {
        try dbQueue.read { db in try Self.completedStep(name, in: db) }
    }

    static func completedStep(_ name: String, in db: Database) throws -> StepRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM step WHERE name = ?", arguments: [name]).map { row in
            StepRecord(name: row["name"], fingerprint: row["fingerprint"],
                       completedAt: try Timestamp.decode(row, "completed_at", table: "step"), runID: row["run_id"],
                       summary: row["summary"])
        }
    }

    /// Runs `body` and records the step as completed, all in one transaction: a process killed
    /// during the step leaves the store as it was before it. Sources compose their own writes
    /// into the step through `writer.db`.
    ///
    /// ```swift
    /// try store.commitStep("onet", fingerprint: inputs, runID: runID) { writer in
    ///     try ONetArchive.replaceCrosswalk(pairs, in: writer.db)        // the source's own table
    ///     let summary = try writer.storeONetOffers(offers)               // the engine's layer
    ///     return "\(summary.filled) cells filled"                        // kept as the step's summary
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - name: the step's name; a later `completedStep(name)` finds it.
    ///   - fingerprint: what the step read, so that the next build can skip it when unchanged.
    ///   - runID: the run the step belongs to.
    ///   - body: the step's writes; returns the summary to keep.
    public func commitStep(_ name: String, fingerprint: String, runID: String,
                           _ body: (StepWriter) throws -> String) throws {
        try commitStep(name, fingerprint: { _ in fingerprint }, runID: runID, body)
    }

    /// ``commitStep(_:fingerprint:runID:_:)`` for a step whose fingerprint includes what it wrote
    /// (the titles as they are after the step): `fingerprint` is read after `body`, in the same
    /// transaction.
    public func commitStep(_ name: String, fingerprint: (Database) throws -> String, runID: String,
                           _ body: (StepWriter) throws -> String) throws {
        try dbQueue.write { db in
            let summary = try body(StepWriter(db: db, runID: runID))
            try PublishedModel.refresh(db)
            let fingerprint = try fingerprint(db)
            try db.execute(sql: """
                INSERT INTO step (name, fingerprint, completed_at, run_id, summary) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET fingerprint = excluded.fingerprint,
                    completed_at = excluded.completed_at, run_id = excluded.run_id, summary = excluded.summary
                """, arguments: [name, fingerprint, Timestamp.string(Date()), runID, summary])
        }
    }
}

/// How a run ended, as `run.status` keeps it: `ok`, `failed: <why>`, or `interrupted` (its
/// process died before it could say).
public enum RunStatus: Sendable, Equatable {
    case ok
    case failed(String)
    case interrupted

    var stored: String {
        switch self {
        case .ok: "ok"
        case .interrupted: "interrupted"
        case .failed(let why): why.isEmpty ? "failed" : "failed: \(why)"
        }
    }
}

/// A completed step of a build.
public struct StepRecord: Sendable, Codable {
    public var name: String
    public var fingerprint: String
    public var completedAt: Date
    public var runID: String
    public var summary: String?
}
