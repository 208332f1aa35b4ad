import Foundation
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
        let tables = ONetRatingTable.allCases.filter { !database.missingTables.contains($0) }
        let release = ONetReleaseInfo(name: database.releaseName, origin: "database", fingerprint: database.fingerprint,
                                      location: url.path, loadedAt: Date(), ratings: database.ratings.count)
        let loaded = try store.importONetRelease(release, occupations: database.occupations, ratings: database.ratings, tables: tables)
        var pairs: Int?
        if let crosswalk {
            let parsed = try Crosswalk.load(crosswalk)
            try store.replaceONetCrosswalk(parsed.pairs)
            pairs = parsed.pairs.count
        }
        let summary = Summary(release: database.releaseName, location: url.path, occupations: database.occupations.count,
                              ratings: database.ratings.count, tables: tables.map(\.rawValue),
                              missingTables: database.missingTables.map(\.rawValue), alreadyLoaded: !loaded, crosswalkPairs: pairs)
        return (summary, database)
    }

    /// The tier over what the store holds (crosswalk, ratings from the database and Web Services).
    /// `ratings`: what the store holds, when the caller has it in hand already.
    public static func tier(from store: SQLiteStore, mapping: URL, guide: URL, ratings: [ONetRating]? = nil) throws -> ONetTier {
        let crosswalk = Crosswalk(pairs: try store.onetCrosswalk())
        let ratings = try ratings ?? store.onetRatings()
        return ONetTier(crosswalk: crosswalk, ratings: ONetRatingIndex(ratings), mapping: try ONetDescriptorMapping.load(mapping),
                        oasisScales: try OaSISLevelScales.load(guide: guide),
                        release: try store.latestONetReleaseName() ?? "O*NET")
    }

    /// Stores a Web Services fetch: ratings, "no data" answers, and a release record.
    public static func storeFetch(_ report: ONetFetchReport, baseURL: URL, apiVersion: String?, into store: SQLiteStore) throws {
        let release = ONetReleaseInfo(name: "O*NET Web Services v\(apiVersion ?? "2")", origin: "web_services",
                                      fingerprint: SHA256.hex(baseURL.absoluteString), location: baseURL.absoluteString,
                                      loadedAt: Date(), ratings: report.ratings.count)
        try store.storeFetchedONetRatings(report.ratings, fetched: report.fetched, noData: report.noData, release: release)
    }
}
