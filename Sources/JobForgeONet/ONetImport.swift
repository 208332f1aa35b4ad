import Foundation
import GRDB
import JobForgeCore
import JobForgeStore

/// Glue between O*NET's files / Web Services and the store, for the commands and the build.
public enum ONetImport {
    /// What `jobforge onet import` did.
    public struct Summary: Sendable, Codable {
        public var release: String
        public var location: String
        public var occupations: Int
        public var ratings: Int
        public var tables: [String]
        public var missingTables: [String]
        public var alreadyLoaded: Bool
        public var crosswalkPairs: Int?
        /// What the release lacks (`ONetCoverage.warning`), when it lacks something.
        public var coverageWarning: String?
    }

    /// Loads a release (folder or zip) into the store; optionally (re)loads the crosswalk.
    /// The same release twice changes nothing; a newer one replaces the ratings of its tables.
    public static func importDatabase(_ url: URL, into store: SQLiteStore, crosswalk: URL? = nil) throws -> Summary {
        try load(url, into: store, crosswalk: crosswalk).summary
    }

    /// `importDatabase`, also returning what was read (the build tiers it without reading the
    /// ratings back from the store).
    public static func load(_ url: URL, into store: SQLiteStore, crosswalk: URL? = nil) throws -> (summary: Summary, database: ONetDatabase) {
        let database = try ONetDatabaseReader.read(url)
        let parsedCrosswalk = try crosswalk.map(Crosswalk.load)
        var summary = try store.dbQueue.write { db in try save(database, from: url, crosswalk: parsedCrosswalk, in: db) }
        summary.coverageWarning = ONetCoverage(database.ratings).warning
        return (summary, database)
    }

    /// Stores a release read from `url` (and the crosswalk, when given) in the caller's
    /// transaction. The same release twice changes nothing; a newer one replaces the ratings of
    /// its tables.
    public static func save(_ database: ONetDatabase, from url: URL, crosswalk: Crosswalk? = nil, in db: Database) throws -> Summary {
        let tables = ONetRatingTable.allCases.filter { !database.missingTables.contains($0) }
        let release = ONetReleaseInfo(name: database.releaseName, origin: .database, fingerprint: database.fingerprint,
                                      location: url.path, loadedAt: Date(), ratings: database.ratings.count)
        let loaded = try ONetArchive.importRelease(release, occupations: database.occupations, ratings: database.ratings,
                                                   tables: tables, in: db)
        if let crosswalk { try ONetArchive.replaceCrosswalk(crosswalk.pairs, in: db) }
        return Summary(release: database.releaseName, location: url.path, occupations: database.occupations.count,
                       ratings: database.ratings.count, tables: tables.map(\.rawValue),
                       missingTables: database.missingTables.map(\.rawValue), alreadyLoaded: !loaded,
                       crosswalkPairs: crosswalk?.pairs.count)
    }

    /// The tier over what the store holds (crosswalk, ratings from the database and Web Services).
    /// `ratings`: what the store holds, when the caller has it in hand already.
    /// The OaSIS level scales are the store's (the authoritative step's, from the guide).
    public static func tier(from store: SQLiteStore, mapping: URL, ratings: [ONetRating]? = nil) throws -> ONetTier {
        try store.dbQueue.read { db in try tier(in: db, mapping: mapping, ratings: ratings) }
    }

    /// ``tier(from:mapping:ratings:)`` in the caller's transaction (the build's O*NET step).
    public static func tier(in db: Database, mapping: URL, ratings: [ONetRating]? = nil) throws -> ONetTier {
        let crosswalk = Crosswalk(pairs: try ONetArchive.crosswalk(in: db))
        let ratings = try ratings ?? ONetArchive.ratings(in: db)
        return ONetTier(crosswalk: crosswalk, ratings: ONetRatingIndex(ratings), mapping: try ONetDescriptorMapping.load(mapping),
                        oasisScales: OaSISLevelScales(try SQLiteStore.descriptors(category: nil, in: db).flatMap(\.scales)),
                        release: try ONetArchive.latestReleaseName(in: db) ?? "O*NET")
    }

    /// Stores a Web Services fetch: ratings, "no data" answers, and a release record.
    public static func storeFetch(_ report: ONetFetchReport, baseURL: URL, apiVersion: String?, into store: SQLiteStore) throws {
        let release = ONetReleaseInfo(name: "O*NET Web Services v\(apiVersion ?? "2")", origin: .webServices,
                                      fingerprint: SHA256.hex(baseURL.absoluteString), location: baseURL.absoluteString,
                                      loadedAt: Date(), ratings: report.ratings.count)
        try ONetArchive(store).storeFetchedRatings(report.ratings, fetched: report.fetched, noData: report.noData, release: release)
    }
}
