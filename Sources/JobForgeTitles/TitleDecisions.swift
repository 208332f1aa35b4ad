import Foundation
import GRDB
import JobForgeCore
import JobForgeStore

// A person's decisions about titles: pins (a title settled to a profile or a unit group) and
// removals. They are the Titles source's records, applied by every resolution (import, build,
// re-resolution), so that they survive re-imports and builds.

extension TitlesSchema {
    /// `title_pin` (the decisions in force), `retired_title` (removed titles, kept with their
    /// last row) and `title_decision` (every pin, unpin, removal and restore: append-only).
    static func registerDecisionMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v5-titles-decisions") { db in
            try db.execute(sql: """
                -- A title settled by a person: to a profile (profile_code), or to a unit group only
                -- (profile_code NULL: the resolver picks the profile within it).
                CREATE TABLE title_pin (
                    title_id TEXT PRIMARY KEY,
                    profile_code TEXT,
                    unit_group TEXT NOT NULL,
                    reason TEXT NOT NULL DEFAULT '',
                    pinned_by TEXT NOT NULL,
                    pinned_at TEXT NOT NULL
                );
                -- A title removed from the current set, with its last job_title row (JSON), so that
                -- `show` can say when and why and `titles restore` can bring it back.
                CREATE TABLE retired_title (
                    id TEXT PRIMARY KEY,
                    title TEXT NOT NULL,
                    record TEXT NOT NULL,
                    reason TEXT NOT NULL DEFAULT '',
                    retired_by TEXT NOT NULL,
                    retired_at TEXT NOT NULL
                );
                CREATE INDEX retired_title_title ON retired_title(title COLLATE NOCASE);
                -- Every decision, never rewritten: what was decided, by whom, when, why, and the
                -- resolution it replaced.
                CREATE TABLE title_decision (
                    id INTEGER PRIMARY KEY,
                    title_id TEXT NOT NULL,
                    action TEXT NOT NULL,
                    profile_code TEXT,
                    unit_group TEXT,
                    previous_profile TEXT,
                    previous_method TEXT,
                    reason TEXT NOT NULL DEFAULT '',
                    decided_by TEXT NOT NULL,
                    decided_at TEXT NOT NULL,
                    run_id TEXT
                );
                CREATE INDEX title_decision_title ON title_decision(title_id);
                CREATE TRIGGER title_decision_append_only_update BEFORE UPDATE ON title_decision
                BEGIN SELECT RAISE(ABORT, 'title_decision is append-only'); END;
                CREATE TRIGGER title_decision_append_only_delete BEFORE DELETE ON title_decision
                BEGIN SELECT RAISE(ABORT, 'title_decision is append-only'); END;
                """)
        }
    }
}

/// A title settled by a person: to an OaSIS profile, or to a NOC 2021 unit group.
public struct TitlePin: Sendable, Codable, Equatable {
    public var titleID: String
    /// The profile (`31301.01`); nil for a pin to a unit group only.
    public var profileCode: String?
    public var unitGroup: String
    public var reason: String
    public var pinnedBy: String
    public var pinnedAt: Date

    public init(titleID: String, profileCode: String?, unitGroup: String, reason: String, pinnedBy: String, pinnedAt: Date) {
        self.titleID = titleID
        self.profileCode = profileCode
        self.unitGroup = unitGroup
        self.reason = reason
        self.pinnedBy = pinnedBy
        self.pinnedAt = pinnedAt
    }

    /// "pinned by ana on 2026-12-07: reason": who, when and why, for notes and messages.
    public var attribution: String {
        "pinned by \(pinnedBy) on \(Timestamp.string(pinnedAt).prefix(10))" + (reason.isEmpty ? "" : ": \(reason)")
    }
}

/// A title removed from the current set.
public struct RetiredTitle: Sendable, Codable, Equatable {
    public var id: String
    public var title: String
    public var reason: String
    public var retiredBy: String
    public var retiredAt: Date
    /// The row as it was when it was removed.
    public var record: JobTitleRecord
}

/// One entry of the decision log (`title_decision`).
public struct TitleDecision: Sendable, Codable, Equatable {
    public enum Action: String, Sendable, Codable { case pin, unpin, remove, restore }
    public var titleID: String
    public var action: Action
    public var profileCode: String?
    public var unitGroup: String?
    public var previousProfile: String?
    public var previousMethod: String?
    public var reason: String
    public var decidedBy: String
    public var decidedAt: Date
}

