import Foundation
import GRDB
import JobForgeTestSupport
import Testing

/// The LLM commands' failure paths, as a user meets them: real `jobforge` processes against the
/// loopback fake, each under a time limit so that a hang fails the test instead of hanging CI.
@Suite("LLM faults, end to end", .serialized)
struct LLMFaultCLITests {
    /// A store built once (the sample architecture, the authoritative and O*NET steps), without
    /// holding a thread while it builds; each test copies it.
    actor BuiltStore {
        static let shared = BuiltStore()
        private var built: URL?

        func url() async throws -> URL {
            if let built { return built }
            let folder = try TemporaryDirectory(prefix: "jobforge-llm-faults-store")
            let build = try await JobForgeBinary.run(["build"], in: folder.url, timeout: 600)
            guard build.status == 0 else { throw SetupFailure("build failed: \(build.stderr)") }
            built = folder.path("jobforge.sqlite")
            return folder.path("jobforge.sqlite")
        }
    }

    static func store(in folder: TemporaryDirectory) async throws -> String {
        let path = folder.path("jobforge.sqlite")
        try FileManager.default.copyItem(at: try await BuiltStore.shared.url(), to: path)
        return path.path
    }

    /// One title's cells (263 of them): enough batches to keep 8 requests in flight.
    static let oneTitle = ["--titles", "JA-0001"]

