import Foundation
import GRDB
import JobForgeCLI
import JobForgeCore
import JobForgeStore
import JobForgeTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A child process of any executable (a shell, `setpriv`), with the environment `JobForgeBinary` gives jobforge.
enum ChildProcess {
    static func run(_ executable: String, _ arguments: [String], in directory: URL) throws -> JobForgeBinary.Result {
        try JobForgeBinary.run(arguments, in: directory, executable: URL(fileURLWithPath: executable))
    }

    /// Several jobforge processes started together; their results in order.
    static func together(_ commands: [[String]], in directory: URL,
                         environment: [String: String] = [:]) throws -> [JobForgeBinary.Result] {
        let results = ResultBox(count: commands.count)
        let group = DispatchGroup()
        for (index, arguments) in commands.enumerated() {
            group.enter()
            DispatchQueue.global().async {
                results.set(index, Result { try JobForgeBinary.run(arguments, in: directory, environment: environment) })
                group.leave()
            }
        }
        group.wait()
        return try results.all()
    }

    final class ResultBox: @unchecked Sendable {
        private let lock = NSLock()
        private var results: [Result<JobForgeBinary.Result, any Error>?]
        init(count: Int) { results = Array(repeating: nil, count: count) }
        func set(_ index: Int, _ result: Result<JobForgeBinary.Result, any Error>) { lock.withLock { results[index] = result } }
        func all() throws -> [JobForgeBinary.Result] { try lock.withLock { try results.map { try $0!.get() } } }
    }
}

/// The bytes of a file, to check that a command left it exactly as it was.
func fileBytes(_ url: URL) -> Data? { try? Data(contentsOf: url) }

/// A JobForge store with the authoritative layer only (NOC and OaSIS): enough for show, export and imports.
func authoritativeStore(in folder: TemporaryDirectory, named name: String = "store.sqlite") throws -> URL {
    let build = try JobForgeBinary.run(["build", "--step", "authoritative", "--db", name], in: folder.url)
    #expect(build.status == 0, "\(build.stderr)")
    return folder.path(name)
}

@Suite("opening a store: only JobForge stores, read-only for readers, safe under concurrency", .serialized)
struct StoreOpeningTests {
    @Test("read commands refuse a file that is not a JobForge store (another application's database, an empty file, not SQLite, missing) and leave it as it was; build refuses a foreign database too")
    func readCommandsRefuseForeignFiles() throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-foreign")
        defer { folder.remove() }
        let foreign = folder.path("other-app.sqlite")
        try DatabaseQueue(path: foreign.path).write { db in
            try db.execute(sql: "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('Ada')")
        }
        let empty = folder.path("empty.sqlite")
        try Data().write(to: empty)
        let text = folder.path("notes.sqlite")
        try Data("not a database\n".utf8).write(to: text)
        let missing = folder.path("typo.sqlite")

        let readCommands: [[String]] = [["show", "21211"], ["titles"], ["descriptors"], ["explain", "21211", "A01a02"],
                                        ["export", "--out", "out"], ["crosswalk", "21211"]]
        let cases: [(file: URL, says: String)] = [
            (foreign, "is an SQLite database of another application (tables: customers), not a JobForge store"),
            (empty, "is an empty file, not a JobForge store"),
            (text, "is not an SQLite database, so not a JobForge store"),
            (missing, "no store at"),
        ]
        for (file, says) in cases {
            let before = fileBytes(file)
            for command in readCommands + [["titles", "import", RepoPaths.data.appendingPathComponent("sample/job_architecture.csv").path]] {
                let run = try JobForgeBinary.run(command + ["--db", file.path], in: folder.url)
                #expect(run.status == 1, "\(command) on \(file.lastPathComponent): \(run.status) \(run.stderr)")
                #expect(run.stderr.contains(says), "\(command) on \(file.lastPathComponent): \(run.stderr)")
                #expect(!run.stderr.contains("Usage:"), "a wrong file is not a usage error: \(run.stderr)")
                #expect(fileBytes(file) == before, "\(command) changed \(file.lastPathComponent)")
            }
            #expect(!FileManager.default.fileExists(atPath: file.path + "-wal"))
        }
        #expect(!FileManager.default.fileExists(atPath: missing.path), "a read command does not create a store")

