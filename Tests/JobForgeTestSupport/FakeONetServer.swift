import FlyingFox
import Foundation
import JobForgeCore

/// A loopback O*NET Web Services v2 fake (127.0.0.1, random port) that serves the shipped
/// database files in the v2 shapes of shared/contracts/onet-web-services-v2.md, and misbehaves
/// on request. It reads the files on its own (it does not share JobForgeONet's parser), so a
/// client test against it checks the client against the contract, not against itself.
///
/// Routes: `GET /about`, `GET /online/occupations/{code}/`,
/// `GET /database/rows/{table}?filter=onetsoc_code.eq.{code}&start=&end=` (paged, at most 2000
/// rows, `next` while more remain; 422 `{"error": ...}` when the code has no rows of that table).
/// A request without the right `X-API-Key` gets 403 with an HTML page, as the live service does.
public final class FakeONetServer: Sendable {
    /// A misbehaviour, used once by the next request whose path contains `pathContains`.
    public enum Fault: Sendable, Equatable {
        case rateLimited(retryAfter: String?)
        case serverError(Int)
        /// Waits this long, then answers normally.
        case slow(TimeInterval)
        /// A 200 whose JSON body is cut in the middle.
        case truncatedJSON
        /// 403 with an HTML page (a refused key).
        case forbiddenHTML
    }

    /// What the fake saw of one request (header names lowercased).
    public struct SeenRequest: Sendable {
        public var path: String
        public var query: [String: String]
        public var headers: [String: String]
        public var at: Date
    }

    public let baseURL: URL
    public let apiKey: String
    private let server: HTTPServer
    private let task: Task<Void, Error>
    private let state: State

    actor State {
        var faults: [(String?, Fault)] = []
        var seen: [SeenRequest] = []
        var latency: TimeInterval

        init(latency: TimeInterval) { self.latency = latency }

        func record(_ request: SeenRequest) { seen.append(request) }
        func add(_ fault: Fault, _ path: String?) { faults.append((path, fault)) }
        func takeFault(for path: String) -> Fault? {
            guard let index = faults.firstIndex(where: { $0.0 == nil || path.contains($0.0!) }) else { return nil }
            return faults.remove(at: index).1
        }
        func setLatency(_ value: TimeInterval) { latency = value }
    }

    /// The shipped database, indexed for serving: raw lines per table and code, turned into
    /// JSON rows only when asked for (parsing everything up front is slow in debug builds).
    struct Data: Sendable {
        var titles: [String: (String, String)] = [:]
        /// table id -> header fields
        var headers: [String: [String]] = [:]
        /// table id -> code -> raw lines
        var lines: [String: [String: [Substring]]] = [:]

        static let columnNames = ["O*NET-SOC Code": "onetsoc_code", "Element ID": "element_id", "Element Name": "element_name",
                                  "Scale ID": "scale_id", "Category": "category", "Data Value": "data_value", "N": "n",
                                  "Standard Error": "standard_error", "Lower CI Bound": "lower_ci_bound",
                                  "Upper CI Bound": "upper_ci_bound", "Recommend Suppress": "recommend_suppress",
                                  "Not Relevant": "not_relevant", "Date": "date_updated", "Domain Source": "domain_source"]
        static let numeric: Set<String> = ["data_value", "n", "standard_error", "lower_ci_bound", "upper_ci_bound", "category"]

        /// Some of one table's lines as a v2 `database/rows` JSON array: database column names,
        /// numbers as numbers, n/a as null. Written straight from the lines because building
        /// Foundation values and serializing them (12 ms a page with JSONSerialization, 2 ms with
        /// JSONEncoder) made the fake, not the client, most of a request's CPU.
        func rowsJSON(table: String, lines: ArraySlice<Substring>) -> String {
            let keys = (headers[table] ?? []).map { Data.columnNames[$0] }
            var json = "["
            for (position, line) in lines.enumerated() {
                if position > 0 { json += "," }
                json += "{"
                var first = true
                for (index, value) in line.split(separator: "\t", omittingEmptySubsequences: false).enumerated() where index < keys.count {
                    guard let key = keys[index] else { continue }
                    if !first { json += "," }
                    first = false
                    json += "\"\(key)\":"
                    if value == "n/a" || value.isEmpty { json += "null" }
                    else if Data.numeric.contains(key), let number = Double(value), number.isFinite { json += String(number) }
                    else { appendJSONString(value, to: &json) }
                }
                json += "}"
            }
            return json + "]"
        }
    }