    /// The `run` rows of a store: command and status.
    static func runs(_ path: String) throws -> [(command: String, status: String)] {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT command, status FROM run ORDER BY started_at, rowid").map { ($0["command"], $0["status"] ?? "running") }
        }
    }

    // MARK: 1. 401 / 404 with requests in flight

    @Test("impute with a revoked key (401) and 8 requests in flight fails fast and non-zero, 50 times out of 50; so does build's LLM step")
    func unauthorizedNeverHangs() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-401")
        defer { folder.remove() }
        let db = try await Self.store(in: folder)
        let fake = try await FakeOpenAIServer.start()
        defer { Task { await fake.stop() } }
        let environment = ["OPENAI_BASE_URL": await fake.baseURL.absoluteString, "OPENAI_API_KEY": "sk-revoked-key-0123456789"]
        var slowest = 0.0
        for attempt in 1...50 {
            let run = try await JobForgeBinary.run(["impute", "--db", db, "--concurrency", "8", "--batch-size", "2"] + Self.oneTitle,
                                                   in: folder.url, environment: environment, timeout: 30)
            slowest = max(slowest, run.seconds)
            try #require(!run.timedOut, "run \(attempt) hung with a 401 (killed after 30 s)")
            #expect(run.status != 0, "run \(attempt)")
            #expect(run.stderr.contains("HTTP 401") && run.stderr.contains("OPENAI_API_KEY"), "run \(attempt): \(run.stderr)")
            #expect(!run.stderr.contains("sk-revoked-key-0123456789"))
        }
        // build's LLM step asks only about the user's titles (the sample is a demonstration): import one.
        let architecture = folder.path("mine.csv")
        try "id,title,noc_2021\nM-1,Data scientists,21211\n".write(to: architecture, atomically: true, encoding: .utf8)
        let imported = try await JobForgeBinary.run(["titles", "import", architecture.path, "--db", db], in: folder.url)
        try #require(imported.status == 0, "\(imported.stderr)")
        for attempt in 1...3 {
            let build = try await JobForgeBinary.run(["build", "--db", db, "--step", "llm", "--concurrency", "8"], in: folder.url,
                                                     environment: environment, timeout: 90)
            try #require(!build.timedOut, "build \(attempt) hung with a 401")
            #expect(build.status != 0)
            #expect(build.stderr.contains("HTTP 401"))
        }
        let runs = try Self.runs(db).filter { ($0.command != "build" || $0.status != "ok") && $0.command != "titles import" }.suffix(53)
        #expect(runs.count == 53)
        #expect(runs.allSatisfy { $0.status.hasPrefix("failed: ") && $0.status.contains("HTTP 401") }, "no run is left running: \(runs.map(\.status).prefix(3))")
        print("401: slowest of 50 impute runs \(String(format: "%.2f", slowest)) s")
    }

    @Test("impute against a wrong endpoint (404) with 8 requests in flight fails fast and non-zero, 50 times out of 50")
    func notFoundNeverHangs() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-404")
        defer { folder.remove() }
        let db = try await Self.store(in: folder)
        let fake = try await FakeOpenAIServer.start()
        defer { Task { await fake.stop() } }
        // The fake serves /v1/chat/completions only: anything else is a 404.
        let environment = ["OPENAI_BASE_URL": "http://127.0.0.1:\(await fake.port)/wrong/v1", "OPENAI_API_KEY": await fake.apiKey ?? ""]
        for attempt in 1...50 {
            let run = try await JobForgeBinary.run(["impute", "--db", db, "--concurrency", "8", "--batch-size", "2"] + Self.oneTitle,
                                                   in: folder.url, environment: environment, timeout: 30)
            try #require(!run.timedOut, "run \(attempt) hung with a 404 (killed after 30 s)")
            #expect(run.status != 0, "run \(attempt)")
            #expect(run.stderr.contains("HTTP 404"), "run \(attempt): \(run.stderr)")
        }
        let runs = try Self.runs(db).filter { $0.command == "impute" }
        #expect(runs.count == 50)
        #expect(runs.allSatisfy { $0.status.hasPrefix("failed: ") })
    }

    // MARK: 8. Unreachable endpoint, every request failed

    @Test("impute and suggest-noc against a closed loopback port exit non-zero within seconds, naming the host")
    func unreachableFailsFast() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-unreachable")
        defer { folder.remove() }
        let db = try await Self.store(in: folder)
        let port = try ClosedPort.take()
        let environment = ["OPENAI_BASE_URL": "http://127.0.0.1:\(port)/v1", "OPENAI_API_KEY": "sk-test-0123456789"]
        for command in [["impute"] + Self.oneTitle, ["suggest-noc"]] {
            let run = try await JobForgeBinary.run(command + ["--db", db], in: folder.url, environment: environment, timeout: 60)
            #expect(!run.timedOut)
            #expect(run.status != 0, "\(command)")
            #expect(run.seconds < 20, "\(command) took \(run.seconds) s (60 s and more before)")
            #expect(run.stderr.contains("cannot reach the server at 127.0.0.1:\(port)"), "\(command): \(run.stderr)")
            #expect(run.stderr.contains("OPENAI_BASE_URL"))
            print("unreachable: \(command[0]) exited \(run.status) after \(String(format: "%.2f", run.seconds)) s")
        }
        #expect(try Self.runs(db).suffix(2).allSatisfy { $0.status.contains("cannot reach") })
    }

    @Test("a run in which every request failed (HTTP 400 for each) exits non-zero; the failed cells are recorded")
    func everyRequestFailedExitsNonZero() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-all-failed")
        defer { folder.remove() }
        let db = try await Self.store(in: folder)
        // A model the fake does not serve: every request is answered 400, which no retry fixes.
        let fake = try await FakeOpenAIServer.start(expectedModel: "another-model")
        defer { Task { await fake.stop() } }
        let environment = ["OPENAI_BASE_URL": await fake.baseURL.absoluteString, "OPENAI_API_KEY": await fake.apiKey ?? ""]
        let run = try await JobForgeBinary.run(["impute", "--db", db] + Self.oneTitle, in: folder.url, environment: environment, timeout: 60)
        #expect(!run.timedOut)
        #expect(run.status != 0)
        #expect(run.stderr.contains("all 263 cells failed"), "\(run.stderr)")
        let queue = try DatabaseQueue(path: db)
        let failed = try await queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM llm_cell_outcome WHERE status = 'failed'") }
        try queue.close()
        #expect(failed == 263, "the failures are recorded, to be asked again")
        #expect(try Self.runs(db).last?.status.hasPrefix("failed: all 263 cells failed") == true)
    }

    // MARK: 10. Dry runs

    @Test("--dry-run sends nothing, for every command that has one",
          arguments: [["impute", "--dry-run"], ["suggest-noc", "--dry-run"], ["suggest-noc", "--dry-run", "--apply"],
                      ["build", "--dry-run"]])
    func dryRunSendsNothing(command: [String]) async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-dry-run")
        defer { folder.remove() }
        let db = try await Self.store(in: folder)
        let fake = try await FakeOpenAIServer.start()
        defer { Task { await fake.stop() } }
        let environment = ["OPENAI_BASE_URL": await fake.baseURL.absoluteString, "OPENAI_API_KEY": await fake.apiKey ?? ""]
        let before = try Self.runs(db).count
        let run = try await JobForgeBinary.run(command + ["--db", db], in: folder.url, environment: environment, timeout: 120)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(await fake.requestCount == 0, "\(command) sent requests")
        #expect(run.stdout.lowercased().contains("nothing was sent"), "\(run.stdout.suffix(400))")
        if command[0] == "suggest-noc" {
            #expect(try Self.runs(db).count == before, "a dry run records no run")
        }
    }

    // MARK: 2. llm cache clear

    @Test("llm cache clear --status invalid removes only answers that cannot be used; llm cache clear removes the rest")
    func cacheClear() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-cache-clear")
        defer { folder.remove() }
        let db = try await Self.store(in: folder)
        let good = #"{"id":"c1","model":"m","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","refusal":null,"content":"{\"answers\":[{\"attribute\":\"A1\",\"rationale\":\"r\",\"value\":3,\"confidence\":0.5}]}"}}]}"#
        let truncated = good.replacingOccurrences(of: "\"stop\"", with: "\"length\"")
        let queue = try DatabaseQueue(path: db)
        try await queue.write { db in
            for (hash, body) in [("good", good), ("cut", truncated), ("html", "<html>Bad gateway</html>")] {
                try db.execute(sql: """
                    INSERT INTO llm_response (model, prompt_hash, response_body, received_at, run_id)
                    VALUES ('gpt-4o-2024-08-06', ?, ?, '2026-01-01T00:00:00.000Z', 'r')
                    """, arguments: [hash, body])
            }
        }
        try queue.close()
        let invalid = try await JobForgeBinary.run(["llm", "cache", "clear", "--status", "invalid", "--db", db], in: folder.url, timeout: 60)
        #expect(invalid.status == 0, "\(invalid.stderr)")
        #expect(invalid.stdout.contains("2 cached invalid responses removed"), "\(invalid.stdout)")
        let count = try await JobForgeBinary.run(["llm", "cache", "--db", db], in: folder.url, timeout: 60)
        #expect(count.stdout.contains("1 cached responses"), "\(count.stdout)")
        let all = try await JobForgeBinary.run(["llm", "cache", "clear", "--db", db, "--json"], in: folder.url, timeout: 60)
        #expect(all.status == 0)
        #expect(all.stdout.contains("\"removed_responses\" : 1") || all.stdout.contains("\"removed_responses\":1"), "\(all.stdout)")
        let none = try await JobForgeBinary.run(["llm", "cache", "--db", db], in: folder.url, timeout: 60)
        #expect(none.stdout.contains("0 cached responses"))
        let bad = try await JobForgeBinary.run(["llm", "cache", "clear", "--status", "old", "--db", db], in: folder.url, timeout: 60)
        #expect(bad.status != 0)
    }

    // MARK: 15. Secrets

    @Test("a server echoing the key, and a base URL with a password: neither is in the store's bytes nor in anything printed")
    func credentialsNeverStoredOrPrinted() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-secrets")
        defer { folder.remove() }
        let db = try await Self.store(in: folder)
        let fake = try await FakeOpenAIServer.start()
        defer { Task { await fake.stop() } }
        let key = try #require(await fake.apiKey)
        let password = "pw-9f8e7d6c5b4a"
        await fake.inject(.echoAuthorization, times: nil)
        let environment = ["OPENAI_BASE_URL": "http://jobforge:\(password)@127.0.0.1:\(await fake.port)/v1", "OPENAI_API_KEY": key]
        var printed = ""
        let impute = try await JobForgeBinary.run(["impute", "--db", db] + Self.oneTitle, in: folder.url, environment: environment, timeout: 120)
        #expect(impute.status == 0, "\(impute.stderr)")
        #expect(impute.stdout.contains("263 answered"), "\(impute.stdout)")
        printed += impute.stdout + impute.stderr
        for command in [["impute", "--dry-run"] + Self.oneTitle, ["llm", "outcomes", "--title", "JA-0001"],
                        ["explain", "JA-0001", "F01b02"], ["export", "--format", "json", "--out", "out", "--source", "llm"]] {
            let run = try await JobForgeBinary.run(command + ["--db", db], in: folder.url, environment: environment, timeout: 120)
            #expect(run.status == 0, "\(command): \(run.stderr)")
            printed += run.stdout + run.stderr
        }
        // A failing run prints and stores its error (with the URL) too.
        await fake.clearFaults()
        await fake.inject(.unauthorized, times: nil)
        let failing = try await JobForgeBinary.run(["impute", "--db", db, "--titles", "JA-0002"], in: folder.url, environment: environment, timeout: 60)
        #expect(failing.status != 0)
        printed += failing.stdout + failing.stderr
        #expect(printed.contains("REDACTED"), "the echoed key shows as REDACTED")
        #expect(!printed.contains(key))
        #expect(!printed.contains(password))

        var files = try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter { $0.hasPrefix("jobforge.sqlite") }
        files += try FileManager.default.contentsOfDirectory(atPath: folder.path("out").path).map { "out/\($0)" }
        for file in files {
            let bytes = try Data(contentsOf: folder.path(file))
            #expect(bytes.range(of: Data(key.utf8)) == nil, "\(file) holds the key")
            #expect(bytes.range(of: Data(password.utf8)) == nil, "\(file) holds the password")
        }
        let queue = try DatabaseQueue(path: db)
        let redacted = try await queue.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM llm_cell_outcome WHERE rationale LIKE '%REDACTED%'") ?? 0
        }
        try queue.close()
        #expect(redacted == 263, "the echo reached the store, scrubbed")
    }
}