        // A command that creates stores does not take another application's database for one.
        for file in [foreign, text] {
            let before = fileBytes(file)
            let build = try JobForgeBinary.run(["build", "--step", "llm", "--db", file.path], in: folder.url)
            #expect(build.status == 1, "\(build.stderr)")
            #expect(build.stderr.contains("not a JobForge store"), "\(build.stderr)")
            #expect(fileBytes(file) == before)
        }
        let tables = try DatabaseQueue(path: foreign.path).read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        }
        #expect(tables == ["customers"], "no JobForge table was added to another application's database")
    }

    @Test("a store written by a newer JobForge (a migration this version does not know) is refused by readers and writers, unchanged")
    func newerStoreRefused() throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-newer")
        defer { folder.remove() }
        let path = folder.path("store.sqlite")
        _ = try SQLiteStore(path: path.path, schemas: StoreOptions.schemas)
        try DatabaseQueue(path: path.path).write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')")
        }
        let before = fileBytes(path)
        for command in [["show", "21211"], ["build", "--step", "llm"], ["titles"]] {
            let run = try JobForgeBinary.run(command + ["--db", path.path], in: folder.url)
            #expect(run.status == 1, "\(command): \(run.stderr)")
            #expect(run.stderr.contains("was written by a newer JobForge than this one (\(JobForgeVersion.current))"), "\(run.stderr)")
            #expect(run.stderr.contains("v99-from-the-future"))
            #expect(fileBytes(path) == before, "\(command) changed a newer store")
        }
    }

    @Test("read commands open the store read-only: a store in a read-only folder is readable, and SQLite itself refuses writes (even for root)")
    func readOnlyFolder() throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-readonly")
        defer {
            chmod(folder.path("locked").path, 0o755)
            folder.remove()
        }
        let built = try authoritativeStore(in: folder)
        let locked = folder.path("locked")
        try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true)
        let store = locked.appendingPathComponent("store.sqlite")
        try FileManager.default.copyItem(at: built, to: store)
        let exports = folder.path("exports")
        try FileManager.default.createDirectory(at: exports, withIntermediateDirectories: true)
        chmod(exports.path, 0o777)
        chmod(store.path, 0o444)
        chmod(locked.path, 0o555)
        let before = fileBytes(store)

        // chmod does not stop root: run the readers as `nobody` then, for whom the folder is read-only.
        let asNobody = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
        func reader(_ arguments: [String]) throws -> JobForgeBinary.Result {
            guard asNobody else { return try JobForgeBinary.run(arguments, in: folder.url) }
            return try ChildProcess.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups",
                                                             JobForgeBinary.url.path] + arguments, in: folder.url)
        }
        let show = try reader(["show", "21211", "--db", store.path])
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdout.hasPrefix("21211  Data scientists"))
        let descriptors = try reader(["descriptors", "--category", "skills", "--db", store.path])
        #expect(descriptors.status == 0, "\(descriptors.stderr)")
        let export = try reader(["export", "--out", exports.appendingPathComponent("csv").path, "--category", "skills",
                                 "--db", store.path])
        #expect(export.status == 0, "\(export.stderr)")
        #expect(FileManager.default.fileExists(atPath: exports.appendingPathComponent("csv/skills.csv").path))
        // As root too, a reader leaves the file as it was.
        let rootShow = try JobForgeBinary.run(["show", "21211.00", "--db", store.path], in: folder.url)
        #expect(rootShow.status == 0, "\(rootShow.stderr)")
        #expect(fileBytes(store) == before, "a read command changed the store")

        // The read-only mode is SQLite's: a write through it fails whoever runs the process.
        let reading = try SQLiteStore(path: built.path, schemas: StoreOptions.schemas, mode: .readOnly)
        #expect(throws: DatabaseError.self) {
            try reading.dbQueue.write { db in try db.execute(sql: "DELETE FROM step") }
        }
    }

    @Test("six processes creating the same new store at once all succeed, and the store has every migration once (five new stores in a row)")
    func concurrentCreation() throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-create-race")
        defer { folder.remove() }
        // The race is a matter of timing: five rounds make a store that is not safe fail nearly always.
        for round in 1...5 {
            let name = "new-\(round).sqlite"
            let runs = try ChildProcess.together(Array(repeating: ["build", "--step", "llm", "--db", name], count: 6),
                                                 in: folder.url)
            for run in runs {
                #expect(run.status == 0, "round \(round): \(run.stderr)")
                #expect(!run.stderr.contains("already exists"), "round \(round): \(run.stderr)")
            }
            let migrations = try DatabaseQueue(path: folder.path(name).path).read { db in
                try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
            }
            #expect(migrations.count == Set(migrations).count && migrations.contains("v1-core") && migrations.contains("v1-tbs"),
                    "\(migrations)")
        }
    }

    @Test("two builds started together on one new store: the second waits for the first and finds its steps done; the store equals one uninterrupted build's")
    func concurrentBuilds() throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-build-race")
        defer { folder.remove() }
        let alone = try JobForgeBinary.run(["build", "--db", "alone.sqlite"], in: folder.url)
        #expect(alone.status == 0, "\(alone.stderr)")

        let runs = try ChildProcess.together([["build", "--db", "shared.sqlite"], ["build", "--db", "shared.sqlite"]], in: folder.url)
        for run in runs { #expect(run.status == 0, "\(run.stderr)") }
        let waited = runs.filter { $0.stderr.contains("waiting for build run") && $0.stderr.contains("on this store") }
        #expect(waited.count == 1, "one build says it waits for the other: \(runs.map(\.stderr))")
        #expect(runs.filter { $0.stdout.contains("nothing changed") }.count == 1, "the second build finds every step done")

        let expected = try CLIEndToEndTests.storeContents("alone.sqlite", in: folder)
        let actual = try CLIEndToEndTests.storeContents("shared.sqlite", in: folder)
        #expect(actual.cells == expected.cells)
        #expect(actual.tables == expected.tables, "same rows per table, the override log included")
        func count(_ sql: String, _ file: String) throws -> Int {
            try DatabaseQueue(path: folder.path(file).path).read { db in try Int.fetchOne(db, sql: sql) ?? -1 }
        }
        for sql in ["SELECT COUNT(*) FROM onet_layer", "SELECT COUNT(*) FROM override_event", "SELECT COUNT(*) FROM provenance"] {
            #expect(try count(sql, "shared.sqlite") == count(sql, "alone.sqlite"), "\(sql)")
        }
    }

    @Test("onet import waits for a build that holds the store (it changes what the build's O*NET step reads), then loads")
    func onetImportWaitsForABuild() throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-import-wait")
        defer { folder.remove() }
        let store = folder.path("w.sqlite").path
        let (build, holding) = try JobForgeBinary.startBuildHeld(in: "onet", store: store)
        #expect(holding)
        let release = RepoPaths.data.appendingPathComponent("onet/db_29_3_text").path
        let results = ChildProcess.ResultBox(count: 1)
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            results.set(0, Result { try JobForgeBinary.run(["onet", "import", release, "--db", store], in: folder.url) })
            group.leave()
        }
        #expect(group.wait(timeout: .now() + 3) == .timedOut, "the import waits while the build holds the store")
        kill(build.processIdentifier, SIGKILL)
        build.waitUntilExit()
        group.wait()
        let imported = try results.all()[0]
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stderr.contains("waiting for build run"), "\(imported.stderr)")
        #expect(imported.stdout.contains("loaded O*NET 29.3"), "\(imported.stdout)")
    }

    @Test("a run whose process was killed is marked interrupted at the next write open, not left running")
    func killedRunIsInterrupted() throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-interrupted")
        defer { folder.remove() }
        let store = folder.path("k.sqlite").path
        let (process, holding) = try JobForgeBinary.startBuildHeld(in: "authoritative", store: store)
        #expect(holding)

        // While the run lives, a reader sees it running, and another run would wait for it.
        let statuses = { try DatabaseQueue(path: store).read { db in
            try Row.fetchAll(db, sql: "SELECT command, status, finished_at FROM run ORDER BY started_at")
        } }
        #expect(try statuses().map { $0["status"] as String } == ["running"])
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()

        let next = try JobForgeBinary.run(["build", "--step", "llm", "--db", store], in: folder.url)
        #expect(next.status == 0, "\(next.stderr)")
        let rows = try statuses()
        #expect(rows.map { $0["status"] as String } == ["interrupted", "ok"], "\(rows)")
        #expect(rows.first.map { ($0["finished_at"] as String?) != nil } == true)
    }
}

