import Foundation
import GRDB
import GRDBSQLite
import JobForgeCore
import JobForgeStore

/// The O*NET source's tables. Add migrations here, named "v1-onet", "v2-...", never edit shipped ones.
///
/// The raw O*NET data (crosswalk, occupations, ratings) as the last release or fetch left it;
/// the tier's values go to the engine's O*NET layer through the build, never from here.
public enum ONetSchema: StoreSchema {
    public static func registerMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v1-onet") { db in
            try db.execute(sql: """
                CREATE TABLE onet_release (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    origin TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    location TEXT NOT NULL,
                    loaded_at TEXT NOT NULL,
                    ratings INTEGER NOT NULL,
                    UNIQUE(origin, fingerprint)
                );
                CREATE TABLE onet_occupation (
                    code TEXT PRIMARY KEY,
                    title TEXT NOT NULL,
                    description TEXT NOT NULL
                );
                CREATE TABLE onet_crosswalk (
                    unit_group TEXT NOT NULL,
                    soc TEXT NOT NULL,
                    noc_title TEXT NOT NULL,
                    crosswalk_onet_title TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    PRIMARY KEY (unit_group, soc)
                );
                CREATE INDEX onet_crosswalk_soc ON onet_crosswalk(soc);
                CREATE TABLE onet_rating (
                    soc TEXT NOT NULL,
                    rating_table TEXT NOT NULL,
                    element_id TEXT NOT NULL,
                    element_name TEXT NOT NULL,
                    scale_id TEXT NOT NULL,
                    category INTEGER NOT NULL DEFAULT 0,
                    value REAL,
                    n INTEGER,
                    standard_error REAL,
                    lower_ci REAL,
                    upper_ci REAL,
                    recommend_suppress INTEGER,
                    not_relevant INTEGER,
                    date TEXT,
                    domain_source TEXT,
                    release TEXT NOT NULL,
                    origin TEXT NOT NULL,
                    PRIMARY KEY (soc, element_id, scale_id, category)
                ) WITHOUT ROWID;
                -- "No data of this kind for this O*NET-SOC code" (a 422, or not rated in the release).
                CREATE TABLE onet_no_data (
                    soc TEXT NOT NULL,
                    rating_table TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    recorded_at TEXT NOT NULL,
                    PRIMARY KEY (soc, rating_table)
                );
                -- Web Services responses, so that a second run within the expiry makes no request.
                CREATE TABLE onet_response_cache (
                    request_key TEXT PRIMARY KEY,
                    status INTEGER NOT NULL,
                    body BLOB NOT NULL,
                    fetched_at TEXT NOT NULL,
                    expires_at TEXT NOT NULL
                );
                """)
        }
        ONetArchive.registerEvaluationMigration(&migrator)
    }
}

/// A cached Web Services response.
public struct ONetCachedResponse: Sendable, Equatable {
    public var status: Int
    public var body: Data
    public var fetchedAt: Date
    public var expiresAt: Date

    public init(status: Int, body: Data, fetchedAt: Date, expiresAt: Date) {
        self.status = status
        self.body = body
        self.fetchedAt = fetchedAt
        self.expiresAt = expiresAt
    }
}

/// The O*NET source's repository over a store: crosswalk, occupations, ratings, releases,
/// "no data" records and the Web Services response cache.
///
/// The writes a build step composes have a static core that takes the caller's `Database`:
///
/// ```swift
/// try store.commitStep("onet", fingerprint: inputs, runID: runID) { writer in
///     try ONetArchive.replaceCrosswalk(pairs, in: writer.db)
///     try ONetArchive.importRelease(release, occupations: occupations, ratings: ratings, tables: tables, in: writer.db)
///     return "..."
/// }
/// ```
public struct ONetArchive: Sendable {
    public let store: SQLiteStore
    public init(_ store: SQLiteStore) { self.store = store }
    var dbQueue: DatabaseQueue { store.dbQueue }
}