extension JobForgeBinary {
    struct TimedResult {
        var status: Int32
        var stdout: String
        var stderr: String
        var seconds: Double
        /// Still running at the time limit: killed.
        var timedOut: Bool
    }

    /// Runs the executable with a time limit; output goes to files so a chatty child never blocks,
    /// and the wait polls without holding a thread the loopback fakes need.
    static func run(_ arguments: [String], in directory: URL, environment: [String: String] = [:],
                    timeout: TimeInterval) async throws -> TimedResult {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = JobForgeBinary.environment(environment)
        let id = UUID().uuidString
        let outURL = FileManager.default.temporaryDirectory.appendingPathComponent("jobforge-\(id).out")
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("jobforge-\(id).err")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let started = Date()
        try process.run()
        var timedOut = false
        // The limit counts the time this poller was awake, each wake-up counting at most 100 ms:
        // when other tests hold the test process's threads, the loopback fake cannot answer
        // either, and that wait is not the child's.
        var counted = 0.0
        while process.isRunning {
            if counted > timeout {
                timedOut = true
                kill(process.processIdentifier, SIGKILL)
                break
            }
            let before = Date()
            try await Task.sleep(for: .milliseconds(20))
            counted += min(Date().timeIntervalSince(before), 0.1)
        }
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(started)
        try out.close()
        try err.close()
        return TimedResult(status: process.terminationStatus,
                           stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                           stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self),
                           seconds: seconds, timedOut: timedOut)
    }
}

struct SetupFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
