import Foundation
import JobForgeCore
@testable import JobForgeONet
import JobForgeStore
import JobForgeTestSupport
import Testing

@Suite struct ONetStorageTests {
    func writeRelease(_ folder: URL, value: String) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "O*NET-SOC Code\tTitle\tDescription\n11-1011.00\tChief Executives\tDetermine policies.\n15-1252.00\tSoftware Developers\tDevelop software.\n"
            .write(to: folder.appendingPathComponent("Occupation Data.txt"), atomically: true, encoding: .utf8)
        try "O*NET-SOC Code\tElement ID\tElement Name\tScale ID\tData Value\tN\tStandard Error\tLower CI Bound\tUpper CI Bound\tRecommend Suppress\tNot Relevant\tDate\tDomain Source\n11-1011.00\t2.A.1.a\tReading Comprehension\tLV\t\(value)\t8\tn/a\tn/a\tn/a\tY\tN\t08/2025\tAnalyst\n"
            .write(to: folder.appendingPathComponent("Skills.txt"), atomically: true, encoding: .utf8)
    }

    @Test func importIsIdempotentAndANewerReleaseReplacesRatings() throws {
        let temp = try TemporaryDirectory(prefix: "onet-store")
        defer { temp.remove() }
        let store = try SQLiteStore(path: temp.path("s.sqlite").path, schemas: [ONetSchema.self])
        let archive = ONetArchive(store)
        try writeRelease(temp.path("db_29_3_text"), value: "4.00")
        let first = try ONetImport.importDatabase(temp.path("db_29_3_text"), into: store, crosswalk: Shipped.crosswalkURL)
        #expect(!first.alreadyLoaded && first.release == "O*NET 29.3" && first.crosswalkPairs == 1_389)
        let again = try ONetImport.importDatabase(temp.path("db_29_3_text"), into: store)
        #expect(again.alreadyLoaded)
        #expect(try archive.releases().count == 1)
        let stored = try archive.ratings()
        #expect(stored.count == 1 && stored[0].value == 4.0 && stored[0].recommendSuppress == true && stored[0].standardError == nil)

        try writeRelease(temp.path("db_30_0_text"), value: "5.25")
        let newer = try ONetImport.importDatabase(temp.path("db_30_0_text"), into: store)
        #expect(!newer.alreadyLoaded && newer.release == "O*NET 30.0")
        #expect(try archive.ratings().map(\.value) == [5.25])
        #expect(try archive.latestReleaseName() == "O*NET 30.0")
        #expect(try archive.crosswalk().count == 1_389)

        // The tier over the store uses the newest values and names the release.
        let tier = try ONetImport.tier(from: store, mapping: Shipped.mappingURL)
        let result = tier.candidates(for: [ONetSubject(subject: .unitGroup("00012"), unitGroup: "00012")])
        let level = try #require(result.candidates.first { $0.key.descriptor == "F01b01" })
        #expect(level.release == "O*NET 30.0" && level.metadata["native_value"] == "5.25")
    }

    @Test func fetchedRatingsAndNoDataAreStored() throws {
        let temp = try TemporaryDirectory(prefix: "onet-store")
        defer { temp.remove() }
        let store = try SQLiteStore(path: temp.path("s.sqlite").path, schemas: [ONetSchema.self])
        let archive = ONetArchive(store)
        var report = ONetFetchReport()
        report.ratings = Shipped.database.ratings.filter { $0.soc == "11-1011.00" && $0.table == .skills }
        report.fetched = [("11-1011.00", .skills), ("15-1252.00", .skills)]
        report.noData = [ONetNoDataRecord(soc: "15-1252.00", table: .skills, reason: "422: no data", recordedAt: Date())]
        try ONetImport.storeFetch(report, baseURL: URL(string: "http://127.0.0.1:1/")!, apiVersion: "2.0", into: store)
        #expect(try archive.ratings(soc: ["11-1011.00"]).count == 70)
        #expect(try archive.noData().map(\.soc) == ["15-1252.00"])
        #expect(try archive.releases().map(\.name) == ["O*NET Web Services v2.0"])
    }
}
