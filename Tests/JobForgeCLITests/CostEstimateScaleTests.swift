import Foundation
import JobForgeBuild
import JobForgeCLI
import JobForgeCore
import JobForgeLLM
import JobForgeReport
import JobForgeStore
import JobForgeTestSupport
import JobForgeTitles
import Testing

/// The cost estimate read a chunk of titles at a time (issue 17): the same requests and the same
/// figures as reading every title alone, in `report`, `impute --dry-run` and `build --dry-run`.
@Suite("cost estimate in chunks", .serialized)
struct CostEstimateScaleTests {
    /// The shipped build, then an architecture of the user's: the sample's rows under new ids,
    /// twice (as a plain title and as "Senior ..."), so that several titles share each profile and
    /// the unresolved rows (no code, an unknown code) are in it too.
    static func storeWithUserTitles() async throws -> TemporaryDirectory {
        let folder = try TemporaryDirectory(prefix: "jobforge-cost-scale")
        try FileManager.default.copyItem(at: try await LLMFaultCLITests.BuiltStore.shared.url(), to: folder.path("jobforge.sqlite"))
        let sample = try CSVReader().records(try Data(contentsOf: RepoPaths.data.appendingPathComponent("sample/job_architecture.csv")),
                                             file: "job_architecture.csv")
        var csv = CSVWriter.line(sample[0].fields)
        for (index, row) in sample.dropFirst().prefix(40).enumerated() {
            for variant in 0..<2 {
                var fields = row.fields
                fields[0] = "U-\(variant)-\(index)"
                if variant == 1 { fields[1] = "Senior " + fields[1] }
                csv += CSVWriter.line(fields)
            }
        }
        try Data(csv.utf8).write(to: folder.path("mine.csv"))
        let imported = try await JobForgeBinary.run(["titles", "import", "mine.csv"], in: folder.url, timeout: 600)
        guard imported.status == 0 else { throw SetupFailure("titles import failed: \(imported.stderr)") }
        return folder
    }

    @Test("winners(ofEach:) equals winners(of:) per title; the request reader gives the same requests in any chunk size")
    func chunksReadWhatEachTitleAloneReads() async throws {
        let folder = try await Self.storeWithUserTitles()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.path("jobforge.sqlite").path, schemas: StoreOptions.schemas, mode: .readOnly)
        let subjects = try TitleCatalog(store).titles().map { Subject.title($0.id) }
        #expect(subjects.count == 80, "the sample's titles were replaced by the 80 of the file")

        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let together = try store.winners(ofEach: subjects, filter: CellFilter())
        #expect(together.count == subjects.count)
        var cells = 0
        for (subject, values) in zip(subjects, together) {
            let alone = try store.winners(of: subject, filter: CellFilter())
            #expect(try encoder.encode(values) == encoder.encode(alone), "\(subject)")
            cells += values.count
        }
        #expect(cells > 10_000, "the resolved titles inherit their profiles' cells")

