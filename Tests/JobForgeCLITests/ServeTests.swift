#if Server
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import JobForgeTestSupport
import Testing

/// `jobforge serve` over real HTTP on loopback: the shipped build's store, a child process, every
/// route checked against docs/openapi.json and against the CLI's own `--json`.
@Suite("serve over HTTP", .serialized)
struct ServeTests {
    /// A running `jobforge serve --port 0` and everything it wrote to stderr.
    final class Served: @unchecked Sendable {
        let process = Process()
        private let lock = NSLock()
        private var log = ""
        private(set) var port = 0

        var stderr: String { lock.withLock { log } }

        init(store: String, in folder: URL, extra: [String] = []) throws {
            process.executableURL = JobForgeBinary.url
            process.arguments = ["serve", "--db", store, "--port", "0"] + extra
            process.currentDirectoryURL = folder
            process.environment = JobForgeBinary.environment()
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            err.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let data = handle.availableData
                guard let self, !data.isEmpty else { return }
                self.lock.withLock { self.log += String(decoding: data, as: UTF8.self) }
            }
            try process.run()
            let deadline = Date().addingTimeInterval(120)
            while Date() < deadline, process.isRunning {
                if let match = stderr.firstMatch(of: /read-only at http:\/\/127\.0\.0\.1:(\d+)\//) {
                    port = Int(match.1) ?? 0
                    return
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
            process.terminate()
            throw SetupFailure("serve did not start: \(stderr)")
        }

        func get(_ path: String, method: String = "GET") async throws -> (status: Int, type: String, body: Data) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            request.httpMethod = method
            request.timeoutInterval = 900  // the first report page is made on request; a busy CI machine is slow
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = try #require(response as? HTTPURLResponse)
            return (http.statusCode, http.value(forHTTPHeaderField: "Content-Type") ?? "", data)
        }

        /// Sends `signal` and waits for the exit; nil if still running after 30 s.
        func stop(_ signal: Int32) -> Int32? {
            kill(process.processIdentifier, signal)
            let deadline = Date().addingTimeInterval(30)
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { process.terminate(); return nil }
            return process.terminationStatus
        }
    }

    static func store(in folder: TemporaryDirectory) async throws -> String {
        try await LLMFaultCLITests.store(in: folder)
    }

