import Foundation
import GRDB
import JobForgeBuild
import JobForgeCore
import JobForgeOaSIS
import JobForgeStore
import JobForgeTestSupport
import Testing

/// One build of the real shipped data, shared by the tests that only read it.
actor BuiltStore {
    struct Built: Sendable {
        let store: SQLiteStore
        let report: BuildPipeline.Report
    }

    static let shared = BuiltStore()
    private var task: Task<Built, any Error>?

    /// Builds once; every caller awaits the same build.
    static func get() async throws -> Built {
        try await shared.built()
    }

    private func built() async throws -> Built {
        if let task { return try await task.value }
        let task = Task {
            let folder = try TemporaryDirectory(prefix: "jobforge-oasis")
            let store = try SQLiteStore(path: folder.path("built.sqlite").path, schemas: BuildPipeline.schemas)
            let report = try await BuildPipeline(options: .init(dataFolder: RepoPaths.data)).run(store: store)
            return Built(store: store, report: report)
        }
        self.task = task
        return try await task.value
    }
}

@Suite("OaSIS and NOC ingest on the real files")
struct OaSISIngestTests {
    static let files = OaSISFiles(dataFolder: RepoPaths.data)

    @Test("the counts the issue names: 516 unit groups, 900 profiles, 18,666 example titles, descriptors per file")
    func counts() throws {
        let dataset = try OaSISDataset.load(Self.files)
        #expect(dataset.nocClasses.filter { $0.level == 5 }.count == 516)
        #expect(dataset.nocClasses.count == 822)
        #expect(dataset.profiles.count == 900)
        let titles = dataset.texts.filter { $0.kind == .exampleTitle }
        #expect(titles.count == 18_666)
        #expect(Set(titles.compactMap(\.qualifier)) == ["Example", "Index", "Inclusion"])
        #expect(dataset.texts.filter { $0.kind == .mainDuty }.count == 4_991)
        #expect(dataset.texts.filter { $0.kind == .exclusion }.count == 3_074)
        #expect(Set(dataset.profiles.filter { $0.leadStatement != nil }.map(\.code)).count == 900)

        let columns = Dictionary(grouping: dataset.columnMatches, by: \.file).mapValues(\.count)
        #expect(columns["skills_oasis_2023_v1.0.csv"] == 33)
        #expect(columns["abilities_oasis_2023_v1.0.csv"] == 49)
        #expect(columns["personal-attributes_oasis_2023_v1.0.csv"] == 13)
        #expect(columns["knowledges_oasis_2023_v1.0.csv"] == 44)
        #expect(columns["workactivities_oasis_2023_v1.0.csv"] == 40)
        #expect(columns["workcontext_oasis_2023_v1.0.csv"] == 66)
        #expect(columns["interests_oasis_2023_v1.0.csv"] == 3)
        // Every profile is rated in every column but interests (ranks may be missing).
        let rated = dataset.profileRatings.filter { $0.key.dimension != .interestRank }.count
        #expect(rated == 900 * (33 + 49 + 13 + 44 + 40 + 66))
    }

    @Test("work context's repeated headers are the second dimension the guide names")
    func workContextSecondDimension() throws {
        let dataset = try OaSISDataset.load(Self.files)
        let matches = Dictionary(uniqueKeysWithValues: dataset.columnMatches.map { ($0.header, $0) })
        #expect(matches["Time Pressure"]?.descriptorCode == "J01c02" && matches["Time Pressure"]?.dimension == .frequency)
        #expect(matches["Time Pressure2"]?.descriptorCode == "J01c02" && matches["Time Pressure2"]?.dimension == .importance)
        #expect(matches["In an Enclosed Vehicle or Equipment3"]?.dimension == .duration)
        #expect(matches["Sound and Noise 9"]?.descriptorCode == "J02c04" && matches["Sound and Noise 9"]?.dimension == .duration)
        #expect(matches["Contact With Others10"]?.dimension == .duration)
        #expect(matches["Work With Work Group or Team11"]?.dimension == .importance)
        // Each second dimension has its scale from the guide.
        let scales = dataset.scales.filter { $0.descriptorCode == "J01c02" }.sorted { $0.position < $1.position }
        #expect(scales.map(\.dimension) == [.frequency, .importance])
        #expect(scales.allSatisfy { $0.minimum == 1 && $0.maximum == 5 && $0.notApplicable == 0 })
        // No header is left unidentified and none maps to two cells.
        #expect(Set(dataset.columnMatches.filter { $0.file.hasPrefix("workcontext") }.map { "\($0.descriptorCode)/\($0.dimension)" }).count == 66)
    }