        func requests(chunkSize: Int) throws -> [ImputationRequest] {
            var reader = try LLMStep.RequestReader(store: store)
            reader.chunkSize = chunkSize
            var all: [ImputationRequest] = []
            while let chunk = try reader.next() { all += chunk }
            return all
        }
        let one = try requests(chunkSize: 1)
        #expect(one.count == 80, "every title misses cells (the importance of OaSIS's skills, at least)")
        #expect(try requests(chunkSize: 7) == one)
        #expect(try LLMStep.requests(store: store) == one)
        // Titles of one profile get the same known values and missing cells: the profile's cells,
        // read once for the chunk, are not worn out or mixed up by the titles before.
        let records = Dictionary(uniqueKeysWithValues: try TitleCatalog(store).titles().map { ($0.id, $0) })
        let byID = Dictionary(uniqueKeysWithValues: one.map { ($0.subject.code, $0) })
        var pairs = 0
        for index in 0..<40 {
            guard let plain = records["U-0-\(index)"], let senior = records["U-1-\(index)"], let profile = plain.profileCode,
                  senior.profileCode == profile, let first = byID[plain.id], let second = byID[senior.id] else { continue }
            #expect(!first.context.knownValues.isEmpty, "\(plain.id) inherits \(profile)'s cells")
            #expect(first.context.knownValues == second.context.knownValues, "\(plain.id), \(senior.id) in \(profile)")
            #expect(first.missing == second.missing, "\(plain.id), \(senior.id) in \(profile)")
            pairs += 1
        }
        #expect(pairs >= 10)
    }

    @Test("sheets streamed one title at a time (the page's path past 1,000 titles) equal the sheets held with the tallies, title by title, on the shipped build")
    func streamedSheetsEqualHeldSheets() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-streamed-sheets")
        defer { folder.remove() }
        let path = try await LLMFaultCLITests.store(in: folder)
        let store = try SQLiteStore(path: path, schemas: StoreOptions.schemas)
        let builder = ReportBuilder(store: store, sheetLimit: Int.max, estimatesCost: false)
        let held = try await builder.build(holdingSheets: true).sheets
        var streamed: [ProfileSheets.Sheet] = []
        try builder.forEachSheet { streamed.append($0) }

        let titles = try TitleCatalog(store).titles()
        #expect(held.titles.count == titles.count && titles.count > 200, "every title has a sheet: \(held.titles.count) of \(titles.count)")
        #expect(streamed.map(\.id) == held.titles.map(\.id), "the same titles in the index's order")
        #expect(held.titles.contains { !$0.cells.isEmpty } && held.titles.map(\.cells.count).reduce(0, +) > 50_000)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for (one, other) in zip(streamed, held.titles) where try encoder.encode(one) != encoder.encode(other) {
            Issue.record("\(one.id): the streamed sheet differs from the held one (\(one.cells.count) vs \(other.cells.count) cells)")
        }
        #expect(try !builder.streamsSheets(), "the shipped build's page holds its sheets; past \(ReportBuilder.heldSheets) titles it streams them")
    }

    @Test("report --json's cost equals impute --dry-run's totals; the streamed dry run numbers its requests 1 to the total")
    func reportCostEqualsTheStreamedDryRun() async throws {
        let folder = try await Self.storeWithUserTitles()
        defer { folder.remove() }
        let report = try await JobForgeBinary.run(["report", "--json", "--sheets", "0"], in: folder.url, timeout: 900)
        #expect(report.status == 0, "\(report.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        let cost = try #require(json["cost"] as? [String: Any])
        func int(_ key: String) -> Int { (cost[key] as? NSNumber)?.intValue ?? -1 }
        #expect(int("cells") > 1_000)

        let dryRun = try await JobForgeBinary.run(["impute", "--dry-run"], in: folder.url, timeout: 900)
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        let lines = dryRun.stdout.split(separator: "\n").map(String.init)
        let summary = try #require(lines.last)
        #expect(summary.contains("\(int("cells")) cells in \(int("requests")) requests (\(int("requests") - int("cachedRequests")) not cached)"),
                "\(summary)")
        #expect(summary.contains("~\(int("estimatedInputTokens")) tokens in, ~\(int("estimatedOutputTokens")) out"), "\(summary)")
        #expect(summary.contains(String(format: "$%.4f", (cost["estimatedCostUSD"] as? Double) ?? -1)), "\(summary)")

        // Each heading says "n/total": counted before the prompts are built, it must match them.
        let headings = lines.filter { $0.hasPrefix("--- request ") }
        #expect(headings.count == int("requests"))
        for (index, heading) in headings.enumerated() {
            #expect(heading.hasPrefix("--- request \(index + 1)/\(int("requests")): title:U-"), "\(heading)")
        }
        let tokensIn = headings.reduce(0) { sum, heading in
            sum + (Int(heading.components(separatedBy: "~")[1].components(separatedBy: " ")[0]) ?? 0)
        }
        #expect(tokensIn == int("estimatedInputTokens"), "the totals add up the requests printed")
        #expect(lines.filter { $0.hasPrefix("[system]") }.count == 1, "the system prompt is shown once, with the first request")
    }
}
