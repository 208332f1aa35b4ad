import Foundation
import JobForgeBuild
import JobForgeCore
import JobForgeCLI
import JobForgeStore
import JobForgeTestSupport
import Testing

/// A new user's first steps: build (the sample shows the product), import their own file as Excel
/// saved it, build again. Their data stays theirs.
@Suite struct UserArchitectureCLITests {
    static let fixtures = RepoPaths.fixtures.appendingPathComponent("architectures")

    /// The ids `titles --json` lists.
    func titleIDs(in folder: TemporaryDirectory) throws -> [String] {
        let listing = try JobForgeBinary.run(["titles", "--json"], in: folder.url)
        #expect(listing.status == 0, "\(listing.stderr)")
        let titles = try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [[String: Any]] ?? []
        return titles.compactMap { $0["id"] as? String }
    }

    func llmRequestTitles(in folder: TemporaryDirectory) throws -> Set<String> {
        let store = try SQLiteStore(path: folder.path("jobforge.sqlite").path, schemas: StoreOptions.schemas)
        return Set(try LLMStep.requests(store: store).map(\.subject.code))
    }

    @Test("after the user's import no sample title remains, a build never brings one back, and the LLM is never asked about one")
    func sampleIsADemonstrationOnly() throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-user-architecture")
        defer { folder.remove() }
        let build = try JobForgeBinary.run(["build"], in: folder.url)
        try #require(build.status == 0, "\(build.stderr)")
        // The sample's rows less those it has bad on purpose (to show how they are reported).
        let sampleRows = try CSVReader().records(try Data(contentsOf: RepoPaths.data.appendingPathComponent("sample/job_architecture.csv")),
                                                 file: "job_architecture.csv").count - 1
        let sampleIDs = try titleIDs(in: folder)
        #expect(sampleIDs.count > sampleRows - 10 && sampleIDs.count <= sampleRows, "an empty store gets the sample on build")
        #expect(try llmRequestTitles(in: folder).isEmpty, "no sample title is sent to the LLM unless named")

        let imported = try JobForgeBinary.run(["titles", "import", Self.fixtures.appendingPathComponent("architecture-semicolon.csv").path],
                                              in: folder.url)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("read as: Windows-1252 (detected), semicolon-delimited (detected)"), "\(imported.stdout)")
        #expect(imported.stdout.contains("removed the \(sampleIDs.count) titles of the shipped sample"), "\(imported.stdout)")
        let own = ["FX-01", "FX-02", "FX-03", "FX-04"]
        #expect(try titleIDs(in: folder) == own)

        let rebuild = try JobForgeBinary.run(["build"], in: folder.url)
        #expect(rebuild.status == 0, "\(rebuild.stderr)")
        #expect(try titleIDs(in: folder) == own, "build does not bring the sample back")
        #expect(try llmRequestTitles(in: folder).isSubset(of: Set(own)))
        let again = try JobForgeBinary.run(["build"], in: folder.url)
        #expect(again.stdout.contains("nothing changed"), "\(again.stdout)")
    }

    @Test("an .xlsx sheet imports with typed --json warnings; a password-protected or damaged workbook fails naming the file")
    func workbooks() throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-xlsx")
        defer { folder.remove() }
        let build = try JobForgeBinary.run(["build", "--step", "authoritative"], in: folder.url)
        try #require(build.status == 0, "\(build.stderr)")
        let workbook = Self.fixtures.appendingPathComponent("architecture.xlsx").path
        let archive = try JobForgeBinary.run(["titles", "import", workbook, "--sheet", "Archive", "--json"], in: folder.url)
        #expect(archive.status == 0, "\(archive.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(archive.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(summary["imported"] as? Int == 2)
        let warnings = summary["warnings"] as? [[String: Any]] ?? []
        #expect(warnings.map { $0["line"] as? Int } == [2])
        #expect(summary["format"] as? String == "Excel workbook, sheet \"Archive\"")

        for (name, message) in [("architecture-password.xlsx", "password-protected workbook: save it without a password"),
                                ("architecture-truncated.xlsx", "damaged or incomplete")] {
            let run = try JobForgeBinary.run(["titles", "import", Self.fixtures.appendingPathComponent(name).path], in: folder.url)
            #expect(run.status != 0)
            #expect(run.stderr.contains(name) && run.stderr.contains(message), "\(run.stderr)")
        }
        #expect(try titleIDs(in: folder).count == 2, "a refused file changes nothing")
    }
}
