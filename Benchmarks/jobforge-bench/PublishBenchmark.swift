import Foundation
import JobForgeTestSupport

/// `jobforge-bench publish [--runs N] [--binary PATH]`: builds the shipped data, then times
/// `jobforge publish` into an empty PostgreSQL database (target: under 10 s), a second,
/// unchanged publish (target: under 1 s), and one after a title was pinned to another profile
/// (only that title's rows written), each as a child process, on a fresh copy of the store per run. The server is the one
/// `JOBFORGE_TEST_POSTGRES_URL` names, else a throwaway local cluster (`PostgresServer`).
/// The binary must be built with the trait: `swift build -c release --traits PostgreSQL`.
func runPublishBenchmark(arguments: [String]) async throws {
    var runs = 3
    var binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("jobforge").path
    var index = 0
    while index < arguments.count {
        switch arguments[index] {
        case "--runs": runs = Int(arguments[index + 1]) ?? runs; index += 2
        case "--binary": binary = arguments[index + 1]; index += 2
        default: index += 1
        }
    }
    guard FileManager.default.isExecutableFile(atPath: binary) else {
        print("no jobforge binary at \(binary): build it first (swift build -c release --traits PostgreSQL) or pass --binary")
        exit(2)
    }
    let server = try PostgresServer.shared()
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("jobforge-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let db = folder.appendingPathComponent("bench.sqlite").path
    let (_, _, built) = try measure(binary: binary, arguments: ["build", "--db", db])
    guard built == 0 else {
        print("jobforge build failed (exit \(built))")
        exit(1)
    }

    print("binary: \(binary)")
    print(String(format: "%-32@ %10@ %12@", "step" as NSString, "wall (s)" as NSString, "peak RSS (MB)" as NSString))
    for run in 1...runs {
        let (_, url) = try server.createDatabase()
        let copy = folder.appendingPathComponent("run-\(run).sqlite").path
        try FileManager.default.copyItem(atPath: db, toPath: copy)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        for label in ["publish (empty database)", "publish again (unchanged)", "publish (one title changed)"] {
            if label.hasPrefix("publish (one title") {
                let (_, _, pinned) = try measure(binary: binary, arguments: ["titles", "pin", "JA-0002", "10011.00", "--reason", "bench", "--db", copy])
                guard pinned == 0 else { print("titles pin failed (exit \(pinned))"); exit(1) }
            }
            let (seconds, peakMB, status) = try measure(binary: binary, arguments: ["publish", "--db", copy, "--to", url])
            print(String(format: "%-32@ %10.3f %12.1f%@", "\(label) #\(run)" as NSString, seconds, peakMB,
                         (status == 0 ? "" : "  exit \(status)") as NSString))
        }
    }
}