/// A decision that cannot be taken; nothing was changed.
public enum TitleDecisionError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownTitle(String)
    case removedTitle(String, removedAt: Date)
    case unknownProfile(String)
    case notAUnitGroup(String)
    case notPinned(String)
    case notRemoved(String)

    public var description: String {
        switch self {
        case .unknownTitle(let id):
            "no job title \"\(id)\" in the store; `jobforge titles` lists the ids"
        case .removedTitle(let id, let at):
            "job title \(id) was removed on \(Timestamp.string(at).prefix(10)); `jobforge titles restore \(id)` brings it back"
        case .unknownProfile(let code):
            "\"\(code)\" is not an OaSIS profile in the store (a code like 31301.01); `jobforge resolve TITLE --noc UNIT_GROUP` lists a unit group's profiles"
        case .notAUnitGroup(let code):
            "\"\(code)\" is not a NOC 2021 unit group (five digits, such as 31301); a NOC 2016 code must be settled to its 2021 unit group"
        case .notPinned(let id):
            "job title \(id) is not pinned: nothing to undo"
        case .notRemoved(let id):
            "job title \(id) was not removed: nothing to restore"
        }
    }
}

/// Who decided, and when.
public struct DecisionAuthor: Sendable, Equatable {
    public var name: String
    public var at: Date

    public init(name: String, at: Date = Date()) {
        self.name = name
        self.at = Timestamp.rounded(at)
    }
}

extension TitleCatalog {
    /// Every pin in force, by title id.
    public static func pins(in db: Database) throws -> [String: TitlePin] {
        try pins(Row.fetchAll(db, sql: "SELECT * FROM title_pin"))
    }

    /// The pins of these titles only (one query, whatever their number).
    static func pins(ids: some Collection<String>, in db: Database) throws -> [String: TitlePin] {
        guard !ids.isEmpty else { return [:] }
        return try pins(Row.fetchAll(db, sql: "SELECT * FROM title_pin WHERE title_id IN (SELECT value FROM json_each(?))",
                                     arguments: [JSONText.array(Array(ids))]))
    }

    private static func pins(_ rows: [Row]) throws -> [String: TitlePin] {
        var pins: [String: TitlePin] = [:]
        for row in rows {
            let pin = TitlePin(titleID: row["title_id"], profileCode: row["profile_code"], unitGroup: row["unit_group"],
                               reason: row["reason"], pinnedBy: row["pinned_by"],
                               pinnedAt: try Timestamp.decode(row, "pinned_at", table: "title_pin"))
            pins[pin.titleID] = pin
        }
        return pins
    }

    public func pins() throws -> [String: TitlePin] {
        try dbQueue.read { db in try Self.pins(in: db) }
    }

    /// The ids of the removed titles, which imports leave removed.
    static func retiredIDs(in db: Database) throws -> Set<String> {
        Set(try String.fetchAll(db, sql: "SELECT id FROM retired_title"))
    }

    /// A removed title by id, or else by exact title (ignoring case).
    public func retiredTitle(matching text: String) throws -> RetiredTitle? {
        try dbQueue.read { db in
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            let row = try Row.fetchOne(db, sql: "SELECT * FROM retired_title WHERE id = ?", arguments: [trimmed])
                ?? Row.fetchOne(db, sql: "SELECT * FROM retired_title WHERE title = ? COLLATE NOCASE ORDER BY id LIMIT 1",
                                arguments: [trimmed])
            return try row.map(Self.retired)
        }
    }

    static func retired(_ row: Row) throws -> RetiredTitle {
        guard let record = try? JSONDecoder().decode(JobTitleRecord.self, from: Data((row["record"] as String).utf8)) else {
            throw StoreError.corrupt(table: "retired_title", column: "record", value: row["record"])
        }
        return RetiredTitle(id: row["id"], title: row["title"], reason: row["reason"], retiredBy: row["retired_by"],
                            retiredAt: try Timestamp.decode(row, "retired_at", table: "retired_title"), record: record)
    }

