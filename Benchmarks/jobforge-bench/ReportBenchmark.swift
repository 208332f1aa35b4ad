import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import JobForgeBuild
import JobForgeReport
import JobForgeServer
import JobForgeStore
import JobForgeTitles

/// `jobforge-bench report [--titles N] [--sheets N] [--data FOLDER]`: the shipped build, plus N
/// generated titles when given (a 20,000-title architecture: `--titles 20000`); prints the time
/// to read the report (with and without the LLM cost estimate), to render the HTML, and its size.
func runReportBenchmark(arguments: [String]) async throws {
    let options = BenchOptions(arguments)
    let titles = options.int("--titles")
    let sheets = options.int("--sheets") ?? 1_000
    let (store, directory) = try await builtStore(dataFolder: options.dataFolder, extraTitles: titles)
    defer { try? FileManager.default.removeItem(at: directory) }
    let count = try TitleCatalog(store).count()

    let (withoutCost, readTime) = try await measureAsync { try await ReportBuilder(store: store, sheetLimit: sheets, estimatesCost: false).build() }
    let (html, renderTime) = measure { HTMLReport(withoutCost, language: .english).render() }
    let (_, costTime) = try await measureAsync { try await ReportBuilder(store: store, sheetLimit: 0).build() }
    print("report of \(count) titles (\(withoutCost.model.sheetCount) sheets), release build:")
    print("  read (coverage, review, sheets, history)  \(millis(readTime))")
    print("  read with the LLM cost estimate (0 sheets) \(millis(costTime))")
    print("  render HTML                               \(millis(renderTime))")
    print("  total (read + cost + render)              \(millis(readTime + costTime + renderTime))")
    print(String(format: "  file size                                 %8.2f MB", Double(html.utf8.count) / 1_000_000))
}

/// `jobforge-bench serve [--requests 2000] [--clients 16] [--titles N] [--jobforge A,B] [--rounds N] [--client socket|urlsession]`:
/// `jobforge serve`'s API on loopback, loaded by concurrent clients over real HTTP; prints errors
/// and latency percentiles per route, for each URL's first request (cold: made by the server) and
/// the later ones (warm: answered again, from the response cache when there is one).
///
/// With `--jobforge`, each binary given (an old and a new build, say) serves the same store as
/// its own process, in turn, `--rounds` times; the server's CPU (user + sys, from /proc) per
/// request and its peak RSS are printed with the latencies. Without it, the server runs in this
/// process (no CPU figure: the clients share it).
///
/// The clients (`--client`): `socket` (the default), a bare kept-alive HTTP/1.1 connection each
/// (``LoopbackHTTPConnection``), so that the clients, on the server's own cores here, take as
/// little of its CPU as clients on other machines would; `urlsession`, Foundation's client, which
/// spends about as much CPU per request as the server (the figures before 2026-12-07).
func runServeBenchmark(arguments: [String]) async throws {
    let options = BenchOptions(arguments)
    let requests = options.int("--requests") ?? 2_000
    let clients = options.int("--clients") ?? 16
    let rounds = options.int("--rounds") ?? 1
    let binaries = options.string("--jobforge")?.split(separator: ",").map(String.init) ?? []
    let client = options.string("--client") ?? "socket"
    guard client == "socket" || client == "urlsession" else {
        throw LoopbackHTTPConnection.Failure(description: "--client: socket or urlsession, not \(client)")
    }
    let load = client == "socket" ? loadServerWithSockets : loadServer
    let (store, directory) = try await builtStore(dataFolder: options.dataFolder, extraTitles: options.int("--titles"))
    defer { try? FileManager.default.removeItem(at: directory) }
    let ids = try TitleCatalog(store).titles().map(\.id)
    let paths = serveLoad(ids: ids, requests: requests)
    print("serve: \(requests) requests from \(clients) clients (\(client)) over loopback, \(ids.count) titles, release build")
    guard !binaries.isEmpty else {
        let api = ReadOnlyAPI(store: store)
        let server = ReportServer(api: api, host: "127.0.0.1", port: 0) { _ in }
        let portBox = PortBox()
        let serverTask = Task { try await server.run { port in Task { await portBox.set(port) } } }
        var port: UInt16 = 0
        while port == 0 { try await Task.sleep(for: .milliseconds(20)); port = await portBox.port }
        let (results, wall) = try await load(port, paths, clients)
        serverTask.cancel()
        printServeResults("in process", results, wall: wall, cpu: nil, peakRSS: nil)
        return
    }
    for round in 1...rounds {
        for binary in binaries {
            let served = try ServedProcess(binary: binary, store: store.path, folder: directory)
            let cpuBefore = served.cpuSeconds()
            let (results, wall) = try await load(served.port, paths, clients)
            let cpu = served.cpuSeconds() - cpuBefore
            let rss = served.peakRSSKilobytes()
            served.stop()
            printServeResults("round \(round), \(binary)", results, wall: wall, cpu: cpu, peakRSS: rss)
        }
    }
}

