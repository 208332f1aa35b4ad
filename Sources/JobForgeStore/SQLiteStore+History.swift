import Foundation
import GRDB

// MARK: What the numbers come from: runs, releases, completed steps

/// One command invocation that wrote the store (`build`, `impute`, ...), as `run` keeps it.
public struct RunRecord: Sendable, Codable, Equatable {
    public var id: String
    public var command: String
    /// ISO 8601 UTC, as stored (`2026-03-05T14:02:11.042Z`).
    public var startedAt: String
    public var finishedAt: String?
    /// `ok`, `running`, `interrupted` or `failed: <why>`.
    public var status: String
}

/// A source release loaded into the store (`OaSIS 2023 v1.0`), with the run that loaded it.
public struct LoadedRelease: Sendable, Codable, Equatable {
    public var source: String
    public var name: String
    public var loadedAt: String
    public var runID: String
}

extension SQLiteStore {
    /// The newest runs first, at most `limit`.
    ///
    /// ```swift
    /// for run in try store.runs(limit: 20) { print(run.id, run.command, run.status) }
    /// ```
    public func runs(limit: Int = 50) throws -> [RunRecord] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM run ORDER BY started_at DESC, id DESC LIMIT ?", arguments: [limit]).map {
                RunRecord(id: $0["id"], command: $0["command"], startedAt: $0["started_at"],
                          finishedAt: $0["finished_at"], status: $0["status"])
            }
        }
    }

    /// Every release the engine recorded (NOC, OaSIS), oldest first.
    public func releases() throws -> [LoadedRelease] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT source, name, loaded_at, run_id FROM release ORDER BY loaded_at, id").map {
                LoadedRelease(source: $0["source"], name: $0["name"], loadedAt: $0["loaded_at"], runID: $0["run_id"])
            }
        }
    }

    /// Every completed build step with its summary (the O*NET step names its release), in build order of completion.
    public func completedSteps() throws -> [StepRecord] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM step ORDER BY completed_at, name").map { row in
                StepRecord(name: row["name"], fingerprint: row["fingerprint"],
                           completedAt: try Timestamp.decode(row, "completed_at", table: "step"), runID: row["run_id"],
                           summary: row["summary"])
            }
        }
    }
}