    /// A title's decisions, oldest first.
    public func decisions(titleID: String) throws -> [TitleDecision] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM title_decision WHERE title_id = ? ORDER BY id", arguments: [titleID]).map { row in
                TitleDecision(titleID: row["title_id"], action: try row.decode("action", table: "title_decision"),
                              profileCode: row["profile_code"], unitGroup: row["unit_group"],
                              previousProfile: row["previous_profile"], previousMethod: row["previous_method"],
                              reason: row["reason"], decidedBy: row["decided_by"],
                              decidedAt: try Timestamp.decode(row, "decided_at", table: "title_decision"))
            }
        }
    }

    static func logDecision(_ action: TitleDecision.Action, title: JobTitleRecord, profile: String?, unitGroup: String?,
                            reason: String, by author: DecisionAuthor, runID: String?, in db: Database) throws {
        try db.execute(sql: """
            INSERT INTO title_decision (title_id, action, profile_code, unit_group, previous_profile, previous_method,
                reason, decided_by, decided_at, run_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [title.id, action.rawValue, profile, unitGroup, title.profileCode, title.method.rawValue,
                             reason, author.name, Timestamp.string(author.at), runID])
    }

    /// Pins from a file's `profile` column (title id -> profile), in the caller's transaction:
    /// a pin that changes is written and logged, by "import of FILE".
    static func recordFilePins(_ filePins: [String: String], file: String, runID: String?, in db: Database) throws {
        guard !filePins.isEmpty else { return }
        let current = try pins(in: db)
        let author = DecisionAuthor(name: "import of \(file)")
        let reason = "profile column of \(file)"
        for (id, profile) in filePins.sorted(by: { $0.key < $1.key }) where current[id]?.profileCode != profile {
            let unitGroup = Codes.unitGroup(ofProfile: profile)
            try db.execute(sql: """
                INSERT OR REPLACE INTO title_pin (title_id, profile_code, unit_group, reason, pinned_by, pinned_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [id, profile, unitGroup, reason, author.name, Timestamp.string(author.at)])
            let previous = try Row.fetchOne(db, sql: "SELECT profile_code, method FROM job_title WHERE id = ?", arguments: [id])
            try db.execute(sql: """
                INSERT INTO title_decision (title_id, action, profile_code, unit_group, previous_profile, previous_method,
                    reason, decided_by, decided_at, run_id)
                VALUES (?, 'pin', ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [id, profile, unitGroup, previous?["profile_code"] as String?, previous?["method"] as String?,
                                 reason, author.name, Timestamp.string(author.at), runID])
        }
    }

    /// The stored title with this id; a removed or unknown id is an error.
    static func currentTitle(_ id: String, in db: Database) throws -> JobTitleRecord {
        if let row = try Row.fetchOne(db, sql: "SELECT * FROM job_title WHERE id = ?", arguments: [id]) {
            return try JobTitleRecord(row: row)
        }
        if let at = try String.fetchOne(db, sql: "SELECT retired_at FROM retired_title WHERE id = ?", arguments: [id]) {
            throw TitleDecisionError.removedTitle(id, removedAt: Timestamp.date(at) ?? Date(timeIntervalSince1970: 0))
        }
        throw TitleDecisionError.unknownTitle(id)
    }

    /// Moves titles out of the current set, in the caller's transaction: their rows go to
    /// `retired_title`, their resolutions leave the engine's `title_resolution`, and their
    /// context becomes "removed", so that answers stored for them stop counting (the caller's
    /// reconcile logs each one). Candidates and the override log stay.
    static func retire(_ records: [JobTitleRecord], reason: String, by author: DecisionAuthor, runID: String?,
                       in db: Database) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for record in records {
            try db.execute(sql: """
                INSERT OR REPLACE INTO retired_title (id, title, record, reason, retired_by, retired_at) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [record.id, record.title, String(decoding: try encoder.encode(record), as: UTF8.self), reason,
                                 author.name, Timestamp.string(author.at)])
            try db.execute(sql: "DELETE FROM job_title WHERE id = ?", arguments: [record.id])
            try logDecision(.remove, title: record, profile: nil, unitGroup: nil, reason: reason, by: author, runID: runID, in: db)
        }
        try SQLiteStore.recordTitleResolutions(records.map { ($0.id, nil) }, in: db)
        try SQLiteStore.recordSubjectContexts(records.map {
            (.title($0.id), JSONText.object(["removed_at": Timestamp.string(author.at)]))
        }, in: db)
    }
}