/// The issue's mix: profile pages (JSON, filtered JSON, HTML), title pages, one cell, coverage, review.
func serveLoad(ids: [String], requests: Int) -> [String] {
    (0..<requests).map { index in
        let id = ids[index % ids.count]
        switch index % 8 {
        case 0, 1, 2: return "/api/titles/\(id)"
        case 3: return "/titles/\(id)"
        case 4: return "/api/titles/\(id)?category=skills&min_confidence=0.5"
        case 5: return "/api/titles?limit=50&offset=\(index % max(1, ids.count))"
        case 6: return "/api/cells/\(id)/F01b02"
        default: return index % 16 == 7 ? "/api/coverage" : "/api/review"
        }
    }
}

struct ServeResult {
    var path: String
    var status: Int
    var seconds: Double
    /// The first request of its URL in the order sent.
    var isFirst: Bool
}

func loadServer(port: UInt16, paths: [String], clients: Int) async throws -> ([ServeResult], Double) {
    var seen = Set<String>()
    let first = paths.map { seen.insert($0).inserted }
    let configuration = URLSessionConfiguration.ephemeral
    configuration.httpMaximumConnectionsPerHost = clients
    let session = URLSession(configuration: configuration)
    let started = DispatchTime.now().uptimeNanoseconds
    let results = try await withThrowingTaskGroup(of: [ServeResult].self) { group in
        for client in 0..<clients {
            group.addTask {
                var out: [ServeResult] = []
                for index in stride(from: client, to: paths.count, by: clients) {
                    let start = DispatchTime.now().uptimeNanoseconds
                    let (_, response) = try await session.data(from: URL(string: "http://127.0.0.1:\(port)\(paths[index])")!)
                    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    out.append(ServeResult(path: paths[index], status: (response as? HTTPURLResponse)?.statusCode ?? 0,
                                           seconds: seconds, isFirst: first[index]))
                }
                return out
            }
        }
        return try await group.reduce(into: []) { $0 += $1 }
    }
    session.invalidateAndCancel()
    return (results, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
}

/// The route a benchmark path exercises, as the issue names them.
func serveRoute(_ path: String) -> String {
    if path.hasPrefix("/titles/") { return "/titles/{id} (HTML)" }
    if path.hasPrefix("/api/titles/") { return path.contains("?") ? "/api/titles/{id}?filter" : "/api/titles/{id}" }
    if path.hasPrefix("/api/titles") { return "/api/titles" }
    if path.hasPrefix("/api/cells/") { return "/api/cells/{id}/{code}" }
    return String(path.prefix { $0 != "?" })
}

func printServeResults(_ label: String, _ results: [ServeResult], wall: Double, cpu: Double?, peakRSS: Int?) {
    func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }
    func line(_ name: String, _ rows: [ServeResult]) -> String {
        let cold = rows.filter(\.isFirst).map(\.seconds), warm = rows.filter { !$0.isFirst }.map(\.seconds)
        let all = rows.map(\.seconds)
        func pair(_ values: [Double]) -> String {
            values.isEmpty ? String(repeating: " ", count: 22) + "-"
                : String(format: "%4ld  p50 %7.1f p99 %7.1f", values.count, percentile(values, 0.5) * 1000, percentile(values, 0.99) * 1000)
        }
        return "  " + name.padding(toLength: 26, withPad: " ", startingAt: 0) + " all " + pair(all) + " | cold " + pair(cold) + " | warm " + pair(warm)
    }
    let errors = results.filter { $0.status != 200 }
    var head = "\(label): \(errors.count) errors, \(String(format: "%.1f", wall)) s wall, \(String(format: "%.0f", Double(results.count) / wall)) req/s"
    if let cpu { head += String(format: ", server CPU %.2f s (%.2f ms per request)", cpu, cpu * 1000 / Double(max(1, results.count))) }
    if let peakRSS { head += ", server peak RSS \(peakRSS / 1024) MB" }
    print(head)
    print("  (ms; cold: the first request of its URL, warm: the later ones)")
    print(line("all requests", results))
    let profiles = results.filter { $0.path.hasPrefix("/titles/") || ($0.path.hasPrefix("/api/titles/") && !$0.path.contains("?")) }
    print(line("profile pages", profiles))
    let routes = Dictionary(grouping: results, by: { serveRoute($0.path) }).sorted { $0.key < $1.key }
    for (route, rows) in routes { print(line(route, rows)) }
    for error in errors.prefix(5) { print("  error: \(error.path) -> \(error.status)") }
}