    /// Checks each response against the schema docs/openapi.json gives its route and status (Python's
    /// openapi-schema-validator, OpenAPI 3.1's JSON Schema dialect). Returns the failures.
    static func validate(_ responses: [(route: String, status: Int, media: String, body: Data)], in folder: URL) throws -> String {
        var manifest: [[String: Any]] = []
        for (index, response) in responses.enumerated() {
            let file = folder.appendingPathComponent("response-\(index).json")
            try response.body.write(to: file)
            manifest.append(["route": response.route, "status": String(response.status), "media": response.media, "file": file.path])
        }
        let manifestURL = folder.appendingPathComponent("manifest.json")
        try JSONSerialization.data(withJSONObject: manifest).write(to: manifestURL)
        let script = """
            import json, sys
            from openapi_schema_validator import OAS31Validator
            doc = json.load(open(sys.argv[1]))
            failures = []
            for item in json.load(open(sys.argv[2])):
                try:
                    schema = doc["paths"][item["route"]]["get"]["responses"][item["status"]]["content"][item["media"]]["schema"]
                except KeyError:
                    failures.append("%s %s %s: not in the document" % (item["route"], item["status"], item["media"])); continue
                root = dict(schema); root["components"] = doc["components"]
                for error in OAS31Validator(root).iter_errors(json.load(open(item["file"]))):
                    failures.append("%s %s: %s at %s" % (item["route"], item["status"], error.message[:200], list(error.absolute_path)))
            print("\\n".join(failures))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, RepoPaths.root.appendingPathComponent("docs/openapi.json").path, manifestURL.path]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw SetupFailure("the validator failed (pip install openapi-schema-validator; .ci/run does): \(errors)")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("every route answers as docs/openapi.json says, the same as the CLI's --json; errors are problem details; SIGTERM exits 0")
    func routes() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-serve")
        defer { folder.remove() }
        let store = try await Self.store(in: folder)
        let before = try Data(contentsOf: URL(fileURLWithPath: store))
        let served = try Served(store: store, in: folder.url)
        var checked: [(route: String, status: Int, media: String, body: Data)] = []
        func fetch(_ path: String, route: String, expect status: Int) async throws -> Data {
            let response = try await served.get(path)
            #expect(response.status == status, "\(path): \(String(decoding: response.body.prefix(300), as: UTF8.self))")
            let media = response.type.components(separatedBy: ";")[0]
            if media.hasSuffix("json") { checked.append((route, response.status, media, response.body)) }
            return response.body
        }

        let page = try JSONSerialization.jsonObject(with: try await fetch("/api/titles?limit=10&offset=280", route: "/api/titles", expect: 200)) as? [String: Any]
        #expect(page?["total"] as? Int == 285)
        #expect((page?["items"] as? [Any])?.count == 5, "the last page holds what is left")
        _ = try await fetch("/api/titles?unresolved=true", route: "/api/titles", expect: 200)
        let profile = try await fetch("/api/titles/JA-0002?category=skills&min_confidence=0.5&source=authoritative,onet", route: "/api/titles/{id}", expect: 200)
        _ = try await fetch("/api/cells/JA-0002/F01b02", route: "/api/cells/{subject}/{descriptor}", expect: 200)
        _ = try await fetch("/api/descriptors?category=work-context", route: "/api/descriptors", expect: 200)
        let coverage = try await fetch("/api/coverage", route: "/api/coverage", expect: 200)
        let review = try await fetch("/api/review", route: "/api/review", expect: 200)
        let whole = try await fetch("/api/titles/JA-0002", route: "/api/titles/{id}", expect: 200)
        _ = try await fetch("/api/tbs/groups", route: "/api/tbs/groups", expect: 404)  // no scrape in this store
        // Bad requests: 4xx problem details, never a 500.
        _ = try await fetch("/api/titles/NO-SUCH-TITLE", route: "/api/titles/{id}", expect: 404)
        _ = try await fetch("/api/titles/JA-0002?min_confidence=2", route: "/api/titles/{id}", expect: 400)
        _ = try await fetch("/api/titles/JA-0002?source=guess", route: "/api/titles/{id}", expect: 400)
        _ = try await fetch("/api/titles?offset=285", route: "/api/titles", expect: 404)
        _ = try await fetch("/api/titles?limit=0", route: "/api/titles", expect: 400)
        _ = try await fetch("/api/cells/JA-0002/NOT-A-DESCRIPTOR", route: "/api/cells/{subject}/{descriptor}", expect: 404)
        _ = try await fetch("/api/descriptors?category=hobbies", route: "/api/descriptors", expect: 400)
        let posted = try await served.get("/api/titles", method: "POST")
        #expect(posted.status == 405 && posted.type.hasPrefix("application/problem+json"), "read-only")
        for item in checked where item.status >= 400 {
            let problem = try #require(try JSONSerialization.jsonObject(with: item.body) as? [String: Any])
            #expect(problem["status"] as? Int == item.status && item.media == "application/problem+json", "\(item.route)")
        }
        let failures = try Self.validate(checked, in: folder.url)
        #expect(failures.isEmpty, "responses that do not match docs/openapi.json:\n\(failures)")

        // The same numbers as the CLI.
        let show = try await JobForgeBinary.run(["show", "JA-0002", "--json", "--db", store, "--category", "skills",
                                                 "--min-confidence", "0.5", "--source", "authoritative,onet"], in: folder.url, timeout: 120)
        #expect(try Self.canonical(profile) == (try Self.canonical(Data(show.stdout.utf8))), "/api/titles/JA-0002 = show --json")
        let showAll = try await JobForgeBinary.run(["show", "JA-0002", "--json", "--db", store], in: folder.url, timeout: 120)
        #expect(try Self.canonical(whole) == (try Self.canonical(Data(showAll.stdout.utf8))), "/api/titles/JA-0002 (every cell) = show --json")
        // The review queue's codes in doubt are the offline coder's, as in `titles review`, with the same evidence.
        let listed = try await JobForgeBinary.run(["titles", "review", "--json", "--db", store], in: folder.url, timeout: 300)
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        let inDoubt = expected.filter { $0["reason"] as? String == "code_in_doubt" }
        #expect(!inDoubt.isEmpty, "the shipped sample has titles whose NOC code the offline coder doubts")
        let queue = try #require(try JSONSerialization.jsonObject(with: review) as? [[String: Any]])
        for item in inDoubt {
            let match = queue.first { $0["id"] as? String == item["id"] as? String && $0["reason"] as? String == "code_in_doubt" }
            #expect(match?["note"] as? String == item["detail"] as? String && (match?["note"] as? String)?.contains("matched") == true,
                    "/api/review lists \(item["id"] ?? "?") as a code in doubt with its evidence")
            #expect(match?["action"] as? String == (item["actions"] as? [String])?.first)
        }
        #expect(queue.count == expected.count, "the same queue as titles review --json")
        let report = try await JobForgeBinary.run(["report", "--json", "--no-cost", "--db", store], in: folder.url, timeout: 600)
        let reportObject = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        #expect(try Self.canonical(coverage) == (try Self.canonical(JSONSerialization.data(withJSONObject: reportObject["coverage"] ?? [:]))),
                "/api/coverage = report --json's coverage")

        // The pages and the document.
        let home = try await served.get("/")
        #expect(home.status == 200 && String(decoding: home.body, as: UTF8.self).contains("data-metric=\"total-empty\""))
        let sheet = try await served.get("/titles/JA-0002")
        #expect(sheet.status == 200 && String(decoding: sheet.body, as: UTF8.self).contains("data-open=\"JA-0002\""))
        #expect(try await served.get("/titles/NOPE").status == 404)
        let document = try await served.get("/openapi.json")
        #expect(document.body == (try Data(contentsOf: RepoPaths.root.appendingPathComponent("docs/openapi.json"))), "served byte-identical")

        #expect(served.stop(SIGTERM) == 0, "SIGTERM: a clean exit")
        let lines = served.stderr.split(separator: "\n").filter { $0.hasPrefix("GET ") || $0.hasPrefix("POST ") }
        #expect(lines.count == checked.count + 5, "one log line per request (the JSON ones checked, then POST, /, two sheets, /openapi.json): \(served.stderr.suffix(800))")
        #expect(lines.contains { $0.hasPrefix("GET /api/titles/JA-0002 200 ") && $0.hasSuffix(" ms") })
        #expect(!served.stderr.contains("min_confidence"), "no query strings in the log")
        #expect(try Data(contentsOf: URL(fileURLWithPath: store)) == before, "the store is never written")
    }

    @Test("the served report page has no console error in a real browser; Ctrl-C (SIGINT) exits 0")
    func pagesInTheBrowser() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-serve-browser")
        defer { folder.remove() }
        let served = try Served(store: try await Self.store(in: folder), in: folder.url)
        let sheet = try HeadlessChromium.load("http://127.0.0.1:\(served.port)/titles/JA-0002")
        #expect(sheet.consoleLines.isEmpty, "\(sheet.consoleLines)")
        #expect(DOMElements(sheet.dom).with("data-descriptor").count > 300)
        let home = try HeadlessChromium.load("http://127.0.0.1:\(served.port)/", timeout: 600)
        #expect(home.consoleLines.isEmpty, "\(home.consoleLines)")
        #expect(DOMElements(home.dom).with("data-title").count == 285)
        #expect(served.stop(SIGINT) == 0)
    }

    @Test("a response kept in memory is made again once another process changed the store (titles pin)")
    func cacheSeesOtherProcesses() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-serve-cache")
        defer { folder.remove() }
        let store = try await Self.store(in: folder)
        let served = try Served(store: store, in: folder.url)
        let first = try await served.get("/api/titles/JA-0002")
        let page = try await served.get("/titles/JA-0002")
        let list = try await served.get("/api/titles?limit=5")
        let again = try await served.get("/api/titles/JA-0002")
        #expect(first.status == 200 && again.body == first.body, "answered again the same")
        let before = try #require(try JSONSerialization.jsonObject(with: first.body) as? [String: Any])
        #expect(before["related"] as? [String] != ["10011.00"], "the pin below changes the title's profile")

        let pin = try await JobForgeBinary.run(["titles", "pin", "JA-0002", "10011.00", "--reason", "test", "--db", store],
                                               in: folder.url, timeout: 300)
        #expect(pin.status == 0, "\(pin.stderr)")
        let after = try await served.get("/api/titles/JA-0002")
        let show = try await JobForgeBinary.run(["show", "JA-0002", "--json", "--db", store], in: folder.url, timeout: 120)
        #expect(after.status == 200 && after.body != first.body, "the pinned title's profile, not the one kept in memory")
        #expect(try Self.canonical(after.body) == (try Self.canonical(Data(show.stdout.utf8))), "= show --json after the pin")
        let pageAfter = try await served.get("/titles/JA-0002")
        #expect(pageAfter.body != page.body, "the HTML sheet too")
        // A page of the list: its items are kept apart from the responses, and forgotten with them.
        let listAfter = try await served.get("/api/titles?limit=5&offset=0")
        let items = try #require((try JSONSerialization.jsonObject(with: listAfter.body) as? [String: Any])?["items"] as? [[String: Any]])
        #expect(items.first { $0["id"] as? String == "JA-0002" }?["profileCode"] as? String == "10011.00", "the list after the pin")
        #expect(list.status == 200 && listAfter.body != list.body)
        #expect(served.stop(SIGTERM) == 0)
    }

    /// JSON with sorted keys, to compare documents whatever their formatting.
    static func canonical(_ data: Data) throws -> Data {
        try JSONSerialization.data(withJSONObject: try JSONSerialization.jsonObject(with: data), options: [.sortedKeys])
    }
}
#endif
