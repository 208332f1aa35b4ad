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
}