/// A `jobforge serve --port 0` child process on the store; its CPU and memory read from /proc.
final class ServedProcess {
    let process = Process()
    let port: UInt16

    init(binary: String, store: String, folder: URL) throws {
        let log = folder.appendingPathComponent("serve-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--db", store, "--port", "0"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        let deadline = Date().addingTimeInterval(300)
        var found: UInt16?
        while found == nil, Date() < deadline, process.isRunning {
            Thread.sleep(forTimeInterval: 0.05)
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            found = text.firstMatch(of: /read-only at http:\/\/127\.0\.0\.1:(\d+)\//).flatMap { UInt16($0.1) }
        }
        guard let found else {
            process.terminate()
            throw BenchFailure("\(binary) serve did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        }
        port = found
    }

    /// User + system CPU so far (/proc/PID/stat, fields 14 and 15, in clock ticks).
    func cpuSeconds() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// VmHWM: the peak resident set, in kB.
    func peakRSSKilobytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return nil }
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }

    func stop() {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

actor PortBox {
    var port: UInt16 = 0
    func set(_ value: UInt16) { port = value }
}

/// `--name value` options of a benchmark.
struct BenchOptions {
    let arguments: [String]
    init(_ arguments: [String]) { self.arguments = arguments }

    func int(_ name: String) -> Int? {
        string(name).flatMap { Int($0) }
    }

    func string(_ name: String) -> String? {
        arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
    }

    var dataFolder: URL {
        arguments.firstIndex(of: "--data").flatMap { $0 + 1 < arguments.count ? URL(fileURLWithPath: arguments[$0 + 1]) : nil }
            ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("data")
    }
}

/// A store built from the shipped data; with `extraTitles`, that many generated titles imported
/// in place of the sample (as `jobforge-bench titles` makes them), then built again.
func builtStore(dataFolder: URL, extraTitles: Int?) async throws -> (SQLiteStore, URL) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jobforge-bench-report-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let store = try SQLiteStore(path: directory.appendingPathComponent("bench.sqlite").path, schemas: BuildPipeline.schemas)
    let pipeline = BuildPipeline(options: .init(dataFolder: dataFolder))
    _ = try await pipeline.run(store: store)
    if let extraTitles {
        let importer = TitleImporter(resolver: try TitleImporter.resolver(store: store, dataDirectory: dataFolder))
        let input = try generatedArchitecture(count: extraTitles, dataFolder: dataFolder)
        _ = try store.withRun(command: "titles import") { runID in
            try store.dbQueue.write { db in
                try TitleCells.resolving(in: db, runID: runID) { db in try importer.importData(input, file: "bench.csv", in: db) }
            }
        }
    }
    return (store, directory)
}

func measure<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = DispatchTime.now().uptimeNanoseconds
    let result = try body()
    return (result, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
}

func measureAsync<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
    let start = DispatchTime.now().uptimeNanoseconds
    let result = try await body()
    return (result, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
}

func millis(_ seconds: Double) -> String { String(format: "%8.1f ms", seconds * 1000) }