extension ONetArchive {
    // MARK: Crosswalk and occupations

    /// Replaces the crosswalk with these pairs (one transaction).
    public func replaceCrosswalk(_ pairs: [CrosswalkPair]) throws {
        try dbQueue.write { db in try Self.replaceCrosswalk(pairs, in: db) }
    }

    /// ``replaceCrosswalk(_:)`` in the caller's transaction.
    public static func replaceCrosswalk(_ pairs: [CrosswalkPair], in db: Database) throws {
        try db.execute(sql: "DELETE FROM onet_crosswalk")
        let statement = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO onet_crosswalk (unit_group, soc, noc_title, crosswalk_onet_title, seq) VALUES (?, ?, ?, ?, ?)
            """)
        for (index, pair) in pairs.enumerated() {
            try statement.execute(arguments: [pair.unitGroup, pair.soc, pair.nocTitle, pair.crosswalkONetTitle, index])
        }
    }

    public func crosswalk() throws -> [CrosswalkPair] {
        try dbQueue.read { db in try Self.crosswalk(in: db) }
    }

    public static func crosswalk(in db: Database) throws -> [CrosswalkPair] {
        return try Row.fetchAll(db, sql: "SELECT * FROM onet_crosswalk ORDER BY seq").map {
            CrosswalkPair(unitGroup: $0["unit_group"], soc: $0["soc"], nocTitle: $0["noc_title"],
                          crosswalkONetTitle: $0["crosswalk_onet_title"])
        }
    }

    /// Every NOC unit group the store knows (level 5 of the NOC structure), for coverage reports.
    public func nocUnitGroupCodes() throws -> [String] {
        try dbQueue.read { db in try Self.nocUnitGroupCodes(in: db) }
    }

    public static func nocUnitGroupCodes(in db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT code FROM noc_class WHERE level = 5 ORDER BY code")
    }

    public func occupations() throws -> [ONetOccupation] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM onet_occupation ORDER BY code").map {
                ONetOccupation(code: $0["code"], title: $0["title"], description: $0["description"])
            }
        }
    }

    // MARK: Releases and ratings

    /// Loads a database release in one transaction: occupations upserted, the ratings of every
    /// table present replace that table's earlier ratings (a newer release replaces values; codes
    /// a release no longer rates lose theirs), and the release is recorded. Loading the same
    /// release twice changes nothing. Returns false when this release was already loaded.
    @discardableResult
    public func importRelease(_ release: ONetReleaseInfo, occupations: [ONetOccupation], ratings: [ONetRating],
                              tables: [ONetRatingTable]) throws -> Bool {
        try dbQueue.write { db in try Self.importRelease(release, occupations: occupations, ratings: ratings, tables: tables, in: db) }
    }

    /// ``importRelease(_:occupations:ratings:tables:)`` in the caller's transaction.
    @discardableResult
    public static func importRelease(_ release: ONetReleaseInfo, occupations: [ONetOccupation], ratings: [ONetRating],
                                     tables: [ONetRatingTable], in db: Database) throws -> Bool {
        if try Bool.fetchOne(db, sql: "SELECT 1 FROM onet_release WHERE origin = ? AND fingerprint = ?",
                             arguments: [release.origin.rawValue, release.fingerprint]) == true {
            return false
        }
        let occupation = try db.cachedStatement(sql: """
            INSERT INTO onet_occupation (code, title, description) VALUES (?, ?, ?)
            ON CONFLICT(code) DO UPDATE SET title = excluded.title, description = excluded.description
            """)
        for item in occupations { try occupation.execute(arguments: [item.code, item.title, item.description]) }
        // One scan of each table for all the rating tables replaced, not one per rating table.
        if !tables.isEmpty {
            let names = StatementArguments(tables.map(\.rawValue))
            let placeholders = Array(repeating: "?", count: tables.count).joined(separator: ", ")
            try db.execute(sql: "DELETE FROM onet_rating WHERE rating_table IN (\(placeholders))", arguments: names)
            try db.execute(sql: "DELETE FROM onet_no_data WHERE rating_table IN (\(placeholders))", arguments: names)
        }
        try insertRatings(db, ratings, release: release.name, origin: release.origin.rawValue)
        try db.execute(sql: """
            INSERT INTO onet_release (name, origin, fingerprint, location, loaded_at, ratings) VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [release.name, release.origin.rawValue, release.fingerprint, release.location,
                             Timestamp.string(release.loadedAt), release.ratings])
        return true
    }

    /// Stores ratings fetched from Web Services for some codes: each (code, table) fetched
    /// replaces what the store had for it; "no data" answers are recorded.
    public func storeFetchedRatings(_ ratings: [ONetRating], fetched: [(soc: String, table: ONetRatingTable)],
                                        noData: [ONetNoDataRecord], release: ONetReleaseInfo) throws {
        try dbQueue.write { db in
            let clear = try db.cachedStatement(sql: "DELETE FROM onet_rating WHERE soc = ? AND rating_table = ?")
            for item in fetched { try clear.execute(arguments: [item.soc, item.table.rawValue]) }
            try Self.insertRatings(db, ratings, release: release.name, origin: release.origin.rawValue)
            let gap = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO onet_no_data (soc, rating_table, reason, recorded_at) VALUES (?, ?, ?, ?)
                """)
            for record in noData {
                try gap.execute(arguments: [record.soc, record.table.rawValue, record.reason, Timestamp.string(record.recordedAt)])
            }
            try db.execute(sql: """
                INSERT INTO onet_release (name, origin, fingerprint, location, loaded_at, ratings) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(origin, fingerprint) DO UPDATE SET loaded_at = excluded.loaded_at, ratings = excluded.ratings
                """, arguments: [release.name, release.origin.rawValue, release.fingerprint, release.location,
                                 Timestamp.string(release.loadedAt), release.ratings])
        }
    }

    /// ~120,000 rows for a release, so:
    /// - in primary-key order (`primaryKeyOrder`);
    /// - bound straight to SQLite, no `StatementArguments` per row;
    /// - 256 rows per statement: SQLite opens the table, starts and ends a statement once for them
    ///   rather than once per row (the rows of one statement go in in order, as with one per row);
    /// - texts bound from buffers that SQLite reads in place (SQLITE_STATIC), not copied into blocks
    ///   it allocates and frees (SQLITE_TRANSIENT: a third of the time); texts and integers not bound
    ///   again when the value is the one bound before (code, table, date, source, release, flags).
    static func insertRatings(_ db: Database, _ ratings: [ONetRating], release: String, origin: String) throws {
        // 256 rows (4,352 parameters) a statement, fewer if this SQLite allows fewer parameters.
        let rowsPerStatement = max(2, min(256, Int(sqlite3_limit(db.sqliteConnection, SQLITE_LIMIT_VARIABLE_NUMBER, -1)) / 17))
        func insert(rows: Int) throws -> StickyStatement {
            let values = repeatElement("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: rows).joined(separator: ", ")
            var statement = StickyStatement(try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO onet_rating (soc, rating_table, element_id, element_name, scale_id, category, value, n,
                    standard_error, lower_ci, upper_ci, recommend_suppress, not_relevant, date, domain_source, release, origin)
                VALUES \(values)
                """), parameters: rows * 17)
            // The same for every row: bound once.
            for row in 0..<Int32(rows) {
                statement.bind(row * 17 + 16, release)
                statement.bind(row * 17 + 17, origin)
            }
            return statement
        }
        var chunk = try insert(rows: rowsPerStatement)
        defer { chunk.release() }
        var single = try insert(rows: 1)
        defer { single.release() }

        let order = primaryKeyOrder(ratings) ?? Array(ratings.indices)
        /// Binds the rows at `positions` of `order` and runs the statement.
        func run(_ statement: inout StickyStatement, _ positions: Range<Int>) throws {
            func flag(_ value: Bool?) -> Int64? { value.map { $0 ? 1 : 0 } }
            for (offset, position) in positions.enumerated() {
                let r = ratings[order[position]]
                let p = Int32(offset * 17)
                statement.bind(p + 1, r.soc)
                statement.bind(p + 2, r.table)
                statement.bind(p + 3, r.elementID)
                statement.bind(p + 4, r.elementName)
                statement.bind(p + 5, r.scaleID)
                statement.bind(p + 6, Int64(r.category))
                statement.raw.bind(p + 7, r.value)
                statement.bind(p + 8, r.n.map(Int64.init))
                statement.raw.bind(p + 9, r.standardError)
                statement.raw.bind(p + 10, r.lowerCI)
                statement.raw.bind(p + 11, r.upperCI)
                statement.bind(p + 12, flag(r.recommendSuppress))
                statement.bind(p + 13, flag(r.notRelevant))
                statement.bind(p + 14, r.date)
                statement.bind(p + 15, r.domainSource)
            }
            try statement.step(db)
        }

        var start = 0
        while start < order.count {
            if order.count - start >= rowsPerStatement {
                try run(&chunk, start..<start + rowsPerStatement)
                start += rowsPerStatement
            } else {
                try run(&single, start..<start + 1)
                start += 1
            }
        }
    }

    /// The order to insert ratings in: the table's primary key (soc, element_id, scale_id,
    /// category, texts compared bytewise as SQLite does), so that each row goes in at the end of
    /// the B-tree, next to the row before (a sixth faster than the files' order, sort included).
    /// Stable: of two rows with one key, the later one still replaces the earlier. Nil (keep the
    /// given order, which changes only the speed) when a text does not fit the packed keys: over
    /// 16 bytes or holding a NUL byte.
    static func primaryKeyOrder(_ ratings: [ONetRating]) -> [Int]? {
        /// The texts as big-endian words, zero-padded: comparing words is comparing bytes, a
        /// prefix first (no text holds a zero byte).
        struct Key {
            var soc: (UInt64, UInt64), element: (UInt64, UInt64), scale: (UInt64, UInt64), category: Int, index: Int

            static func precedes(_ a: Key, _ b: Key) -> Bool {
                if a.soc != b.soc { return a.soc < b.soc }
                if a.element != b.element { return a.element < b.element }
                if a.scale != b.scale { return a.scale < b.scale }
                if a.category != b.category { return a.category < b.category }
                return a.index < b.index
            }
        }
        func words(_ text: String) -> (UInt64, UInt64)? {
            var text = text
            return text.withUTF8 { bytes in
                guard bytes.count <= 16, !bytes.contains(0) else { return nil }
                var words: (UInt64, UInt64) = (0, 0)
                if !bytes.isEmpty { withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: UnsafeRawBufferPointer(bytes)) } }
                return (UInt64(bigEndian: words.0), UInt64(bigEndian: words.1))
            }
        }
        var keys: [Key] = []
        keys.reserveCapacity(ratings.count)
        for index in ratings.indices {
            // Field by field: copying whole ratings would retain all their strings.
            guard let soc = words(ratings[index].soc), let element = words(ratings[index].elementID),
                  let scale = words(ratings[index].scaleID) else { return nil }
            keys.append(Key(soc: soc, element: element, scale: scale, category: ratings[index].category, index: index))
        }
        keys.sort(by: Key.precedes)
        return keys.map(\.index)
    }

    /// Every stored rating (optionally of some codes only), ordered by code, table, element,
    /// scale and category.
    ///
    /// 120,000 rows for a release, so:
    /// - read with SQLite's C API by column position, not `Row["name"]` lookups and `DatabaseValue`
    ///   conversions; the texts made once per distinct value;
    /// - each column fetched once with `sqlite3_column_value` and read with `sqlite3_value_*`, which,
    ///   unlike the `sqlite3_column_*` functions, do not lock the connection's mutex on every call
    ///   (SQLite calls this use "not threadsafe": GRDB's queue gives the connection to one thread at
    ///   a time);
    /// - in primary-key order (code, element, scale, category), which needs no sorter in SQLite;
    ///   each code's rows are put in table order here, cheaper than SQLite sorting the records.
    public func ratings(soc: [String]? = nil) throws -> [ONetRating] {
        try dbQueue.read { db in try Self.ratings(soc: soc, in: db) }
    }

    public static func ratings(soc: [String]? = nil, in db: Database) throws -> [ONetRating] {
        var filter = ""
        if let soc { filter = " WHERE soc IN (\(Array(repeating: "?", count: soc.count).joined(separator: ",")))" }
        let statement = try db.makeStatement(sql: """
            SELECT soc, rating_table, element_id, element_name, scale_id, category, value, n, standard_error, lower_ci,
                upper_ci, recommend_suppress, not_relevant, date, domain_source
            FROM onet_rating\(filter) ORDER BY soc, element_id, scale_id, category
            """)
        let handle = statement.sqliteStatement
        defer { sqlite3_reset(handle) }
        if let soc { try statement.setArguments(StatementArguments(soc)) }
        var result: [ONetRating] = []
        if soc == nil { result.reserveCapacity(try Int.fetchOne(db, sql: "SELECT count(*) FROM onet_rating") ?? 0) }

        var socs = TextColumnStrings(), elementIDs = TextColumnStrings(), elementNames = TextColumnStrings()
        var scales = TextColumnStrings(), dates = TextColumnStrings(), sources = TextColumnStrings()
        /// The `rating_table` names met, what they stand for, and the index of the last one.
        var tableNames: [String] = []
        var tableCases: [ONetRatingTable] = []
        var lastTable = -1
        /// The current code's rows, with the index of their table name.
        var group: [(table: Int, rating: ONetRating)] = []

        /// Appends the current code's rows by table name (bytewise, as SQLite orders text), each
        /// table's rows in the order read.
        func flushGroup() {
            let tables = Set(group.map(\.table))
            if tables.count == 1 {
                for item in group { result.append(item.rating) }
            } else {
                for table in tables.sorted(by: { tableNames[$0].utf8.lexicographicallyPrecedes(tableNames[$1].utf8) }) {
                    for item in group where item.table == table { result.append(item.rating) }
                }
            }
            group.removeAll(keepingCapacity: true)
        }

        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                                    sql: statement.sql)
            }
            let soc = socs.string(handle, 0) ?? ""
            if socs.changed { flushGroup() }
            let tableName = TextColumnStrings.text(handle, 1) ?? UnsafeBufferPointer(start: nil, count: 0)
            if lastTable < 0 || !tableNames[lastTable].utf8.elementsEqual(tableName) {
                if let known = tableNames.firstIndex(where: { $0.utf8.elementsEqual(tableName) }) {
                    lastTable = known
                } else {
                    let name = String(decoding: tableName, as: UTF8.self)
                    guard let table = ONetRatingTable(rawValue: name) else {
                        throw StoreError.corrupt(table: "onet_rating", column: "rating_table", value: name)
                    }
                    tableNames.append(name)
                    tableCases.append(table)
                    lastTable = tableNames.count - 1
                }
            }
            group.append((lastTable, ONetRating(
                table: tableCases[lastTable], soc: soc,
                elementID: elementIDs.string(handle, 2) ?? "", elementName: elementNames.string(handle, 3) ?? "",
                scaleID: scales.string(handle, 4) ?? "", category: Int(sqlite3_column_int64(handle, 5)),
                value: Self.double(handle, 6), n: Self.int(handle, 7), standardError: Self.double(handle, 8),
                lowerCI: Self.double(handle, 9), upperCI: Self.double(handle, 10),
                recommendSuppress: Self.bool(handle, 11), notRelevant: Self.bool(handle, 12),
                date: dates.string(handle, 13), domainSource: sources.string(handle, 14))))
        }
        flushGroup()
        return result
    }

    private static func double(_ handle: OpaquePointer, _ column: Int32) -> Double? {
        let value = sqlite3_column_value(handle, column)
        return sqlite3_value_type(value) == SQLITE_NULL ? nil : sqlite3_value_double(value)
    }

    private static func int(_ handle: OpaquePointer, _ column: Int32) -> Int? {
        let value = sqlite3_column_value(handle, column)
        return sqlite3_value_type(value) == SQLITE_NULL ? nil : Int(sqlite3_value_int64(value))
    }

    /// As GRDB reads a Bool: any non-zero number is true.
    private static func bool(_ handle: OpaquePointer, _ column: Int32) -> Bool? {
        let value = sqlite3_column_value(handle, column)
        switch sqlite3_value_type(value) {
        case SQLITE_NULL: return nil
        case SQLITE_FLOAT: return sqlite3_value_double(value) != 0
        default: return sqlite3_value_int64(value) != 0
        }
    }

    public func releases() throws -> [ONetReleaseInfo] {
        try dbQueue.read { db in try Self.releases(in: db) }
    }

    public static func releases(in db: Database) throws -> [ONetReleaseInfo] {
        return try Row.fetchAll(db, sql: "SELECT * FROM onet_release ORDER BY id").map {
            ONetReleaseInfo(name: $0["name"], origin: try $0.decode("origin", table: "onet_release"), fingerprint: $0["fingerprint"], location: $0["location"],
                            loadedAt: try Timestamp.decode($0, "loaded_at", table: "onet_release"), ratings: $0["ratings"])
        }
    }

    /// The name of the release the ratings came from last (`O*NET 29.3`), if any.
    public func latestReleaseName() throws -> String? {
        try dbQueue.read { db in try Self.latestReleaseName(in: db) }
    }

    public static func latestReleaseName(in db: Database) throws -> String? {
        try String.fetchOne(db, sql: "SELECT name FROM onet_release ORDER BY id DESC LIMIT 1")
    }

    // MARK: No data

    public func recordNoData(_ records: [ONetNoDataRecord]) throws {
        try dbQueue.write { db in
            let statement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO onet_no_data (soc, rating_table, reason, recorded_at) VALUES (?, ?, ?, ?)")
            for record in records {
                try statement.execute(arguments: [record.soc, record.table.rawValue, record.reason, Timestamp.string(record.recordedAt)])
            }
        }
    }

    public func noData() throws -> [ONetNoDataRecord] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM onet_no_data ORDER BY soc, rating_table").map {
                ONetNoDataRecord(soc: $0["soc"], table: try $0.decode("rating_table", table: "onet_no_data"),
                                 reason: $0["reason"], recordedAt: try Timestamp.decode($0, "recorded_at", table: "onet_no_data"))
            }
        }
    }

    // MARK: Response cache

    /// A cached response that has not expired at `now`.
    public func cachedResponse(_ key: String, now: Date = Date()) throws -> ONetCachedResponse? {
        try dbQueue.read { db in
            // ISO 8601 UTC timestamps of one format compare as text: no date parsing per lookup.
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM onet_response_cache WHERE request_key = ? AND expires_at > ?",
                                             arguments: [key, Timestamp.string(now)]) else { return nil }
            return ONetCachedResponse(status: row["status"], body: row["body"], fetchedAt: Timestamp.date(row["fetched_at"]) ?? now,
                                      expiresAt: Timestamp.date(row["expires_at"]) ?? now)
        }
    }

    /// Stores responses in one transaction.
    public func storeResponses(_ batch: [(String, ONetCachedResponse)]) throws {
        try dbQueue.write { db in for (key, response) in batch { try Self.storeResponse(key, response, in: db) } }
    }

    public func storeResponse(_ key: String, _ response: ONetCachedResponse) throws {
        try dbQueue.write { db in try Self.storeResponse(key, response, in: db) }
    }

    static func storeResponse(_ key: String, _ response: ONetCachedResponse, in db: Database) throws {
        try db.execute(sql: """
            INSERT OR REPLACE INTO onet_response_cache (request_key, status, body, fetched_at, expires_at) VALUES (?, ?, ?, ?, ?)
            """, arguments: [key, response.status, response.body, Timestamp.string(response.fetchedAt),
                             Timestamp.string(response.expiresAt)])
    }
}

