import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `jobforge-bench build [--runs N] [--binary PATH]`: times `jobforge build --step authoritative`
/// (the foundation: NOC and OaSIS) and the whole `jobforge build` from an empty store on the shipped data, a second (no-op) build, and `jobforge export`, each as a child process,
/// reporting wall time and the child's peak RSS.
func runBuildBenchmark(arguments: [String]) async throws {
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
        print("no jobforge binary at \(binary): build it first (swift build -c release --product jobforge) or pass --binary")
        exit(2)
    }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("jobforge-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }

    print("binary: \(binary)")
    print(String(format: "%-28@ %10@ %12@", "step" as NSString, "wall (s)" as NSString, "peak RSS (MB)" as NSString))
    for run in 1...runs {
        let db = folder.appendingPathComponent("bench-\(run).sqlite").path
        let foundation = folder.appendingPathComponent("bench-\(run)-foundation.sqlite").path
        for (label, args) in [("build NOC+OaSIS only", ["build", "--db", foundation, "--step", "authoritative"]),
                              ("build (empty store)", ["build", "--db", db]),
                              ("build again (no change)", ["build", "--db", db]),
                              ("export csv", ["export", "--db", db, "--format", "csv", "--out", folder.appendingPathComponent("out-\(run)").path])] {
            let (seconds, peakMB, status) = try measure(binary: binary, arguments: args)
            print(String(format: "%-28@ %10.3f %12.1f%@", "\(label) #\(run)" as NSString, seconds, peakMB,
                         (status == 0 ? "" : "  exit \(status)") as NSString))
        }
    }
}

/// Runs one child and measures it: wall time, and its own peak RSS through wait4's rusage.
/// posix_spawn rather than Foundation's Process, which reaps its children itself. Its output goes
/// to `output` (default: nowhere).
func measure(binary: String, arguments: [String], output: String = "/dev/null") throws -> (seconds: Double, peakMB: Double, status: Int32) {
    let argv: [UnsafeMutablePointer<CChar>?] = ([binary] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    var pid: pid_t = 0
    let started = Date()
    let spawned = posix_spawn(&pid, binary, &actions, nil, argv, environ)
    guard spawned == 0 else { throw NSError(domain: "bench", code: Int(spawned)) }
    var status: Int32 = 0
    var usage = rusage()
    _ = wait4(pid, &status, 0, &usage)
    let seconds = Date().timeIntervalSince(started)
    return (seconds, Double(usage.ru_maxrss) / 1024, (status >> 8) & 0xff)
}