extension TitleImporter {
    /// Pins a title to a profile or (profile nil) a unit group, in the caller's transaction, and
    /// resolves it again. A profile or unit group the store does not know, or a title that is
    /// not there, throws `TitleDecisionError` before anything is written.
    ///
    /// ```swift
    /// try importer.pin("JA-0123", profile: "31301.01", unitGroup: nil, reason: "HR review",
    ///                  by: DecisionAuthor(name: "ana"), runID: runID, in: db)
    /// ```
    @discardableResult
    public func pin(_ id: String, profile rawProfile: String?, unitGroup rawUnitGroup: String?, reason: String,
                    by author: DecisionAuthor, runID: String?, in db: Database) throws -> JobTitleRecord {
        let record = try TitleCatalog.currentTitle(id, in: db)
        let profile: String?, unitGroup: String
        if let rawProfile {
            guard rawProfile.contains("."), let code = Codes.profile(rawProfile), resolver.profileLabel(code) != nil else {
                throw TitleDecisionError.unknownProfile(rawProfile)
            }
            profile = code
            unitGroup = Codes.unitGroup(ofProfile: code)
        } else {
            guard let raw = rawUnitGroup, raw.allSatisfy(\.isASCIIDigit), let code = Codes.unitGroup(raw),
                  resolver.isUnitGroup(code) else {
                throw TitleDecisionError.notAUnitGroup(rawUnitGroup ?? "")
            }
            profile = nil
            unitGroup = code
        }
        try db.execute(sql: """
            INSERT OR REPLACE INTO title_pin (title_id, profile_code, unit_group, reason, pinned_by, pinned_at)
            VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [id, profile, unitGroup, reason, author.name, Timestamp.string(author.at)])
        try TitleCatalog.logDecision(.pin, title: record, profile: profile, unitGroup: unitGroup, reason: reason, by: author,
                                     runID: runID, in: db)
        return try resolveStoredTitle(record, in: db)
    }

    /// Removes a title's pin, in the caller's transaction, and resolves it automatically again.
    @discardableResult
    public func unpin(_ id: String, reason: String, by author: DecisionAuthor, runID: String?,
                      in db: Database) throws -> JobTitleRecord {
        let record = try TitleCatalog.currentTitle(id, in: db)
        guard try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM title_pin WHERE title_id = ?)", arguments: [id]) == true else {
            throw TitleDecisionError.notPinned(id)
        }
        try db.execute(sql: "DELETE FROM title_pin WHERE title_id = ?", arguments: [id])
        try TitleCatalog.logDecision(.unpin, title: record, profile: nil, unitGroup: nil, reason: reason, by: author,
                                     runID: runID, in: db)
        return try resolveStoredTitle(record, in: db)
    }

    /// Removes titles from the current set, in the caller's transaction (see `TitleCatalog.retire`).
    /// Every id must be a current title, or nothing is removed.
    public func remove(_ ids: [String], reason: String, by author: DecisionAuthor, runID: String?, in db: Database) throws {
        var records: [JobTitleRecord] = []
        for id in ids where !records.contains(where: { $0.id == id }) {
            records.append(try TitleCatalog.currentTitle(id, in: db))
        }
        try TitleCatalog.retire(records, reason: reason, by: author, runID: runID, in: db)
    }

    /// Brings a removed title back into the current set with its last row (and its pin, if it
    /// had one), resolved again, in the caller's transaction.
    @discardableResult
    public func restore(_ id: String, reason: String, by author: DecisionAuthor, runID: String?,
                        in db: Database) throws -> JobTitleRecord {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM retired_title WHERE id = ?", arguments: [id]) else {
            if try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM job_title WHERE id = ?)", arguments: [id]) == true {
                throw TitleDecisionError.notRemoved(id)
            }
            throw TitleDecisionError.unknownTitle(id)
        }
        let retired = try TitleCatalog.retired(row)
        try db.execute(sql: "DELETE FROM retired_title WHERE id = ?", arguments: [id])
        try TitleCatalog.logDecision(.restore, title: retired.record, profile: nil, unitGroup: nil, reason: reason,
                                     by: author, runID: runID, in: db)
        return try resolveStoredTitle(retired.record, in: db)
    }

    /// Resolves one stored title again (with the pins in force) and writes it.
    private func resolveStoredTitle(_ record: JobTitleRecord, in db: Database) throws -> JobTitleRecord {
        let pins = try TitleCatalog.pins(in: db)
        let applied = try appliedSuggestions(in: db)
        let title = Self.jobTitle(record)
        var updated = Self.record(title, resolve(title, applied: applied, pins: pins))
        updated.importRunID = record.importRunID
        try TitleCatalog.upsert([updated], in: db)
        return updated
    }

    /// The resolution a pin gives: the pinned profile (method `manual`, confidence 1.00), or
    /// the resolver's choice within the pinned unit group (its unit group source `manual`).
    func resolve(_ title: JobTitle, pin: TitlePin) -> TitleResolution {
        guard let profile = pin.profileCode else {
            var resolution = resolver.resolve(title: title.title, unitGroup: pin.unitGroup, source: .manual)
            resolution.note = "unit group \(pin.unitGroup) \(pin.attribution); \(resolution.note)"
            return resolution
        }
        return TitleResolution(unitGroup: pin.unitGroup, unitGroupSource: .manual, profileCode: profile,
                               profileLabel: resolver.profileLabel(profile), method: .manual,
                               confidence: ResolutionMethod.manual.confidence, fuzzyScore: nil, candidates: [],
                               note: "\(pin.attribution)")
    }
}

extension TitleResolver {
    /// The label of a profile the resolver knows; nil for an unknown code.
    public func profileLabel(_ code: String) -> String? {
        profilesByUnitGroup[Codes.unitGroup(ofProfile: code)]?.first { $0.code == code }?.label
    }
}
