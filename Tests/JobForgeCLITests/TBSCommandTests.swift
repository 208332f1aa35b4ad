import Foundation
import GRDB
import JobForgeTestSupport
import Testing

/// `jobforge tbs` as a user runs it (a child process), against the loopback canada.ca that serves
/// the real pages.
@Suite("jobforge tbs", .serialized)
struct TBSCommandTests {
    /// Runs the binary off the cooperative pool, so the fake site in this process keeps answering.
    static func run(_ arguments: [String], in folder: URL) async throws -> JobForgeBinary.Result {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Swift.Result { try JobForgeBinary.run(arguments, in: folder) })
            }
        }
    }

    static func count(_ sql: String, in path: String) throws -> Int {
        var configuration = Configuration()
        configuration.readonly = true
        return try DatabaseQueue(path: path, configuration: configuration).read { db in try Int.fetchOne(db, sql: sql) ?? -1 }
    }

    static let frenchURL = "https://www.canada.ca" + FakeCanadaSite.tablePathFR

    @Test("tbs scrape --lang both with the French page failing: English stored, the French failure on stderr, exit 1; the next scrape stores French")
    func failedLanguageIsReportedAndTheRestKept() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-tbs-cli")
        let site = try await FakeCanadaSite.start()
        defer { Task { await site.stop(); folder.remove() } }
        let path = folder.path("tbs.sqlite").path
        let scrape = ["tbs", "scrape", "--lang", "both", "--base-url", site.baseURL.absoluteString, "--delay", "0", "--depth", "1",
                      "--db", path]
        // Retry-After 0: the retries wait their minimum, not a backoff.
        site.misbehave(FakeCanadaSite.tablePathFR, .status(500, retryAfter: "0", times: 1000))

        let failed = try await Self.run(scrape, in: folder.url)
        #expect(failed.status != 0)
        #expect(failed.stderr.contains("fr") && failed.stderr.contains(Self.frenchURL) && failed.stderr.contains("HTTP 500"),
                "stderr: \(failed.stderr)")
        #expect(try Self.count("SELECT COUNT(*) FROM tbs_row WHERE language = 'en'", in: path) == 217)
        #expect(try Self.count("SELECT COUNT(*) FROM tbs_section WHERE fragment LIKE 'def-%'", in: path) >= 213)
        #expect(try Self.count("SELECT COUNT(*) FROM tbs_row WHERE language = 'fr'", in: path) == 0)

        site.misbehave(FakeCanadaSite.tablePathFR, nil)
        let recovered = try await Self.run(scrape, in: folder.url)
        #expect(recovered.status == 0, "stderr: \(recovered.stderr)")
        #expect(try Self.count("SELECT COUNT(*) FROM tbs_row WHERE language = 'fr'", in: path) == 217)
        #expect(try Self.count("SELECT COUNT(*) FROM tbs_row WHERE language = 'en'", in: path) == 217)
    }

    @Test("tbs show AI prints the group's whole definition, its Exclusions included (the real definitions page)")
    func showPrintsTheWholeDefinition() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-tbs-show")
        let site = try await FakeCanadaSite.start()
        defer { Task { await site.stop(); folder.remove() } }
        let path = folder.path("tbs.sqlite").path
        let scrape = try await Self.run(["tbs", "scrape", "--lang", "en", "--base-url", site.baseURL.absoluteString, "--delay", "0",
                                         "--depth", "1", "--db", path], in: folder.url)
        #expect(scrape.status == 0, "stderr: \(scrape.stderr)")

        let show = try await Self.run(["tbs", "show", "AI", "--db", path], in: folder.url)
        #expect(show.status == 0, "stderr: \(show.stderr)")
        let lines = show.stdout.components(separatedBy: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        // The AI group's definition ends with its Exclusions; so does its subgroup's (AI-NOP).
        for text in ["Exclusions",
                     "Positions excluded from the Air Traffic Control Group are those whose primary purpose is included in the definition of any other group.",
                     "Also excluded are positions in which there is no requirement for the incumbent to have an air traffic control licence.",
                     "Positions having the primary responsibility for control activities or having a direct input into control activities performed in a Control Tower, a Terminal Control Unit (TCU) an Area Control Centre (ACC) or in an Altitude Reservation Unit (ARU)."] {
            #expect(lines.contains(text), "missing from tbs show AI: \(text)")
        }
    }
}