    @Test("codes are normalized in every file: 31100.1 in knowledge is 31100.10, the unpadded codes of work activities join")
    func normalization() throws {
        let dataset = try OaSISDataset.load(Self.files)
        let knowledgeProfiles = Set(dataset.profileRatings.filter { $0.key.descriptor.hasPrefix("G") }.map(\.key.subject.code))
        #expect(knowledgeProfiles.contains("31100.10"))
        #expect(knowledgeProfiles.count == 900)
        let activityProfiles = Set(dataset.profileRatings.filter { $0.key.descriptor.hasPrefix("K") }.map(\.key.subject.code))
        #expect(activityProfiles == Set(dataset.profiles.map(\.code)))
    }

    @Test("every stored authoritative rating equals its source cell, for all 900 profiles and every rating column")
    func roundTrip() async throws {
        let built = try await BuiltStore.get()
        // Read back through the store's own read path (the packed layer decoded), as `show` and `export` do.
        var stored: [String: Double] = [:]
        var storedText: [String: String] = [:]
        try built.store.forEachWinner(filter: CellFilter(sources: [.authoritative]), subjectKinds: [.profile]) { cell in
            let key = "\(cell.subject.code)|\(cell.descriptorCode)|\(cell.dimension)"
            stored[key] = cell.value
            storedText[key] = cell.text
        }
        let columns = try await built.store.dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT file, header, descriptor_code, dimension FROM rating_column")
        }
        var mapping: [String: [String: (String, String)]] = [:]
        for row in columns { mapping[row["file"], default: [:]][row["header"]] = (row["descriptor_code"], row["dimension"]) }
        let holland: [Character: String] = ["R": "C01a01", "I": "C01a02", "A": "C01a03", "S": "C01a04", "E": "C01a05", "C": "C01a06"]