/// A statement run for many rows whose text parameters SQLite reads in place from buffers of its
/// own here (SQLITE_STATIC: no copy into a block SQLite allocates and frees per row). A text or
/// integer parameter keeps its binding while the rows repeat its value: each bind call locks the
/// connection. `release()` unbinds and frees.
private struct StickyStatement {
    /// For the doubles, bound every time (they seldom repeat).
    let raw: RawStatement
    private var handle: OpaquePointer { raw.statement.sqliteStatement }
    private enum Binding: Equatable { case none, null, integer(Int64), text(count: Int), table(ONetRatingTable) }
    /// Per parameter (1-based): what is bound, and the buffer SQLite reads a text from.
    private var bindings: [Binding]
    private var buffers: [UnsafeMutableRawBufferPointer]

    init(_ statement: Statement, parameters: Int) {
        raw = RawStatement(statement)
        bindings = Array(repeating: .none, count: parameters + 1)
        buffers = Array(repeating: UnsafeMutableRawBufferPointer(start: nil, count: 0), count: parameters + 1)
    }

    mutating func bind(_ parameter: Int32, _ value: Int64?) {
        let slot = Int(parameter)
        let binding = value.map(Binding.integer) ?? .null
        guard bindings[slot] != binding else { return }
        bindings[slot] = binding
        raw.bind(parameter, value)
    }

