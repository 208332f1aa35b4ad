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

/// `jobforge-bench serve [--requests 2000] [--clients 16] [--titles N]`: `jobforge serve`'s API on
/// loopback, loaded by concurrent clients over real HTTP; prints errors and latency percentiles,
/// overall and for profile pages (`/api/titles/{id}`, `/titles/{id}`).
func runServeBenchmark(arguments: [String]) async throws {
    let options = BenchOptions(arguments)
    let requests = options.int("--requests") ?? 2_000
    let clients = options.int("--clients") ?? 16
    let (store, directory) = try await builtStore(dataFolder: options.dataFolder, extraTitles: options.int("--titles"))
    defer { try? FileManager.default.removeItem(at: directory) }
    let ids = try TitleCatalog(store).titles().map(\.id)
    let api = ReadOnlyAPI(store: store)
    _ = await api.respond(method: "GET", path: "/api/coverage", query: [:])  // the report is made once, then cached
    let server = ReportServer(api: api, host: "127.0.0.1", port: 0) { _ in }
    let portBox = PortBox()
    let serverTask = Task { try await server.run { port in Task { await portBox.set(port) } } }
    var port: UInt16 = 0
    while port == 0 { try await Task.sleep(for: .milliseconds(20)); port = await portBox.port }

    let paths: [String] = (0..<requests).map { index in
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
    let session = URLSession(configuration: .ephemeral)
    let serverPort = port
    let started = DispatchTime.now().uptimeNanoseconds
    let results = try await withThrowingTaskGroup(of: [(String, Int, Double)].self) { group in
        for client in 0..<clients {
            group.addTask {
                var out: [(String, Int, Double)] = []
                for index in stride(from: client, to: paths.count, by: clients) {
                    let start = DispatchTime.now().uptimeNanoseconds
                    let (_, response) = try await session.data(from: URL(string: "http://127.0.0.1:\(serverPort)\(paths[index])")!)
                    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    out.append((paths[index], (response as? HTTPURLResponse)?.statusCode ?? 0, seconds))
                }
                return out
            }
        }
        return try await group.reduce(into: []) { $0 += $1 }
    }
    let wall = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
    serverTask.cancel()
    let errors = results.filter { $0.1 != 200 }
    func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }
    let all = results.map(\.2)
    let profiles = results.filter { $0.0.hasPrefix("/titles/") || ($0.0.hasPrefix("/api/titles/") && !$0.0.contains("?")) }.map(\.2)
    print("serve: \(results.count) requests from \(clients) clients over loopback, \(ids.count) titles, \(errors.count) errors, \(String(format: "%.1f", wall)) s (\(String(format: "%.0f", Double(results.count) / wall)) req/s)")
    print("  all requests   p50 \(millis(percentile(all, 0.5)))  p99 \(millis(percentile(all, 0.99)))  max \(millis(all.max() ?? 0))")
    print("  profile pages  p50 \(millis(percentile(profiles, 0.5)))  p99 \(millis(percentile(profiles, 0.99)))  (\(profiles.count) requests)")
    for error in errors.prefix(5) { print("  error: \(error.0) -> \(error.1)") }
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
        arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? Int(arguments[$0 + 1]) : nil }
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
