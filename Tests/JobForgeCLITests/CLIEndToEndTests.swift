import Foundation
import GRDB
import JobForgeCore
import JobForgeTestSupport
import Testing

/// Runs the real `jobforge` executable, as a user would, in a temporary directory.
enum JobForgeBinary {
    static var url: URL {
        // Tests run from the products folder (.build/<triple>/debug/...xctest), where the executable is too.
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [products.appendingPathComponent("jobforge"),
                          RepoPaths.root.appendingPathComponent(".build/debug/jobforge")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The environment of a child: this process's, without the user's LLM settings and store,
    /// with the shipped data, then `extra`.
    static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["OPENAI_API_KEY"] = nil
        env["OPENAI_BASE_URL"] = nil
        env["JOBFORGE_DB"] = nil
        env["JOBFORGE_DATA"] = RepoPaths.data.path
        for (key, value) in extra { env[key] = value }
        return env
    }

    /// Runs `executable` (jobforge itself by default, or a wrapper such as `setpriv` that starts
    /// it) to its end.
    static func run(_ arguments: [String], in directory: URL, environment: [String: String] = [:],
                    executable: URL = url) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = Self.environment(environment)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting so a large output cannot block the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Starts `build --db store` and returns once the child holds inside `step` (written, not
    /// committed: the test hook `JOBFORGE_TEST_HOLD_IN_STEP`), and whether it said so.
    static func startBuildHeld(in step: String, store: String) throws -> (process: Process, holding: Bool) {
        let process = Process()
        process.executableURL = url
        process.arguments = ["build", "--db", store]
        process.environment = environment(["JOBFORGE_TEST_HOLD_IN_STEP": step])
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var seen = ""
        while !seen.contains("holding in \(step)") {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        return (process, seen.contains("holding in \(step)"))
    }
}

@Suite("jobforge end to end", .serialized)
struct CLIEndToEndTests {
    @Test("build, build again, show, explain, export, descriptors in a temporary directory")
    func endToEnd() throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-cli")
        defer { folder.remove() }

        let build = try JobForgeBinary.run(["build"], in: folder.url)
        #expect(build.status == 0, "\(build.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder.path("jobforge.sqlite").path))
        #expect(build.stdout.contains("516 unit groups, 900 profiles"))
        #expect(build.stdout.contains("authoritative  done"))
        #expect(build.stdout.contains("llm            skipped"))
        #expect(build.stderr.isEmpty, "a pipe gets no progress display: \(build.stderr)")

        let again = try JobForgeBinary.run(["build"], in: folder.url)
        #expect(again.status == 0)
        #expect(again.stdout.contains("nothing changed"))

        let show = try JobForgeBinary.run(["show", "21211"], in: folder.url)
        #expect(show.status == 0)
        #expect(show.stdout.hasPrefix("21211  Data scientists"))
        for heading in ["SKILLS (", "ABILITIES", "PERSONAL ATTRIBUTES", "KNOWLEDGE", "WORK ACTIVITIES", "WORK CONTEXT", "INTERESTS"] {
            #expect(show.stdout.contains(heading), "missing \(heading)")
        }

        let json = try JobForgeBinary.run(["show", "21211.00", "--json", "--category", "skills"], in: folder.url)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let categories = try #require(object["categories"] as? [[String: Any]])
        #expect(categories.count == 1)
        let cells = try #require(categories.first?["cells"] as? [[String: Any]])
        #expect(cells.filter { $0["dimension"] as? String == "level" && $0["source"] as? String == "authoritative" }.count == 33)
        // O*NET adds the importance dimension OaSIS lacks.
        // 32 of the 33 rated skills: F01a02 maps to an O*NET ability, rated for two occupations only in the shipped files.
        let importance = cells.filter { ($0["descriptorCode"] as? String ?? "").hasPrefix("F") && $0["dimension"] as? String == "importance" }
        #expect(importance.count == 32)
        #expect(importance.allSatisfy { $0["source"] as? String == "onet" })
        // The profile's Writing rating, straight from skills_oasis_2023_v1.0.csv.
        let writing = try #require(cells.first { $0["descriptorCode"] as? String == "F01b02" && $0["dimension"] as? String == "level" })
        #expect(writing["value"] as? Double == 3)
        #expect(writing["source"] as? String == "authoritative")

        let filtered = try JobForgeBinary.run(["show", "21211", "--source", "llm"], in: folder.url)
        #expect(filtered.stdout.contains("no values match the filters"))

        let explain = try JobForgeBinary.run(["explain", "21211", "categorization flexibility"], in: folder.url)
        #expect(explain.status == 0)
        #expect(explain.stdout.contains("A01a02  Categorization Flexibility"))
        #expect(explain.stdout.contains("method single_profile, level L6, from 21211.00"))
        #expect(explain.stdout.contains("overrides: none"))

        let title = try JobForgeBinary.run(["explain", "JA-0002", "F01b02"], in: folder.url)
        #expect(title.stdout.contains("method inherited, level L6, from 10012.00"))
        #expect(title.stdout.contains("resolution_method=exact_title"))

        let export = try JobForgeBinary.run(["export", "--format", "csv", "--out", "out", "--min-confidence", "0.9"], in: folder.url)
        #expect(export.status == 0, "\(export.stderr)")
        let cellsCSV = try Data(contentsOf: folder.path("out/cells.csv"))
        #expect(cellsCSV.prefix(3) == Data([0xEF, 0xBB, 0xBF]), "CSV starts with a UTF-8 BOM")
        let text = String(decoding: cellsCSV.dropFirst(3), as: UTF8.self)
        #expect(text.hasPrefix("subject_kind,subject_code,subject_label,descriptor_code,descriptor_name,category,dimension,value"))
        #expect(text.contains("\r\n"))
        #expect(text.contains(",single_profile,L6,1.000,21211.00,OaSIS 2023 v1.0,"))
        let skills = String(decoding: try Data(contentsOf: folder.path("out/skills.csv")).dropFirst(3), as: UTF8.self)
        let header = skills.components(separatedBy: "\r\n")[0]
        #expect(header.contains("Writing,Writing__source,Writing__confidence"))
        #expect(skills.contains("profile,21211.00,Data scientists,"))
        // Every title is exported with its resolution, the unresolved ones (no cells) included.
        let titlesCSV = try CSVReader().records(try Data(contentsOf: folder.path("out/titles.csv")), file: "titles.csv")
        let titleColumns = titlesCSV[0].fields
        let method = try #require(titleColumns.firstIndex(of: "method")), id = try #require(titleColumns.firstIndex(of: "id"))
        #expect(titlesCSV.count - 1 == 285, "one row per imported sample title")
        #expect(titlesCSV.contains { $0.fields[id] == "JA-0002" && $0.fields[method] == "exact_title" })
        #expect(titlesCSV.contains { $0.fields[method] == "no_code" }, "unresolved titles appear in the export")
        let workContext = String(decoding: try Data(contentsOf: folder.path("out/work_context.csv")).dropFirst(3), as: UTF8.self)
        #expect(workContext.contains("Time Pressure (importance)"))

        let jsonExport = try JobForgeBinary.run(["export", "--format", "json", "--out", "json", "--source", "authoritative"], in: folder.url)
        #expect(jsonExport.status == 0)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.path("json/cells.json"))) as? [[String: Any]])
        #expect(rows.count > 350_000)
        #expect(Set(rows.map { $0["source"] as? String ?? "" }) == ["authoritative"])

        let descriptors = try JobForgeBinary.run(["descriptors", "--category", "work-context"], in: folder.url)
        #expect(descriptors.stdout.contains("J01c02   Time Pressure  [frequency 1-5 (0 = not applicable); importance 1-5 (0 = not applicable)]"))
    }

    @Test("failures exit non-zero with a message that says what to do")
    func failures() throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-cli-fail")
        defer { folder.remove() }
        let noStore = try JobForgeBinary.run(["show", "21211"], in: folder.url)
        #expect(noStore.status != 0)
        #expect(noStore.stderr.contains("run `jobforge build` first"))

        let badData = try JobForgeBinary.run(["build", "--data", folder.url.path], in: folder.url)
        #expect(badData.status != 0)
        #expect(badData.stderr.contains("does not hold the OaSIS files"))

        let badFilter = try JobForgeBinary.run(["show", "21211", "--min-confidence", "2", "--db", "x.sqlite"], in: folder.url)
        #expect(badFilter.status != 0)
    }

    /// What a finished build's store holds, as `build --json` reports it: rows per table (the
    /// run and step bookkeeping aside) and winning cells per subject kind, source and category.
    static func storeContents(_ db: String, in folder: TemporaryDirectory) throws -> (tables: [String: Int], cells: [String: Int]) {
        let again = try JobForgeBinary.run(["build", "--json", "--db", db], in: folder.url, environment: ["JOBFORGE_DATA": RepoPaths.data.path])
        #expect(again.status == 0, "\(again.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any] ?? [:]
        let steps = report["steps"] as? [[String: Any]] ?? []
        #expect(steps.allSatisfy { $0["status"] as? String != "done" }, "a finished build has nothing left to do: \(steps)")
        var tables = report["tables"] as? [String: Int] ?? [:]
        for bookkeeping in ["run", "step"] { tables[bookkeeping] = nil }
        var cells: [String: Int] = [:]
        for count in report["cells"] as? [[String: Any]] ?? [] {
            cells["\(count["subjectKind"] ?? "") \(count["source"] ?? "") \(count["category"] ?? "")"] = count["cells"] as? Int
        }
        return (tables, cells)
    }

    @Test("a build killed inside any step (authoritative, titles, onet) leaves that step unwritten; the next build ends with the store an uninterrupted build makes",
          arguments: ["authoritative", "titles", "onet"])
    func killedMidBuild(step: String) throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-kill")
        defer { folder.remove() }
        let killed = folder.path("k.sqlite").path
        // Wait until the step has written everything but not committed, then kill it hard.
        let (process, holding) = try JobForgeBinary.startBuildHeld(in: step, store: killed)
        #expect(holding)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        // Nothing the killed step wrote is there: not its step record, not its source's rows.
        let queue = try DatabaseQueue(path: killed)
        let (stepDone, titles, onetRatings, layer) = try queue.read { db in
            (try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM step WHERE name = ?)", arguments: [step]) ?? true,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job_title") ?? -1,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM onet_rating") ?? -1,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM onet_layer") ?? -1)
        }
        try queue.close()
        #expect(!stepDone, "the killed step is not recorded as done")
        switch step {
        case "titles": #expect(titles == 0, "no title of the killed titles step was kept")
        case "onet": #expect(onetRatings == 0 && layer == 0, "no O*NET rating, crosswalk or layer of the killed step was kept")
        default: break
        }
        if step == "authoritative" {
            let after = try JobForgeBinary.run(["show", "21211", "--db", killed], in: folder.url)
            #expect(after.status != 0, "nothing of the killed step is visible")
            #expect(after.stderr.contains("no unit group, profile or job title"))
        }

        if step == "onet" {
            // The steps before it committed; the build derives the published model when its run
            // finishes, so their marks wait in model_dirty for the next command that writes.
            let model = try Self.publishedModel(killed)
            #expect(model.pending > 0 && model.rows.isEmpty, "\(model)")
        }

        let resumed = try JobForgeBinary.run(["build", "--db", killed], in: folder.url, environment: ["JOBFORGE_DATA": RepoPaths.data.path])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("\(step.padding(toLength: 14, withPad: " ", startingAt: 0)) done"), "\(resumed.stdout)")

        let uninterrupted = folder.path("u.sqlite").path
        let reference = try JobForgeBinary.run(["build", "--db", uninterrupted], in: folder.url, environment: ["JOBFORGE_DATA": RepoPaths.data.path])
        #expect(reference.status == 0, "\(reference.stderr)")
        let resumedContents = try Self.storeContents(killed, in: folder)
        let referenceContents = try Self.storeContents(uninterrupted, in: folder)
        #expect(resumedContents.tables == referenceContents.tables)
        #expect(resumedContents.cells == referenceContents.cells)
        #expect((resumedContents.tables["profile_rating"] ?? 0) > 0 && (resumedContents.tables["candidate"] ?? -1) == 0)
        #expect((resumedContents.cells["unit_group onet Skills"] ?? 0) > 0 && (resumedContents.cells["title authoritative Skills"] ?? 0) > 0)
        let resumedModel = try Self.publishedModel(killed), referenceModel = try Self.publishedModel(uninterrupted)
        #expect(resumedModel.pending == 0 && referenceModel.pending == 0)
        #expect(resumedModel.rows == referenceModel.rows && (resumedModel.rows["profile onet"]?.first ?? 0) > 0,
                "the published model is the one an uninterrupted build makes: \(resumedModel.rows) \(referenceModel.rows)")
    }

    /// The published model's rows per subject kind and source ([candidates, winners]), and the
    /// subjects still waiting to be derived.
    static func publishedModel(_ store: String) throws -> (pending: Int, rows: [String: [Int]]) {
        let queue = try DatabaseQueue(path: store)
        defer { try? queue.close() }
        return try queue.read { db in
            var rows: [String: [Int]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT subject_kind, source, COUNT(*), SUM(is_winner) FROM fact_candidate GROUP BY subject_kind, source
                """) {
                rows["\(row[0] as String) \(row[1] as String)"] = [row[2], row[3]]
            }
            return (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM model_dirty") ?? -1, rows)
        }
    }
}