    /// A table's name: compared as the case, not as text.
    mutating func bind(_ parameter: Int32, _ table: ONetRatingTable) {
        guard bindings[Int(parameter)] != .table(table) else { return }
        var name = table.rawValue
        name.withUTF8 { bindText(parameter, $0) }
        bindings[Int(parameter)] = .table(table)
    }

    mutating func bind(_ parameter: Int32, _ value: String?) {
        let slot = Int(parameter)
        guard var value else {
            guard bindings[slot] != .null else { return }
            bindings[slot] = .null
            sqlite3_bind_null(handle, parameter)
            return
        }
        value.withUTF8 { bytes in
            if case .text(let count) = bindings[slot], count == bytes.count,
               count == 0 || memcmp(buffers[slot].baseAddress!, bytes.baseAddress!, count) == 0 {
                return
            }
            bindText(parameter, bytes)
        }
    }

    private mutating func bindText(_ parameter: Int32, _ bytes: UnsafeBufferPointer<UInt8>) {
        let slot = Int(parameter)
        // (Allocated even for an empty text: SQLite takes a null pointer for NULL.)
        if buffers[slot].baseAddress == nil || bytes.count > buffers[slot].count {
            buffers[slot].deallocate()
            buffers[slot] = .allocate(byteCount: max(bytes.count, 32), alignment: 1)
        }
        buffers[slot].copyMemory(from: UnsafeRawBufferPointer(bytes))
        bindings[slot] = .text(count: bytes.count)
        let text = UnsafeRawPointer(buffers[slot].baseAddress!).assumingMemoryBound(to: CChar.self)
        // Up to a NUL byte, as GRDB binds a String (a C string).
        let length = memchr(text, 0, bytes.count).map { text.distance(to: $0.assumingMemoryBound(to: CChar.self)) } ?? bytes.count
        // A nil destructor is SQLITE_STATIC: the buffer stays as it is until this parameter is bound again.
        sqlite3_bind_text(handle, parameter, text, Int32(length), nil)
    }

