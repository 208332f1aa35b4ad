import Foundation
import GRDB
import JobForgeTestSupport
import Testing

/// `jobforge build` on damaged or changed copies of the shipped data, as a user runs it: a cut
/// rating file stops the build, a changed rating logs only what changed, and the build says
/// what the shipped O*NET release lacks.
@Suite("jobforge build on changed inputs", .serialized)
struct InputFaultTests {
    /// A copy of the whole shipped `data/` folder in `folder`.
    static func copyOfShippedData(in folder: TemporaryDirectory) throws -> URL {
        let copy = folder.path("data")
        try FileManager.default.copyItem(at: RepoPaths.data, to: copy)
        return copy
    }

    /// The winning value of every cell of `subject`, as `show --json` prints them, by descriptor and dimension.
    static func cellValues(_ subject: String, in folder: TemporaryDirectory, data: URL) throws -> [String: Double] {
        let show = try JobForgeBinary.run(["show", subject, "--json"], in: folder.url, environment: ["JOBFORGE_DATA": data.path])
        #expect(show.status == 0, "\(show.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        var values: [String: Double] = [:]
        for category in object["categories"] as? [[String: Any]] ?? [] {
            for cell in category["cells"] as? [[String: Any]] ?? [] {
                guard let code = cell["descriptorCode"] as? String, let dimension = cell["dimension"] as? String,
                      let value = cell["value"] as? Double else { continue }
                values["\(code)/\(dimension)"] = value
            }
        }
        return values
    }

    static func overrideEvents(_ store: URL) throws -> [Row] {
        try DatabaseQueue(path: store.path).read { db in
            try Row.fetchAll(db, sql: "SELECT subject_kind, subject_code, descriptor_code, dimension, old_value, new_value, old_source, new_source FROM override_event")
        }
    }

    @Test("a rating file cut at a row boundary stops the build, names the file and the profiles it lacks, and writes nothing")
    func truncatedRatingFileStopsTheBuild() throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-cut")
        defer { folder.remove() }
        let data = try Self.copyOfShippedData(in: folder)
        let skills = data.appendingPathComponent("oasis/skills_oasis_2023_v1.0.csv")
        let lines = try String(contentsOf: skills, encoding: .utf8).components(separatedBy: "\n")
        #expect(lines.count == 902, "the header, 900 rows and the last line break")
        // Cut after row 450: every row left is well formed.
        try (lines.prefix(451).joined(separator: "\n") + "\n").write(to: skills, atomically: true, encoding: .utf8)

        let build = try JobForgeBinary.run(["build"], in: folder.url, environment: ["JOBFORGE_DATA": data.path])
        #expect(build.status != 0, "the cut file was accepted: \(build.stdout)")
        #expect(build.stderr.contains("skills_oasis_2023_v1.0.csv:452"), "\(build.stderr)")
        #expect(build.stderr.contains("without 450 of the 900 profiles of the labels file"), "\(build.stderr)")
        let store = folder.path("jobforge.sqlite")
        if FileManager.default.fileExists(atPath: store.path) {
            let ratings = try DatabaseQueue(path: store.path).read { db in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE name = 'profile_rating'") == 1
                    ? try Int.fetchOne(db, sql: "SELECT count(*) FROM profile_rating") ?? 0 : 0
            }
            #expect(ratings == 0, "nothing of the failed load is written")
        }
    }

    @Test("a rebuild after one changed rating logs an override for each cell whose value changed, and no other")
    func changedRatingLogsOnlyChangedCells() throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-reload")
        defer { folder.remove() }
        let data = try Self.copyOfShippedData(in: folder)
        let first = try JobForgeBinary.run(["build"], in: folder.url, environment: ["JOBFORGE_DATA": data.path])
        #expect(first.status == 0, "\(first.stderr)")
        let store = folder.path("jobforge.sqlite")
        #expect(try Self.overrideEvents(store).isEmpty, "a first build replaces nothing")

        // One rating of one profile's row: Writing (F01b02) of 00010.00 Legislators, 4 -> 3.
        let skills = data.appendingPathComponent("oasis/skills_oasis_2023_v1.0.csv")
        var lines = try String(contentsOf: skills, encoding: .utf8).components(separatedBy: "\n")
        var fields = lines[1].components(separatedBy: ",")
        #expect(fields[0] == "00010.00" && fields[3] == "4")
        fields[3] = "3"
        lines[1] = fields.joined(separator: ",")
        try lines.joined(separator: "\n").write(to: skills, atomically: true, encoding: .utf8)

        // Every subject whose cells the profile's ratings reach: itself, its unit group, the titles resolved to it.
        let subjects = ["00010.00", "00010"]
        let before = try subjects.map { try Self.cellValues($0, in: folder, data: data) }
        let second = try JobForgeBinary.run(["build"], in: folder.url, environment: ["JOBFORGE_DATA": data.path])
        #expect(second.status == 0, "\(second.stderr)")
        let after = try subjects.map { try Self.cellValues($0, in: folder, data: data) }
        let changedCells = zip(before, after).map { old, new in
            Set(old.keys).union(new.keys).filter { old[$0] != new[$0] }.sorted()
        }
        #expect(changedCells[0] == ["F01b02/level"], "the profile's one changed rating")
        #expect(changedCells[1] == ["F01b02/level"], "its unit group's only profile: the derived cell follows")

        let events = try Self.overrideEvents(store)
        // The override log holds the profile's changed cell (the profile held the rating itself;
        // its unit group and titles derive theirs and follow it), and nothing else.
        #expect(events.count == changedCells[0].count, "\(events.count) events, e.g. \(events.prefix(3))")
        let event = try #require(events.first)
        #expect(event["subject_kind"] as String == "profile" && event["subject_code"] as String == "00010.00")
        #expect(event["descriptor_code"] as String == "F01b02" && event["dimension"] as String == "level")
        #expect(event["old_value"] as Double? == 4 && event["new_value"] as Double == 3)
        #expect(events.allSatisfy { ($0["old_value"] as Double?) != ($0["new_value"] as Double) || ($0["old_source"] as String?) != ($0["new_source"] as String) })
    }

    @Test("build says which O*NET tables the shipped release lacks, in the words of onet import, and in --json")
    func buildWarnsOfMissingONetTables() throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-onet-warning")
        defer { folder.remove() }
        let json = try JobForgeBinary.run(["build", "--json"], in: folder.url)
        #expect(json.status == 0, "\(json.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let onet = try #require((report["steps"] as? [[String: Any]])?.first { $0["name"] as? String == "onet" })
        let warnings = onet["warnings"] as? [String] ?? []
        #expect(warnings.count == 1, "\(onet)")
        let warning = warnings.first ?? ""
        #expect(warning.contains("no Work Context ratings"))
        #expect(warning.contains("Abilities for 2 occupations only, Work Activities for 2 occupations only"))
        #expect(warning.contains("jobforge onet import"))

        // A build that changes nothing still says it: the store's O*NET ratings are as incomplete.
        let text = try JobForgeBinary.run(["build"], in: folder.url)
        #expect(text.status == 0)
        #expect(text.stdout.contains("nothing changed"))
        #expect(text.stdout.contains("warning: \(warning)\n"), "\(text.stdout)")

        let onetImport = try JobForgeBinary.run(["onet", "import", RepoPaths.data.appendingPathComponent("onet/db_29_3_text").path],
                                                in: folder.url)
        #expect(onetImport.status == 0, "\(onetImport.stderr)")
        #expect(onetImport.stdout.contains("warning: \(warning)\n"), "the same words as build: \(onetImport.stdout)")
    }
}