@Suite("exports and command errors", .serialized)
struct ExportAndErrorTests {
    /// A store with the authoritative layer and an imported architecture of hostile and unresolved titles.
    static func storeWithTitles(in folder: TemporaryDirectory) throws -> URL {
        let store = try authoritativeStore(in: folder)
        let csv = """
            Job ID,Job Title,NOC 2021
            X-1,"=HYPERLINK(""http://x"",""y"")",21211
            X-2,@SUM(1),21211
            X-3,-0.5,21211
            X-4,+Analyst,21211
            X-5,Roving generalist,

            """
        try Data(csv.utf8).write(to: folder.path("architecture.csv"))
        let imported = try JobForgeBinary.run(["titles", "import", "architecture.csv", "--db", store.path], in: folder.url)
        #expect(imported.status == 0, "\(imported.stderr)")
        return store
    }

    @Test("CSV exports neutralize cells a spreadsheet would run as formulas (OWASP), keep plain numbers, and JSON keeps the values")
    func csvInjection() throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-csv-injection")
        defer { folder.remove() }
        let store = try Self.storeWithTitles(in: folder)
        let csv = try JobForgeBinary.run(["export", "--out", "csv", "--source", "llm", "--db", store.path], in: folder.url)
        #expect(csv.status == 0, "\(csv.stderr)")
        let records = try CSVReader().records(try Data(contentsOf: folder.path("csv/titles.csv")), file: "titles.csv")
        let header = records[0].fields
        let id = try #require(header.firstIndex(of: "id")), title = try #require(header.firstIndex(of: "title"))
        var titles: [String: String] = [:]
        for record in records.dropFirst() { titles[record.fields[id]] = record.fields[title] }
        #expect(titles["X-1"] == "'=HYPERLINK(\"http://x\",\"y\")")
        #expect(titles["X-2"] == "'@SUM(1)")
        #expect(titles["X-3"] == "-0.5", "a plain number stays a number")
        #expect(titles["X-4"] == "'+Analyst")
        #expect(titles["X-5"] == "Roving generalist")