    /// As `RawStatement.step`, but the bindings stay for the next rows.
    func step(_ db: Database) throws {
        let code = sqlite3_step(handle)
        sqlite3_reset(handle)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                                sql: raw.statement.sql)
        }
    }

    /// Unbinds every parameter (the statement is cached: it must not keep pointers to freed
    /// buffers) and frees the buffers.
    func release() {
        sqlite3_clear_bindings(handle)
        for buffer in buffers { buffer.deallocate() }
    }
}

/// Makes the Strings of a text column of a query, once per distinct value: the 120,000 rows of
/// `onet_rating` hold a few thousand distinct element names and sources, which the rows then
/// share, and consecutive rows often repeat the last value, which is checked first (no String made).
private struct TextColumnStrings {
    private var known: Set<String> = []
    private var last: String?
    /// Whether the last `string` call found other bytes than the call before it.
    private(set) var changed = true

    /// The column's text in the current row; nil for NULL.
    mutating func string(_ handle: OpaquePointer, _ column: Int32) -> String? {
        guard let bytes = Self.text(handle, column) else {
            changed = last != nil
            last = nil
            return nil
        }
        if let last, Self.same(last, bytes) {
            changed = false
            return last
        }
        var text = String(decoding: bytes, as: UTF8.self)
        // Up to 15 bytes a String is stored inline, with nothing to share: no lookup. ASCII only:
        // Swift compares Strings by canonical equivalence, and other bytes must stay other bytes.
        if bytes.count > 15 && bytes.allSatisfy({ $0 < 0x80 }) { text = known.insert(text).memberAfterInsert }
        changed = true
        last = text
        return text
    }