    /// Starts the fake on 127.0.0.1 with a random port, serving the text-release folder `database`
    /// (default: the shipped `data/onet/db_29_3_text`).
    public static func start(database: URL = RepoPaths.data.appendingPathComponent("onet/db_29_3_text"),
                             apiKey: String = "fake-onet-key-0123456789", latency: TimeInterval = 0) async throws -> FakeONetServer {
        let data = try cachedLoad(database)
        let state = State(latency: latency)
        let server = HTTPServer(address: try .inet(ip4: "127.0.0.1", port: 0), timeout: 30,
                                pool: NoDelaySocketPool(base: HTTPServer.defaultPool()), logger: .disabled)
        let handler = Handler(data: data, state: state, apiKey: apiKey)
        await server.appendRoute("GET *", to: handler)
        let task = Task { try await server.run() }
        try await server.waitUntilListening(timeout: 120)
        guard case .ip4(_, let port)? = await server.listeningAddress else {
            task.cancel()
            throw NSError(domain: "FakeONetServer", code: 1, userInfo: [NSLocalizedDescriptionKey: "no listening port"])
        }
        return FakeONetServer(baseURL: URL(string: "http://127.0.0.1:\(port)/")!, apiKey: apiKey, server: server, task: task, state: state)
    }

    private init(baseURL: URL, apiKey: String, server: HTTPServer, task: Task<Void, Error>, state: State) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.server = server
        self.task = task
        self.state = state
    }

    public func stop() async {
        await server.stop(timeout: 0)
        task.cancel()
    }

    /// Queues a fault for the next request whose path contains `pathContains` (any request when nil).
    public func inject(_ fault: Fault, times: Int = 1, pathContains: String? = nil) async {
        for _ in 0..<times { await state.add(fault, pathContains) }
    }

    /// Latency added to every answer.
    public func setLatency(_ seconds: TimeInterval) async { await state.setLatency(seconds) }

    public var requests: [SeenRequest] { get async { await state.seen } }
    public var requestCount: Int { get async { await state.seen.count } }

    // MARK: Loading

    private static let loaded = LoadedDatabases()

    /// Parsing the files takes a while in debug builds: each folder is read once per process.
    final class LoadedDatabases: @unchecked Sendable {
        private let lock = NSLock()
        private var byPath: [String: Data] = [:]
        func get(_ folder: URL) throws -> Data {
            lock.lock(); defer { lock.unlock() }
            if let data = byPath[folder.path] { return data }
            let data = try FakeONetServer.load(folder)
            byPath[folder.path] = data
            return data
        }
    }

    static func cachedLoad(_ folder: URL) throws -> Data { try loaded.get(folder) }

    static func load(_ folder: URL) throws -> Data {
        var data = Data()
        for line in try lines(folder.appendingPathComponent("Occupation Data.txt")).dropFirst() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            if fields.count >= 3 { data.titles[String(fields[0])] = (String(fields[1]), String(fields[2])) }
        }
        let tables = ["skills": "Skills.txt", "knowledge": "Knowledge.txt", "abilities": "Abilities.txt",
                      "work_activities": "Work Activities.txt", "work_context": "Work Context.txt"]
        for (table, file) in tables {
            let url = folder.appendingPathComponent(file)
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            let all = try lines(url)
            guard let header = all.first else { continue }
            data.headers[table] = header.split(separator: "\t", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            var byCode: [String: [Substring]] = [:]
            for line in all.dropFirst() {
                guard let tab = line.firstIndex(of: "\t") else { continue }
                byCode[String(line[..<tab]), default: []].append(line)
            }
            data.lines[table] = byCode
        }
        return data
    }

    private static func lines(_ url: URL) throws -> [Substring] {
        try String(contentsOf: url, encoding: .utf8).split(whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
    }

    // MARK: Serving

    struct Handler: HTTPHandler {
        let data: Data
        let state: State
        let apiKey: String

        func handleRequest(_ request: FlyingFox.HTTPRequest) async throws -> FlyingFox.HTTPResponse {
            var headers: [String: String] = [:]
            for (name, value) in request.headers { headers[name.rawValue.lowercased()] = value }
            var query: [String: String] = [:]
            for item in request.query { query[item.name] = item.value }
            await state.record(SeenRequest(path: request.path, query: query, headers: headers, at: Date()))
            let latency = await state.latency
            if latency > 0 { try await Task.sleep(nanoseconds: UInt64(latency * 1_000_000_000)) }

            if let fault = await state.takeFault(for: request.path) {
                switch fault {
                case .rateLimited(let retryAfter):
                    var headers: [HTTPHeader: String] = [.contentType: "application/json"]
                    if let retryAfter { headers[HTTPHeader("Retry-After")] = retryAfter }
                    return FlyingFox.HTTPResponse(statusCode: .tooManyRequests, headers: headers,
                                                  body: Foundation.Data(#"{"error":"Too many requests"}"#.utf8))
                case .serverError(let status):
                    return FlyingFox.HTTPResponse(statusCode: HTTPStatusCode(status, phrase: "Server Error"),
                                                  headers: [.contentType: "text/plain"], body: Foundation.Data("internal error".utf8))
                case .slow(let seconds):
                    try await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
                case .truncatedJSON:
                    let body = route(request, query: query).body
                    return FlyingFox.HTTPResponse(statusCode: .ok, headers: [.contentType: "application/json"],
                                                  body: body.prefix(max(1, body.count / 2)))
                case .forbiddenHTML:
                    return forbidden()
                }
            }
            let key = request.headers[HTTPHeader("X-API-Key")]
            guard key == apiKey else { return forbidden() }
            let reply = route(request, query: query)
            return FlyingFox.HTTPResponse(statusCode: HTTPStatusCode(reply.status, phrase: reply.status == 200 ? "OK" : "Error"),
                                          headers: [.contentType: "application/json"], body: reply.body)
        }

        func route(_ request: FlyingFox.HTTPRequest, query: [String: String]) -> (status: Int, body: Foundation.Data) {
            let parts = request.path.split(separator: "/").map(String.init)
            if parts == ["about"] {
                return json(200, ["api_version": "2.0", "title": "O*NET Web Services (fake)"])
            }
            if parts.count == 3, parts[0] == "online", parts[1] == "occupations" {
                guard let (title, description) = data.titles[parts[2]] else {
                    return json(422, ["error": "Occupation code \(parts[2]) not found"])
                }
                return json(200, ["code": parts[2], "title": title, "description": description])
            }
            if parts.count == 3, parts[0] == "database", parts[1] == "rows" {
                guard data.headers[parts[2]] != nil else {
                    return json(422, ["error": "Unknown table \(parts[2])"])
                }
                let filter = query["filter"] ?? ""
                let prefix = "onetsoc_code.eq."
                guard filter.hasPrefix(prefix) else {
                    return json(422, ["error": "This fake needs filter=onetsoc_code.eq.CODE"])
                }
                let code = String(filter.dropFirst(prefix.count))
                guard let rows = data.lines[parts[2]]?[code], !rows.isEmpty else {
                    return json(422, ["error": "No \(parts[2]) data for occupation \(code)"])
                }
                let start = max(1, Int(query["start"] ?? "1") ?? 1)
                let end = min(start + 1999, Int(query["end"] ?? "2000") ?? 2000, max(rows.count, start))
                let slice = start <= rows.count ? rows[(start - 1)..<min(end, rows.count)] : []
                var page = "{\"start\":\(start),\"end\":\(min(end, rows.count)),\"total\":\(rows.count)"
                if end < rows.count {
                    let size = end - start + 1
                    page += ",\"next\":"
                    appendJSONString("https://api-v2.onetcenter.org/database/rows/\(parts[2])?filter=\(filter)&start=\(end + 1)&end=\(end + size)", to: &page)
                }
                page += ",\"row\":\(data.rowsJSON(table: parts[2], lines: slice))}"
                return (200, Foundation.Data(page.utf8))
            }
            return json(404, ["error": "not found: \(request.path)"])
        }

        func json(_ status: Int, _ object: [String: String]) -> (status: Int, body: Foundation.Data) {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            return (status, (try? encoder.encode(object)) ?? Foundation.Data())
        }

        func forbidden() -> FlyingFox.HTTPResponse {
            let html = "<!DOCTYPE html><html><head><title>403 Forbidden</title></head><body><h1>Forbidden</h1><p>Invalid API key.</p></body></html>"
            return FlyingFox.HTTPResponse(statusCode: .forbidden, headers: [.contentType: "text/html"], body: Foundation.Data(html.utf8))
        }
    }
}

/// Appends `text` as a JSON string literal.
private func appendJSONString(_ text: some StringProtocol, to json: inout String) {
    json += "\""
    // Nearly every value needs no escaping: copy it whole.
    if text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": json += "\\\""
            case "\\": json += "\\\\"
            case _ where scalar.value < 0x20: json += String(format: "\\u%04x", scalar.value)
            default: json.unicodeScalars.append(scalar)
            }
        }
    } else {
        json += text
    }
    json += "\""
}
