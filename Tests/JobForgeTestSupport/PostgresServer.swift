import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real PostgreSQL server for the tests: the one `JOBFORGE_TEST_POSTGRES_URL` names (an
/// administrator's URL with its password, as `.ci/run` sets it), else a throwaway cluster
/// started once per test process on a free loopback port, with a password-authenticated user,
/// and stopped when the process exits.
///
/// ```swift
/// let server = try PostgresServer.shared()
/// let url = try server.createDatabase()          // postgresql://jobforge:<password>@127.0.0.1:<port>/t_<uuid>
/// try server.query(url, "SELECT count(*) FROM jobforge.fact_cell")   // "547773"
/// ```
///
/// There is no fallback that skips: without PostgreSQL the tests that need it fail with a
/// message saying what to install.
public final class PostgresServer: Sendable {
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    public let host: String
    public let port: Int
    public let user: String
    public let password: String
    /// The database the administrator connects to in order to create the tests' databases.
    let adminDatabase: String
    let binaries: URL?

    init(host: String, port: Int, user: String, password: String, adminDatabase: String, binaries: URL?) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.adminDatabase = adminDatabase
        self.binaries = binaries
    }

    nonisolated(unsafe) private static var started: Result<PostgresServer, any Error>?
    private static let lock = NSLock()

    /// The server for this test process, started on first use.
    public static func shared() throws -> PostgresServer {
        try lock.withLock {
            if let started { return try started.get() }
            let result = Result { try start() }
            started = result
            return try result.get()
        }
    }

    /// `postgresql://user:password@host:port/database`.
    public func url(database: String, password: String? = nil) -> String {
        let secret = (password ?? self.password).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return "postgresql://\(user):\(secret)@\(host):\(port)/\(database)"
    }

    /// A new empty database; its URL (with the password).
    public func createDatabase() throws -> (name: String, url: String) {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        _ = try query(url(database: adminDatabase), "CREATE DATABASE \(name)")
        return (name, url(database: name))
    }

    /// Runs `sql` with psql; its rows, `|`-separated fields, one row a line.
    @discardableResult
    public func query(_ url: String, _ sql: String) throws -> String {
        let process = Process()
        process.executableURL = try Self.tool("psql", in: binaries)
        process.arguments = ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Unavailable(description: "psql failed (\(process.terminationStatus)) on \(sql): \(String(decoding: stderr, as: UTF8.self))")
        }
        return String(decoding: stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: Starting one

    static func start() throws -> PostgresServer {
        if let given = ProcessInfo.processInfo.environment["JOBFORGE_TEST_POSTGRES_URL"], !given.isEmpty {
            guard let components = URLComponents(string: given), let host = components.host, let user = components.user,
                  let password = components.password else {
                throw Unavailable(description: "JOBFORGE_TEST_POSTGRES_URL must be postgresql://user:password@host:port/database")
            }
            let database = String(components.path.drop { $0 == "/" })
            return PostgresServer(host: host, port: components.port ?? 5432, user: user,
                                  password: password.removingPercentEncoding ?? password,
                                  adminDatabase: database.isEmpty ? "postgres" : database, binaries: try? binaryFolder())
        }
        let binaries = try binaryFolder()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("jobforge-pg-\(UUID().uuidString)")
        let data = folder.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let password = "pw-" + UUID().uuidString
        try Data(password.utf8).write(to: folder.appendingPathComponent("password"))
        // initdb refuses to run as root: the cluster then belongs to the `postgres` user.
        var runAs: [String] = []
        if getuid() == 0 {
            guard getpwnam("postgres") != nil else {
                throw Unavailable(description: "running as root, the test server needs the user 'postgres' (apt-get install postgresql creates it)")
            }
            try run("/bin/chown", ["-R", "postgres:postgres", folder.path])
            runAs = ["/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]
        }
        func tool(_ name: String, _ arguments: [String]) throws {
            let path = try Self.tool(name, in: binaries).path
            if runAs.isEmpty { try run(path, arguments) } else { try run(runAs[0], Array(runAs.dropFirst()) + [path] + arguments) }
        }
        try tool("initdb", ["-D", data.path, "-U", "jobforge", "--auth=scram-sha-256",
                            "--pwfile=\(folder.appendingPathComponent("password").path)", "-E", "UTF8", "--no-sync", "--no-locale"])
        let port = Int(try ClosedPort.take())
        try tool("pg_ctl", ["-D", data.path, "-l", folder.appendingPathComponent("log").path, "-w", "-t", "60", "-o",
                            "-p \(port) -k \(folder.path) -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                            "start"])
        stopAtExit = (binaries, data, folder, runAs)
        atexit {
            guard let stop = PostgresServer.stopAtExit,
                  let pgctl = try? PostgresServer.tool("pg_ctl", in: stop.binaries).path else { return }
            let arguments = ["-D", stop.data.path, "-m", "immediate", "-w", "stop"]
            if stop.runAs.isEmpty {
                try? PostgresServer.run(pgctl, arguments)
            } else {
                try? PostgresServer.run(stop.runAs[0], Array(stop.runAs.dropFirst()) + [pgctl] + arguments)
            }
            try? FileManager.default.removeItem(at: stop.folder)
        }
        return PostgresServer(host: "127.0.0.1", port: port, user: "jobforge", password: password,
                              adminDatabase: "postgres", binaries: binaries)
    }

    nonisolated(unsafe) static var stopAtExit: (binaries: URL, data: URL, folder: URL, runAs: [String])?

    /// Where `initdb` and `pg_ctl` are: on PATH, else Debian's /usr/lib/postgresql/<version>/bin.
    static func binaryFolder() throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for folder in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(folder)/initdb") {
            return URL(fileURLWithPath: String(folder))
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            let folder = "/usr/lib/postgresql/\(version)/bin"
            if FileManager.default.isExecutableFile(atPath: "\(folder)/initdb") { return URL(fileURLWithPath: folder) }
        }
        throw Unavailable(description: """
            PostgreSQL is not installed: the publish tests need a real server. Install it (apt-get install postgresql) \
            or set JOBFORGE_TEST_POSTGRES_URL=postgresql://user:password@host:port/postgres (.ci/run does both)
            """)
    }

    static func tool(_ name: String, in folder: URL?) throws -> URL {
        if let folder, FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent(name).path) {
            return folder.appendingPathComponent(name)
        }
        for candidate in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            where FileManager.default.isExecutableFile(atPath: "\(candidate)/\(name)") {
            return URL(fileURLWithPath: "\(candidate)/\(name)")
        }
        return try binaryFolder().appendingPathComponent(name)
    }

    /// Runs a tool and waits for it. Not through Foundation's `Process`: it detects a child's
    /// exit by a socket the child inherits, and `pg_ctl start` leaves the server holding it, so
    /// `waitUntilExit` never returns. Here the child gets only stdin, stdout and stderr (a file).
    static func run(_ executable: String, _ arguments: [String]) throws {
        let errPath = FileManager.default.temporaryDirectory.appendingPathComponent("jobforge-pg-run-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        // Every other descriptor closed (glibc ignores one closed meanwhile).
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in open.compactMap({ Int32($0) }) where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw Unavailable(description: "cannot run \(executable): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        guard status & 0x7F == 0, (status >> 8) & 0xFF == 0 else {
            throw Unavailable(description: "\((executable as NSString).lastPathComponent) \(arguments.joined(separator: " ")) failed: \(stderr)")
        }
    }
}