    /// The column's bytes in the current row, valid until the next step; nil for NULL (an empty
    /// text has a pointer). Up to a NUL byte, as GRDB reads a String (a C string).
    static func text(_ handle: OpaquePointer, _ column: Int32) -> UnsafeBufferPointer<UInt8>? {
        let value = sqlite3_column_value(handle, column)
        guard let pointer = sqlite3_value_text(value) else { return nil }
        let count = Int(sqlite3_value_bytes(value))
        let length = memchr(pointer, 0, count).map { UnsafeRawPointer(pointer).distance(to: $0) } ?? count
        return UnsafeBufferPointer(start: pointer, count: length)
    }

    private static func same(_ text: String, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard text.utf8.count == bytes.count else { return false }
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return true }
        return text.utf8.withContiguousStorageIfAvailable { memcmp($0.baseAddress!, base, bytes.count) == 0 } ?? false
    }
}

/// The store's `onet_response_cache`, written in batches (one transaction per batch, not per
/// response) so that caching does not slow a fetch down.
public actor StoreONetResponseCache: ONetResponseCache {
    private let archive: ONetArchive
    private var pending: [(String, ONetCachedResponse)] = []
    private let batchSize: Int

    public init(store: SQLiteStore, batchSize: Int = 200) {
        self.archive = ONetArchive(store)
        self.batchSize = batchSize
    }

    public func response(for key: String, now: Date) throws -> ONetCachedResponse? {
        if let buffered = pending.last(where: { $0.0 == key })?.1, buffered.expiresAt > now { return buffered }
        return try archive.cachedResponse(key, now: now)
    }

    public func store(_ response: ONetCachedResponse, for key: String) throws {
        pending.append((key, response))
        if pending.count >= batchSize { try flush() }
    }

    public func flush() throws {
        guard !pending.isEmpty else { return }
        let batch = pending
        pending.removeAll()
        try archive.storeResponses(batch)
    }
}