        let json = try JobForgeBinary.run(["export", "--format", "json", "--out", "json", "--source", "llm",
                                           "--db", store.path], in: folder.url)
        #expect(json.status == 0, "\(json.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.path("json/titles.json"))) as? [[String: Any]])
        #expect(rows.contains { $0["title"] as? String == "=HYPERLINK(\"http://x\",\"y\")" }, "JSON is not a spreadsheet: values as they are")

        let help = try JobForgeBinary.run(["export", "--help"], in: folder.url)
        #expect(help.stdout.contains("CSV injection"))
    }

    @Test("a failed export (the target is a folder, a write fails past a file-size limit, --out cannot be made) exits 1 with one clear line and leaves no .partial file")
    func failedExportLeavesNoPartialFile() throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-export-fail")
        defer { folder.remove() }
        let store = try authoritativeStore(in: folder)
        func partials(_ directory: String) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: folder.path(directory).path)) ?? []).filter { $0.hasSuffix(".partial") }
        }

        // The final rename fails: cells.csv is a folder holding someone's file.
        let blocked = folder.path("blocked/cells.csv")
        try FileManager.default.createDirectory(at: blocked, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: blocked.appendingPathComponent("keep.txt"))
        let renamed = try JobForgeBinary.run(["export", "--out", "blocked", "--source", "llm", "--db", store.path], in: folder.url)
        #expect(renamed.status == 1, "\(renamed.stderr)")
        #expect(renamed.stderr == "Error: cannot write \(blocked.path): Is a directory\n", "\(renamed.stderr)")
        #expect(partials("blocked").isEmpty, "\(partials("blocked"))")
        #expect(FileManager.default.fileExists(atPath: blocked.appendingPathComponent("keep.txt").path), "the folder in the way is kept")

        // A write fails (as on a full disk): past `ulimit -f`, write(2) returns EFBIG.
        let limited = try ChildProcess.run("/bin/sh", ["-c", "ulimit -f 200; exec \"$0\" \"$@\"", JobForgeBinary.url.path,
                                                       "export", "--out", "limited", "--category", "skills", "--db", store.path],
                                           in: folder.url)
        #expect(limited.status == 1, "\(limited.status) \(limited.stderr)")
        #expect(limited.stderr.contains("cannot write \(folder.path("limited/cells.csv").path): File too large"), "\(limited.stderr)")
        #expect(partials("limited").isEmpty, "\(partials("limited"))")

        // --out under a file: the folder cannot be made.
        try Data().write(to: folder.path("a-file"))
        let unwritable = try JobForgeBinary.run(["export", "--out", "a-file/out", "--db", store.path], in: folder.url)
        #expect(unwritable.status == 1)
        #expect(unwritable.stderr == "Error: cannot create the export folder a-file/out: Not a directory\n", "\(unwritable.stderr)")
    }

    @Test("errors in the data exit 1 without the usage banner; usage errors still exit 64; file errors name the path and reason in one line; show explains an unresolved title; --version")
    func errorsSayWhatAndWhatToDo() throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-errors")
        defer { folder.remove() }
        let store = try Self.storeWithTitles(in: folder)

        let unknown = try JobForgeBinary.run(["show", "99999", "--db", store.path], in: folder.url)
        #expect(unknown.status == 1, "\(unknown.stderr)")
        #expect(unknown.stderr.contains("no unit group, profile or job title \"99999\""))
        #expect(!unknown.stderr.contains("Usage:"), "\(unknown.stderr)")

        let usage = try JobForgeBinary.run(["show", "21211", "--min-confidence", "2", "--db", store.path], in: folder.url)
        #expect(usage.status == 64)
        #expect(usage.stderr.contains("Usage:"))

        let missingFile = try JobForgeBinary.run(["titles", "import", "missing.csv", "--db", store.path], in: folder.url)
        #expect(missingFile.status == 1)
        #expect(missingFile.stderr.contains(folder.path("missing.csv").path), "\(missingFile.stderr)")
        #expect(!missingFile.stderr.contains("NSCocoaErrorDomain") && !missingFile.stderr.contains("Usage:"), "\(missingFile.stderr)")
        #expect(missingFile.stderr.split(separator: "\n").count == 1, "\(missingFile.stderr)")

        let tbsExport = try JobForgeBinary.run(["tbs", "export", "--out", "architecture.csv/x", "--db", store.path], in: folder.url)
        #expect(tbsExport.status == 1)
        #expect(tbsExport.stderr.contains("architecture.csv/x: Not a directory"), "\(tbsExport.stderr)")
        #expect(!tbsExport.stderr.contains("NSCocoaErrorDomain"), "\(tbsExport.stderr)")

        let unresolved = try JobForgeBinary.run(["show", "X-5", "--db", store.path], in: folder.url)
        #expect(unresolved.status == 0, "\(unresolved.stderr)")
        #expect(unresolved.stdout.contains("job title X-5 is not resolved to an OaSIS profile (no_code"), "\(unresolved.stdout)")
        #expect(unresolved.stdout.contains("jobforge suggest-noc --apply"))
        #expect(!unresolved.stdout.contains("no values match the filters"))
        let filtered = try JobForgeBinary.run(["show", "X-4", "--source", "llm", "--db", store.path], in: folder.url)
        #expect(filtered.stdout.contains("no values match the filters"), "a resolved title with no value left by the filters")

        let version = try JobForgeBinary.run(["--version"], in: folder.url)
        #expect(version.status == 0)
        #expect(version.stdout == JobForgeVersion.current + "\n")
    }
}
