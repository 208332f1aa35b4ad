import Foundation
import GRDB
import JobForgeCore

/// The working store: one SQLite file, nothing to install.
///
/// The store owns the cell engine's tables (subjects, provenance, candidates, the override log,
/// the two packed layers, runs, steps, releases, the reference tables and the `title_resolution`
/// contract). Each source module owns its own tables and registers their migrations through a
/// ``StoreSchema``; the composition root (the CLI, the build) passes the schemas it needs:
///
/// ```swift
/// let store = try SQLiteStore(path: "jobforge.sqlite", schemas: [TitlesSchema.self, ONetSchema.self])
/// let catalog = TitleCatalog(store)          // the Titles source's own repository
/// let cells = try store.winners(of: .unitGroup("21211"), filter: CellFilter())
/// ```
public final class SQLiteStore: Sendable {
    /// The GRDB queue. Serialized access; every write is a transaction.
    public let dbQueue: DatabaseQueue
    public let path: String
    /// What single-subject reads share while the store does not change; off unless ``shareReads(with:watcher:)``.
    let sharedReads = SharedCellReads()

    /// Opens the store at `path` and brings the engine's tables and those of `schemas` up to date.
    /// Schemas are registered after the engine's, in the order given.
    ///
    /// `mode` says what the caller may do to the file: `.create` makes a new store when there is
    /// none (only the commands that load data do); `.readWrite` and `.readOnly` need an existing
    /// one. Whatever the mode, a file that is not a JobForge store (another application's
    /// database, an empty file, not SQLite at all), or a store written by a newer JobForge, is
    /// refused with a ``StoreOpenError`` and left untouched. `.readOnly` opens the file read-only
    /// in SQLite itself (enforced even for root); a store of an earlier JobForge is upgraded
    /// first, which needs write access.
    public init(path: String, schemas: [any StoreSchema.Type] = [], mode: StoreOpenMode = .create) throws {
        self.path = path
        let migrator = Self.migrator(schemas)
        let known = migrator.migrations
        let state = try Self.inspect(path: path, mode: mode, knownMigrations: known)
        if mode == .readOnly, !state.pending.isEmpty {
            do {
                try Self.upgrade(path: path, migrator: migrator)
            } catch let error as DatabaseError where [.SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM].contains(error.resultCode) {
                throw StoreOpenError.upgradeNeedsWriteAccess(path: path, pending: state.pending,
                                                             reason: error.message ?? error.description)
            } catch StoreOpenError.lockFile(_, let reason) {
                throw StoreOpenError.upgradeNeedsWriteAccess(path: path, pending: state.pending, reason: reason)
            }
        }
        dbQueue = try Self.openQueue(path: path, readOnly: mode == .readOnly)
        if mode != .readOnly {
            try Self.migrate(dbQueue, path: path, migrator: migrator)
            try markInterruptedRuns()
        }
    }

    /// What `inspect` found: the known migrations this store has not run yet.
    struct FileState {
        var pending: [String]
    }

    /// Looks at the file before anything writes to it: is it there, is it a JobForge store, is it
    /// one this version knows? Read-only, so a refused file stays byte for byte as it was.
    static func inspect(path: String, mode: StoreOpenMode, knownMigrations: [String]) throws -> FileState {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
        guard let size else {
            if mode == .create { return FileState(pending: knownMigrations) }
            throw StoreOpenError.missing(path: path)
        }
        if size == 0 {
            // SQLite takes an empty file for an empty database: only a command that creates stores may.
            if mode == .create { return FileState(pending: knownMigrations) }
            throw StoreOpenError.empty(path: path)
        }
        let tables: [String]
        let applied: Set<String>
        func read() throws -> (tables: [String], applied: Set<String>) {
            let queue = try openQueue(path: path, readOnly: true)
            defer { try? queue.close() }
            return try queue.read { db in
                let tables = try String.fetchAll(db, sql: """
                    SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name
                    """)
                let applied = tables.contains("grdb_migrations")
                    ? try String.fetchSet(db, sql: "SELECT identifier FROM grdb_migrations") : []
                return (tables, applied)
            }
        }
        do {
            var attempt = 0
            var found: (tables: [String], applied: Set<String>)?
            while found == nil {
                do {
                    found = try read()
                } catch let error as DatabaseError where error.resultCode == .SQLITE_ERROR
                    && (error.message ?? "").hasPrefix("no such table") && attempt < 50 {
                    // A table listed and then missing: another process is creating this store and
                    // this reader met it half-made (seen once in 5 x 6 processes under load). Look again.
                    attempt += 1
                    usleep(100_000)
                }
            }
            (tables, applied) = found!
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw StoreOpenError.notSQLite(path: path)
        } catch let error as DatabaseError {
            throw StoreOpenError.cannotOpen(path: path, reason: error.message ?? error.description)
        }
        // A store that another process is creating has at most GRDB's (empty) migration table yet.
        if applied.isEmpty, tables.allSatisfy({ $0 == "grdb_migrations" }) {
            if mode == .create { return FileState(pending: knownMigrations) }
            throw StoreOpenError.empty(path: path)
        }
        // Every JobForge store, of any release, ran the engine's first migration.
        guard applied.contains("v1-core") else {
            throw StoreOpenError.notAStore(path: path, tables: tables)
        }
        let unknown = applied.subtracting(knownMigrations)
        guard unknown.isEmpty else {
            throw StoreOpenError.newer(path: path, unknownMigrations: unknown.sorted())
        }
        return FileState(pending: knownMigrations.filter { !applied.contains($0) })
    }

