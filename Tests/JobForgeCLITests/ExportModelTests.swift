import Foundation
import GRDB
import JobForgeCLI
import JobForgeCore
import JobForgeStore
import JobForgeTestSupport
import Testing

/// An export reads unit groups and profiles from the published model and titles from their
/// profile's published cells (issue 14: as fast as sqlite3 reading a plain table); a store whose
/// model has derivations pending derives every cell as `show` does. Both must write the same files,
/// byte for byte, on the shipped data, with LLM answers stored for titles (one title's withdrawn by
/// a re-import), O*NET metadata that only the O*NET layer keeps, and a store upgraded from before
/// the model kept the unit-group rule's figures.
@Suite("the export from the published model", .serialized)
struct ExportModelTests {
    /// Every file of an export, by name; the Power Query script names its folder, which differs.
    static func files(in folder: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            var data = try Data(contentsOf: folder.appendingPathComponent(name))
            if name == "powerquery.pq" {
                data = Data(String(decoding: data, as: UTF8.self).replacingOccurrences(of: folder.path, with: "FOLDER").utf8)
            }
            files[name] = data
        }
        return files
    }

    static func pendingDerivations(_ path: String) throws -> Int {
        try count(path, "SELECT COUNT(*) FROM model_dirty")
    }

    static func count(_ path: String, _ sql: String) throws -> Int {
        try DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: sql) ?? 0 }
    }

    /// A copy of the store (SQLite's backup, whatever its write-ahead log holds), changed by `sql`.
    static func copy(_ path: String, to copy: String, then sql: String) throws {
        try DatabaseQueue(path: path).backup(to: DatabaseQueue(path: copy))
        try DatabaseQueue(path: copy).write { try $0.execute(sql: sql) }
    }

    @Test("the same files as an export that derives every cell, and as one of a store upgraded from before v7: CSV and JSON, winners and every candidate, filtered")
    func sameFilesAsDerived() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-export-model")
        defer { folder.remove() }
        let build = try JobForgeBinary.run(["build"], in: folder.url)
        try #require(build.status == 0, "\(build.stderr)")
        let path = folder.path("jobforge.sqlite").path

        // LLM answers for two titles; then JA-0002 renamed by a re-import, which withdraws its answers.
        let fake = try await FakeOpenAIServer.start(expectedModel: "gpt-4o-2024-08-06")
        defer { Task { await fake.stop() } }
        let environment = ["OPENAI_BASE_URL": await fake.baseURL.absoluteString, "OPENAI_API_KEY": await fake.apiKey ?? ""]
        let impute = try JobForgeBinary.run(["impute", "--titles", "JA-0002", "JA-0003"], in: folder.url, environment: environment)
        try #require(impute.status == 0, "\(impute.stderr)")
        let original = try String(contentsOf: RepoPaths.data.appendingPathComponent("sample/job_architecture.csv"), encoding: .utf8)
        let renamed = original.replacingOccurrences(of: "JA-0002,purchasing contracts manager,", with: "JA-0002,purchasing contracts director,")
        try #require(renamed != original)
        try renamed.write(to: folder.path("renamed.csv"), atomically: true, encoding: .utf8)
        let mapping = RepoPaths.data.appendingPathComponent("sample/job_architecture.mapping").path
        let reimport = try JobForgeBinary.run(["titles", "import", folder.path("renamed.csv").path, "--mapping", mapping], in: folder.url)
        try #require(reimport.status == 0, "\(reimport.stderr)")

        // A copy whose model has every unit group and profile pending, as after a build that stopped:
        // its export derives every cell.
        let derived = folder.path("derived.sqlite").path
        try Self.copy(path, to: derived, then: "INSERT OR IGNORE INTO model_dirty SELECT DISTINCT subject_kind, subject_code FROM model_candidate")
        // A copy as an earlier release wrote it: no unit-group figures in the model, v7 not applied.
        let earlier = folder.path("earlier.sqlite").path
        try Self.copy(path, to: earlier, then: """
            ALTER TABLE model_candidate DROP COLUMN metadata;
            DELETE FROM grdb_migrations WHERE identifier = 'v7-model-derived-metadata';
            """)

        for options in [[], ["--all-candidates"], ["--format", "json"], ["--format", "json", "--all-candidates"],
                        ["--source", "onet", "--source", "llm", "--min-confidence", "0.7", "--category", "skills"]] {
            var exports: [[String: Data]] = []
            for (name, store) in [("model", path), ("derived", derived), ("earlier", earlier)] {
                let out = folder.path("out-\(name)")
                try? FileManager.default.removeItem(at: out)
                let export = try JobForgeBinary.run(["export", "--db", store, "--out", out.path] + options, in: folder.url)
                try #require(export.status == 0, "\(name) \(options): \(export.stderr)")
                exports.append(try Self.files(in: out))
            }
            #expect(Set(exports[0].keys) == Set(exports[1].keys) && Set(exports[0].keys) == Set(exports[2].keys), "\(options)")
            for (file, data) in exports[0] {
                #expect(data == exports[1][file], "\(options) \(file): the model's export differs from the derived one")
                #expect(data == exports[2][file], "\(options) \(file): the upgraded store's export differs")
            }
            if options.isEmpty {
                // What the comparison covers: LLM answers, O*NET metadata from the layer, the rule's figures.
                let cells = String(decoding: try #require(exports[0]["cells.csv"]), as: UTF8.self)
                let rows = cells.split(separator: "\r\n")
                #expect(rows.contains { $0.hasPrefix("title,JA-0003,") && $0.contains(",llm,1,") })
                #expect(!rows.contains { $0.hasPrefix("title,JA-0002,") && $0.contains(",llm,1,") }, "withdrawn answers do not win")
                #expect(rows.contains { $0.hasPrefix("unit_group,") && $0.contains("\"\"onet_element\"\"") })
                #expect(rows.contains { $0.hasPrefix("profile,") && $0.contains("\"\"onet_element\"\"") })
                #expect(rows.contains { $0.hasPrefix("unit_group,") && $0.contains(",profile_mean,") && $0.contains("\"\"count\"\"") })
                #expect(rows.contains { $0.hasPrefix("title,") && $0.contains(",onet,2,") && $0.contains("\"\"resolution_method\"\"") })
            }
        }
        // The derived copy was read as it is (a read leaves the pending derivations to the next write);
        // the earlier one was upgraded on its first open and derived its unit groups again.
        #expect(try Self.pendingDerivations(derived) > 0)
        #expect(try Self.pendingDerivations(earlier) == 0)
        #expect(try Self.count(earlier, "SELECT COUNT(*) FROM model_candidate WHERE metadata IS NOT NULL") > 0)
    }
}
