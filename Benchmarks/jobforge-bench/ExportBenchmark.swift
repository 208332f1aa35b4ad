import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `jobforge-bench export [--reps N] [--titles 2000,20000] [--binary PATH] [--before PATH] [--data FOLDER]`:
/// `jobforge export --format csv` as a child process, against `sqlite3 -csv` of the same long rows
/// from a plain table (the shipped build's cells.csv imported into a copy of the store), repetitions
/// alternated in one run; then the same export with N generated titles imported. Reports wall time,
/// the long table's rows per second and the child's peak RSS, and the ratios to sqlite3 and to
/// `--before` (an earlier jobforge, run where it has at most 2,000 generated titles: it took minutes beyond).
func runExportBenchmark(arguments: [String]) throws {
    var reps = 3
    var titleCounts = [2_000, 20_000]
    var binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("jobforge").path
    var before: String?
    var dataFolder = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("data")
    var index = 0
    while index + 1 < arguments.count {
        let value = arguments[index + 1]
        switch arguments[index] {
        case "--reps": reps = max(1, Int(value) ?? reps)
        case "--titles": titleCounts = value.split(separator: ",").compactMap { Int($0) }
        case "--binary": binary = value
        case "--before": before = value
        case "--data": dataFolder = URL(fileURLWithPath: value)
        default: break
        }
        index += 2
    }
    for program in [binary] + (before.map { [$0] } ?? []) where !FileManager.default.isExecutableFile(atPath: program) {
        print("no jobforge binary at \(program): build it first (swift build -c release --product jobforge) or pass --binary")
        exit(2)
    }
    let sqlite3 = "/usr/bin/sqlite3"
    guard FileManager.default.isExecutableFile(atPath: sqlite3) else {
        print("no \(sqlite3): install it (apt-get install sqlite3) for the reference timing")
        exit(2)
    }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("jobforge-bench-export-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
    func run(_ program: String, _ arguments: [String], output: String = "/dev/null") throws {
        let (_, _, status) = try measure(binary: program, arguments: arguments, output: output)
        guard status == 0 else {
            print("\(program) \(arguments.joined(separator: " ")) failed with status \(status)")
            exit(1)
        }
    }

    // The stores: the shipped build, then copies of it with generated titles imported.
    let shipped = path("shipped.sqlite")
    try run(binary, ["build", "--db", shipped, "--data", dataFolder.path])
    var cases: [(name: String, store: String, titles: Int)] = [("shipped build", shipped, 0)]
    for count in titleCounts {
        let store = path("titles-\(count).sqlite")
        try FileManager.default.copyItem(atPath: shipped, toPath: store)
        let input = path("titles-\(count).csv")
        try generatedArchitecture(count: count, dataFolder: dataFolder).write(to: URL(fileURLWithPath: input))
        try run(binary, ["titles", "import", input, "--db", store, "--data", dataFolder.path])
        cases.append(("+\(count) titles", store, count))
    }

    /// One export: its time, peak RSS and the long table's rows (from the command's own report).
    func export(_ program: String, _ store: String) throws -> (seconds: Double, peakMB: Double, rows: Int) {
        let out = path("out"), report = path("report.txt")
        try? FileManager.default.removeItem(atPath: out)
        let (seconds, peakMB, status) = try measure(binary: program, arguments: ["export", "--db", store, "--format", "csv", "--out", out],
                                                    output: report)
        guard status == 0 else {
            print("\(program) export failed with status \(status)")
            exit(1)
        }
        // `wrote /.../cells.csv (547774 rows)`
        let line = try String(contentsOfFile: report, encoding: .utf8).split(separator: "\n").first { $0.contains("/cells.csv ") }
        let rows = line.flatMap { Int($0.split(separator: "(").last?.split(separator: " ").first ?? "") } ?? 0
        return (seconds, peakMB, rows)
    }

    // The reference: the shipped build's long rows in a plain table of a copy of the store.
    let reference = path("reference.sqlite")
    try FileManager.default.copyItem(atPath: shipped, toPath: reference)
    _ = try export(binary, shipped)
    try run(sqlite3, [reference, ".import --csv \(path("out/cells.csv")) long_cells"])

    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    print("binary: \(binary)" + (before.map { ", before: \($0)" } ?? "") + ", \(reps) repetitions alternated")
    print(String(format: "%-22@ %-10@ %10@ %12@ %12@", "case" as NSString, "program" as NSString, "wall (s)" as NSString,
                 "rows/s" as NSString, "peak RSS MB" as NSString))
    for (name, store, titles) in cases {
        var programs: [(label: String, time: () throws -> (Double, Double, Int))] = [("export", { try export(binary, store) })]
        if let before, titles <= 2_000 { programs.insert(("before", { try export(before, store) }), at: 0) }
        if titles == 0 {
            let rows = try export(binary, store).rows
            programs.append(("sqlite3", {
                let (seconds, peakMB, status) = try measure(binary: sqlite3, arguments: ["-csv", reference, "SELECT * FROM long_cells"],
                                                            output: path("sqlite3.csv"))
                guard status == 0 else { print("sqlite3 failed with status \(status)"); exit(1) }
                return (seconds, peakMB, rows)
            }))
        }
        var results: [String: [(seconds: Double, peakMB: Double, rows: Int)]] = [:]
        for _ in 1...reps {
            for program in programs { results[program.label, default: []].append(try program.time()) }
        }
        for program in programs {
            let runs = results[program.label]!
            let seconds = median(runs.map(\.seconds))
            let rows = runs[0].rows
            print(String(format: "%-22@ %-10@ %10.2f %12.0f %12.1f   (runs: %@)", name as NSString, program.label as NSString, seconds,
                         Double(rows) / seconds, runs.map(\.peakMB).max()!,
                         runs.map { String(format: "%.2f", $0.seconds) }.joined(separator: " ") as NSString))
        }
        let exportTime = median(results["export"]!.map(\.seconds))
        if let sqlite = results["sqlite3"] {
            print(String(format: "  export / sqlite3 = %.2f (median of each; %d long rows)", exportTime / median(sqlite.map(\.seconds)),
                         results["export"]![0].rows))
        }
        if let earlier = results["before"] {
            print(String(format: "  before / export = %.2f", median(earlier.map(\.seconds)) / exportTime))
        }
    }
}