        var compared = 0
        for (_, url) in Self.files.ratingFiles {
            // Read the raw file independently of the product's reader, with the CSV parser only.
            let records = try CSVReader().records(try Data(contentsOf: url), file: url.lastPathComponent)
            let header = records[0].fields
            let fileMapping = try #require(mapping[url.lastPathComponent])
            for record in records.dropFirst() {
                var code = try #require(Codes.profile(record.fields[0]))
                if url.lastPathComponent.hasPrefix("interests"), code == "14404.01" { code = "14404.00" }
                for column in 2..<header.count {
                    let (descriptor, dimension) = try #require(fileMapping[header[column].trimmingSpacesAndNBSP])
                    let raw = record.fields[column].trimmingSpacesAndNBSP
                    if dimension == "interest_rank" {
                        if raw.isEmpty { continue }
                        let cell = "\(code)|\(holland[raw.uppercased().first!]!)|\(dimension)"
                        #expect(storedText[cell] == raw, "\(url.lastPathComponent):\(record.line) \(header[column])")
                        #expect(stored[cell] == Double(header[column].filter(\.isNumber)))
                    } else {
                        #expect(stored["\(code)|\(descriptor)|\(dimension)"] == Double(raw),
                                "\(url.lastPathComponent):\(record.line) \(header[column])")
                    }
                    compared += 1
                }
            }
        }
        #expect(compared == 900 * 245 + 2_520)
        // OaSIS 0 is stored as a value, never dropped as a gap.
        #expect(stored.values.filter { $0 == 0 }.count > 50_000)
    }

    @Test("unit groups: one profile copies it, several are averaged and name their profiles")
    func unitGroupRule() async throws {
        let store = try await BuiltStore.get().store
        let authoritative = CellFilter(categories: [.skills], sources: [.authoritative])
        let single = try store.winners(of: .unitGroup("21211"), filter: authoritative)
        let profile = try store.winners(of: .profile("21211.00"), filter: authoritative)
        #expect(single.count == 33)
        #expect(single.map(\.value) == profile.map(\.value))
        #expect(single.allSatisfy { $0.method == "single_profile" && $0.sourceIDs == ["21211.00"] })

        let several = try store.winners(of: .unitGroup("10020"), filter: authoritative)
        let members = try store.subjectHeader(.unitGroup("10020"))!.related
        #expect(members == ["10020.01", "10020.02", "10020.03", "10020.04"])
        for cell in several {
            #expect(cell.method == "profile_mean")
            #expect(cell.sourceIDs == members)
            var sum = 0.0
            for member in members {
                let key = CellKey(subject: .profile(member), descriptor: cell.descriptorCode, dimension: cell.dimension)
                sum += try #require(try store.candidates(for: key).first?.candidate.value)
            }
            #expect(abs(cell.value - sum / 4) < 0.001)
        }
    }

    @Test("the build summary's fast counter equals the counts taken through the read path, for every subject kind, source and category")
    func counterAgreesWithTheReadPath() async throws {
        let built = try await BuiltStore.get()
        let winners = try built.store.winners(of: .title("JA-0002"), filter: CellFilter())
        #expect(!winners.isEmpty, "the sample's JA-0002 is resolved and inherits cells")
        var counted: [String: Int] = [:]
        try built.store.forEachWinner(filter: CellFilter()) { cell in
            counted["\(cell.subject.kind.rawValue) \(cell.source.rawValue) \(cell.category.rawValue)", default: 0] += 1
        }
        var fast: [String: Int] = [:]
        for count in try built.store.cellCounts() { fast["\(count.subjectKind) \(count.source) \(count.category)"] = count.cells }
        #expect(fast == counted)
        for kind in Subject.Kind.allCases {
            #expect(counted.keys.contains { $0.hasPrefix(kind.rawValue + " ") }, "the read path counts \(kind) cells")
        }
        #expect(counted.keys.contains { $0.contains(" onet ") } && counted.keys.contains { $0.contains(" authoritative ") })
    }

    @Test("the build is idempotent: a second run changes nothing and says so")
    func idempotent() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.path("idem.sqlite").path, schemas: BuildPipeline.schemas)
        let pipeline = BuildPipeline(options: .init(dataFolder: RepoPaths.data))
        let first = try await pipeline.run(store: store)
        #expect(!first.changedNothing)
        let counts = try store.tableCounts()
        let second = try await pipeline.run(store: store)
        #expect(second.changedNothing)
        var after = try store.tableCounts()
        #expect(after["run"] == counts["run"]! + 1)
        after["run"] = counts["run"]
        #expect(after == counts)
        #expect(counts["rating"]! == 223_020)
        #expect(counts["profile_rating"]! == 900)
        let releases = try await store.dbQueue.read { try Row.fetchAll($0, sql: "SELECT name FROM release ORDER BY name") }.map { $0["name"] as String }
        #expect(releases == ["NOC 2021 V1.0", "OaSIS 2023 v1.0"])
        let hashes = try await store.dbQueue.read { try String.fetchAll($0, sql: "SELECT sha256 FROM source_file WHERE path = 'skills_oasis_2023_v1.0.csv'") }
        #expect(hashes == [SHA256.hex(try Data(contentsOf: Self.files.ratingFiles[0].url))])
    }
}