    /// A read-only queue opens the store as it is. A WAL store in a folder this process cannot
    /// write to has no `-shm` file and cannot get one, so SQLite refuses a shared reader there
    /// (SQLITE_READONLY_CANTINIT); the reader then opens the file as immutable (no locks, no
    /// WAL index): a writer would need that folder too, to make its `-wal` file.
    static func openQueue(path: String, readOnly: Bool) throws -> DatabaseQueue {
        guard readOnly else { return try configuredQueue(path: path, readOnly: false) }
        func shared() throws -> DatabaseQueue {
            let queue = try configuredQueue(path: path, readOnly: true)
            try queue.read { db in _ = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_master") }
            return queue
        }
        func cannotInit(_ error: DatabaseError) -> Bool {
            error.resultCode == .SQLITE_READONLY || error.resultCode == .SQLITE_CANTOPEN
        }
        do {
            return try shared()
        } catch let error as DatabaseError where cannotInit(error) {
            // In a folder this process can write to, the `-shm` file is missing only for the
            // moment another process takes a new store to WAL: wait for it. An immutable open
            // takes no locks, and would read that store half-made.
            let folder = (path as NSString).deletingLastPathComponent
            if access(folder.isEmpty ? "." : folder, W_OK) == 0 {
                for _ in 0..<30 {
                    usleep(100_000)
                    do { return try shared() } catch let again as DatabaseError where cannotInit(again) { continue }
                }
            }
            return try configuredQueue(path: immutableURI(path), readOnly: true)
        }
    }

    /// `file:<path>?immutable=1`, the path escaped as SQLite's URI filenames want.
    static func immutableURI(_ path: String) -> String {
        var escaped = ""
        for character in path.unicodeScalars {
            switch character {
            case "%": escaped += "%25"
            case "?": escaped += "%3f"
            case "#": escaped += "%23"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return "file:" + escaped + "?immutable=1"
    }

    private static func configuredQueue(path: String, readOnly: Bool) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        // SQLite's own read-only mode: it refuses every write, whoever runs the process.
        configuration.readonly = readOnly
        configuration.prepareDatabase { db in
            // A build writes a few hundred thousand rows in one transaction: keep its pages in
            // memory instead of spilling them to the file mid-transaction.
            try db.execute(sql: "PRAGMA cache_size = -131072; PRAGMA temp_store = MEMORY")
            // A reader takes the store as it is (WAL already, since the store was created).
            guard !readOnly else { return }
            // WAL: a commit is one sequential append instead of journal + database syncs, which
            // matters for the many small transactions of the network tiers; still atomic and durable
            // across a crash of the process (NORMAL syncs at checkpoints).
            // Another process creating the same store may hold a lock that makes SQLite answer
            // SQLITE_BUSY here at once, without its busy handler: wait and try again (up to 10 s).
            for attempt in 1... {
                do {
                    try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL")
                    break
                } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && attempt < 100 {
                    usleep(100_000)
                }
            }
            // A build's steps write megabytes each. At SQLite's default threshold (1,000 pages, 4 MB)
            // each such commit copied its pages back into the database and synced both files before
            // the next step could start; with room for a whole build, the WAL is checkpointed once
            // when the store closes, or by the first commit past 64 MB. WAL frames apply only whole.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 16384")
        }
        do {
            return try DatabaseQueue(path: path, configuration: configuration)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw StoreOpenError.notSQLite(path: path)
        }
    }

    /// Runs the migrations this store has not seen. GRDB reads the applied migrations, then runs
    /// each missing one in its own transaction: two processes opening a new store at once would
    /// both decide to run `v1-core`, and the second would fail ("table run already exists"). So
    /// migrating holds the store's writer lock, and the migrator reads what is applied only once
    /// it has it.
    static func migrate(_ queue: DatabaseQueue, path: String, migrator: DatabaseMigrator) throws {
        let complete = try queue.read { db in try migrator.hasCompletedMigrations(db) }
        if complete { return }
        try StoreLock.forStore(at: path).withLock(holder: "a jobforge process upgrading the store",
                                                  waiting: { notice("waiting for \($0) to finish with \(path)...") }) {
            try migrator.migrate(queue)
            // A store written before the published model gets its rows on first use.
            try queue.write { db in try PublishedModel.refresh(db) }
        }
    }

    /// Brings an earlier release's store up to date through a connection of its own, for a
    /// read-only open.
    static func upgrade(path: String, migrator: DatabaseMigrator) throws {
        let queue = try openQueue(path: path, readOnly: false)
        try migrate(queue, path: path, migrator: migrator)
        try queue.close()
    }

    /// Where the store says it waits for another process (standard error).
    static func notice(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// The engine's migrations, then each schema's. Never edit a shipped migration: add a new one.
    static func migrator(_ schemas: [any StoreSchema.Type]) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        EngineSchema.registerMigrations(&migrator)
        for schema in schemas { schema.registerMigrations(&migrator) }
        return migrator
    }
}

extension SQLiteStore {
    /// Whether a job title is resolved: the engine's `title_resolution` contract has a row for it.
    public func isResolvedTitle(_ id: String) throws -> Bool {
        try dbQueue.read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM title_resolution WHERE title_id = ?", arguments: [id]) ?? false
        }
    }
}

/// What an open may do to the store file.
public enum StoreOpenMode: Sendable, Equatable {
    /// Create the store if there is none (an empty file counts as none), or open and upgrade it.
    case create
    /// Open and upgrade an existing store; a missing file is an error.
    case readWrite
    /// Open an existing store read-only (SQLite refuses every write).
    case readOnly
}

/// Why a file could not be opened as a store. The file is left as it was.
public enum StoreOpenError: Error, Sendable, Equatable, CustomStringConvertible {
    case missing(path: String)
    case empty(path: String)
    case notSQLite(path: String)
    case notAStore(path: String, tables: [String])
    case newer(path: String, unknownMigrations: [String])
    case upgradeNeedsWriteAccess(path: String, pending: [String], reason: String)
    case lockFile(path: String, reason: String)
    case cannotOpen(path: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let path):
            "no store at \(path): run `jobforge build` first, or point --db / JOBFORGE_DB at one"
        case .empty(let path):
            "\(path) is an empty file, not a JobForge store: point --db / JOBFORGE_DB at a store, "
                + "or run `jobforge build --db \(path)` to make one there"
        case .notSQLite(let path):
            "\(path) is not an SQLite database, so not a JobForge store; it was left unchanged: check --db / JOBFORGE_DB"
        case .notAStore(let path, let tables):
            "\(path) is an SQLite database of another application (tables: \(tables.prefix(5).joined(separator: ", "))"
                + (tables.count > 5 ? ", ..." : "") + "), not a JobForge store; it was left unchanged: check --db / JOBFORGE_DB"
        case .newer(let path, let unknown):
            "\(path) was written by a newer JobForge than this one (\(JobForgeVersion.current)): it has migrations this "
                + "version does not know (\(unknown.joined(separator: ", "))); it was left unchanged: use that newer jobforge"
        case .upgradeNeedsWriteAccess(let path, let pending, let reason):
            "\(path) was written by an earlier JobForge and must be upgraded (\(pending.joined(separator: ", "))) before "
                + "this version reads it, which needs write access (\(reason)): copy it to a writable folder, or run "
                + "`jobforge build --db \(path)` where it can be written"
        case .lockFile(let path, let reason):
            "cannot use the store's lock file \(path): \(reason); the folder must be writable for commands that change the store"
        case .cannotOpen(let path, let reason):
            "cannot open the store at \(path): \(reason)"
        }
    }
}

/// A module's tables: it registers their migrations, the way a GRDB app owns its database.
///
/// Identifiers are history: a shipped migration is never edited or renamed, so that a store
/// written by an earlier release upgrades by running only what it has not seen.
///
/// ```swift
/// public enum TBSSchema: StoreSchema {
///     public static func registerMigrations(_ migrator: inout DatabaseMigrator) {
///         migrator.registerMigration("v1-tbs") { db in try db.execute(sql: "CREATE TABLE tbs_scrape (...)") }
///     }
/// }
/// ```
public protocol StoreSchema {
    static func registerMigrations(_ migrator: inout DatabaseMigrator)
}
