import Foundation
import GRDB
import JobForgeCore

extension SQLiteStore {
    /// Tables of the ONet source. Add migrations here, named "v1-onet", "v2-...", never edit shipped ones.
    ///
    /// The raw O*NET data (crosswalk, occupations, ratings) as the last release or fetch left it;
    /// the tier's candidates go to the core tables through the cascade, never from here.
    static func registerONetMigrations(_ migrator: inout DatabaseMigrator) {
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

extension SQLiteStore {
    // MARK: Crosswalk and occupations

    /// Replaces the crosswalk with these pairs (one transaction).
    public func replaceONetCrosswalk(_ pairs: [CrosswalkPair]) throws {
        try dbQueue.write { db in
            try db.execute(sql: "DELETE FROM onet_crosswalk")
            let statement = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO onet_crosswalk (unit_group, soc, noc_title, crosswalk_onet_title, seq) VALUES (?, ?, ?, ?, ?)
                """)
            for (index, pair) in pairs.enumerated() {
                try statement.execute(arguments: [pair.unitGroup, pair.soc, pair.nocTitle, pair.crosswalkONetTitle, index])
            }
        }
    }

    public func onetCrosswalk() throws -> [CrosswalkPair] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM onet_crosswalk ORDER BY seq").map {
                CrosswalkPair(unitGroup: $0["unit_group"], soc: $0["soc"], nocTitle: $0["noc_title"],
                              crosswalkONetTitle: $0["crosswalk_onet_title"])
            }
        }
    }

    /// Every NOC unit group the store knows (level 5 of the NOC structure), for coverage reports.
    public func nocUnitGroupCodes() throws -> [String] {
        try dbQueue.read { db in try String.fetchAll(db, sql: "SELECT code FROM noc_class WHERE level = 5 ORDER BY code") }
    }

    public func onetOccupations() throws -> [ONetOccupation] {
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
    public func importONetRelease(_ release: ONetReleaseInfo, occupations: [ONetOccupation], ratings: [ONetRating],
                                  tables: [ONetRatingTable]) throws -> Bool {
        try dbQueue.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM onet_release WHERE origin = ? AND fingerprint = ?",
                                 arguments: [release.origin, release.fingerprint]) == true {
                return false
            }
            let occupation = try db.cachedStatement(sql: """
                INSERT INTO onet_occupation (code, title, description) VALUES (?, ?, ?)
                ON CONFLICT(code) DO UPDATE SET title = excluded.title, description = excluded.description
                """)
            for item in occupations { try occupation.execute(arguments: [item.code, item.title, item.description]) }
            for table in tables {
                try db.execute(sql: "DELETE FROM onet_rating WHERE rating_table = ?", arguments: [table.rawValue])
                try db.execute(sql: "DELETE FROM onet_no_data WHERE rating_table = ?", arguments: [table.rawValue])
            }
            try Self.insertRatings(db, ratings, release: release.name, origin: release.origin)
            try db.execute(sql: """
                INSERT INTO onet_release (name, origin, fingerprint, location, loaded_at, ratings) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [release.name, release.origin, release.fingerprint, release.location,
                                 Timestamp.string(release.loadedAt), release.ratings])
            return true
        }
    }

    /// Stores ratings fetched from Web Services for some codes: each (code, table) fetched
    /// replaces what the store had for it; "no data" answers are recorded.
    public func storeFetchedONetRatings(_ ratings: [ONetRating], fetched: [(soc: String, table: ONetRatingTable)],
                                        noData: [ONetNoDataRecord], release: ONetReleaseInfo) throws {
        try dbQueue.write { db in
            let clear = try db.cachedStatement(sql: "DELETE FROM onet_rating WHERE soc = ? AND rating_table = ?")
            for item in fetched { try clear.execute(arguments: [item.soc, item.table.rawValue]) }
            try Self.insertRatings(db, ratings, release: release.name, origin: release.origin)
            let gap = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO onet_no_data (soc, rating_table, reason, recorded_at) VALUES (?, ?, ?, ?)
                """)
            for record in noData {
                try gap.execute(arguments: [record.soc, record.table.rawValue, record.reason, Timestamp.string(record.recordedAt)])
            }
            try db.execute(sql: """
                INSERT INTO onet_release (name, origin, fingerprint, location, loaded_at, ratings) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(origin, fingerprint) DO UPDATE SET loaded_at = excluded.loaded_at, ratings = excluded.ratings
                """, arguments: [release.name, release.origin, release.fingerprint, release.location,
                                 Timestamp.string(release.loadedAt), release.ratings])
        }
    }

    static func insertRatings(_ db: Database, _ ratings: [ONetRating], release: String, origin: String) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO onet_rating (soc, rating_table, element_id, element_name, scale_id, category, value, n,
                standard_error, lower_ci, upper_ci, recommend_suppress, not_relevant, date, domain_source, release, origin)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for r in ratings {
            try statement.execute(arguments: [
                r.soc, r.table.rawValue, r.elementID, r.elementName, r.scaleID, r.category, r.value, r.n,
                r.standardError, r.lowerCI, r.upperCI, r.recommendSuppress, r.notRelevant, r.date, r.domainSource,
                release, origin,
            ])
        }
    }

    /// Every stored rating (optionally of some codes only).
    public func onetRatings(soc: [String]? = nil) throws -> [ONetRating] {
        try dbQueue.read { db in
            var sql = "SELECT * FROM onet_rating"
            var arguments = StatementArguments()
            if let soc {
                sql += " WHERE soc IN (\(Array(repeating: "?", count: soc.count).joined(separator: ",")))"
                arguments = StatementArguments(soc)
            }
            var result: [ONetRating] = []
            let rows = try Row.fetchCursor(db, sql: sql + " ORDER BY soc, rating_table, element_id, scale_id, category", arguments: arguments)
            while let row = try rows.next() {
                result.append(ONetRating(
                    table: ONetRatingTable(rawValue: row["rating_table"]) ?? .skills, soc: row["soc"],
                    elementID: row["element_id"], elementName: row["element_name"], scaleID: row["scale_id"],
                    category: row["category"], value: row["value"], n: row["n"], standardError: row["standard_error"],
                    lowerCI: row["lower_ci"], upperCI: row["upper_ci"], recommendSuppress: row["recommend_suppress"],
                    notRelevant: row["not_relevant"], date: row["date"], domainSource: row["domain_source"]))
            }
            return result
        }
    }

    public func onetReleases() throws -> [ONetReleaseInfo] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM onet_release ORDER BY id").map {
                ONetReleaseInfo(name: $0["name"], origin: $0["origin"], fingerprint: $0["fingerprint"], location: $0["location"],
                                loadedAt: Timestamp.date($0["loaded_at"]) ?? Date(), ratings: $0["ratings"])
            }
        }
    }

    /// The name of the release the ratings came from last (`O*NET 29.3`), if any.
    public func latestONetReleaseName() throws -> String? {
        try dbQueue.read { db in try String.fetchOne(db, sql: "SELECT name FROM onet_release ORDER BY id DESC LIMIT 1") }
    }

    // MARK: No data

    public func recordONetNoData(_ records: [ONetNoDataRecord]) throws {
        try dbQueue.write { db in
            let statement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO onet_no_data (soc, rating_table, reason, recorded_at) VALUES (?, ?, ?, ?)")
            for record in records {
                try statement.execute(arguments: [record.soc, record.table.rawValue, record.reason, Timestamp.string(record.recordedAt)])
            }
        }
    }

    public func onetNoData() throws -> [ONetNoDataRecord] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM onet_no_data ORDER BY soc, rating_table").map {
                ONetNoDataRecord(soc: $0["soc"], table: ONetRatingTable(rawValue: $0["rating_table"]) ?? .skills,
                                 reason: $0["reason"], recordedAt: Timestamp.date($0["recorded_at"]) ?? Date())
            }
        }
    }

    // MARK: Response cache

    /// A cached response that has not expired at `now`.
    public func onetCachedResponse(_ key: String, now: Date = Date()) throws -> ONetCachedResponse? {
        try dbQueue.read { db in
            // ISO 8601 UTC timestamps of one format compare as text: no date parsing per lookup.
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM onet_response_cache WHERE request_key = ? AND expires_at > ?",
                                             arguments: [key, Timestamp.string(now)]) else { return nil }
            return ONetCachedResponse(status: row["status"], body: row["body"], fetchedAt: Timestamp.date(row["fetched_at"]) ?? now,
                                      expiresAt: Timestamp.date(row["expires_at"]) ?? now)
        }
    }

    public func storeONetResponse(_ key: String, _ response: ONetCachedResponse) throws {
        try dbQueue.write { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO onet_response_cache (request_key, status, body, fetched_at, expires_at) VALUES (?, ?, ?, ?, ?)
                """, arguments: [key, response.status, response.body, Timestamp.string(response.fetchedAt),
                                 Timestamp.string(response.expiresAt)])
        }
    }
}
