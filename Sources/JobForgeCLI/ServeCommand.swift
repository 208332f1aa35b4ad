import ArgumentParser
import Foundation
import JobForgeReport
#if Server
import JobForgeServer
#endif

/// `jobforge serve`: the report's pages and a read-only JSON API over HTTP (package trait `Server`).
public struct ServeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the report and a read-only JSON API (/api/..., /openapi.json) over HTTP.",
        discussion: """
            Binds to 127.0.0.1 unless --host says otherwise; never writes the store; one line per request \
            on stderr; stops cleanly on Ctrl-C or SIGTERM. Needs a build with the Server trait: \
            swift build -c release --product jobforge --traits Server
            """
    )

    @Option(name: .long, help: "The port (0: any free port, printed at start).")
    public var port: Int = 8080

    @Option(name: .long, help: "The address to listen on; 0.0.0.0 exposes the store to the network.")
    public var host: String = "127.0.0.1"

    @Option(name: .long, help: ArgumentHelp("The report page's language: en or fr.", valueName: "lang"))
    public var lang: ReportLanguage = .english

    @OptionGroup public var store: StoreOptions

    public init() {}

    public func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, not \(port)") }
    }

    public func run() async throws {
        #if Server
        let db = try store.openStoreForReading()
        // One read-only connection per request served at once, each read on its own thread (at
        // most 8, and 4 at least: a slow request, a first /api/coverage of seconds, leaves three
        // for the others; with 2 on 2 cores it and /api/review held the server).
        let readers = [db] + (try (1..<max(4, min(8, ProcessInfo.processInfo.activeProcessorCount))).map { _ in try store.openStoreForReading() })
        // The review's codes in doubt come from the offline NOC coder, as in `titles review`.
        // One more for the low-priority reads that take seconds (the first coverage and review).
        let api = ReadOnlyAPI(stores: readers, slowStore: try store.openStoreForReading(), language: lang,
                              suggester: try OfflineCodeAuditor.of(db))
        let server = ReportServer(api: api, host: host, port: UInt16(port)) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        let host = self.host
        do {
            try await server.run { bound in
                FileHandle.standardError.write(Data("serving \(db.path) read-only at http://\(host.contains(":") ? "[\(host)]" : host):\(bound)/ (Ctrl-C stops)\n".utf8))
            }
        } catch {
            throw CommandFailure("cannot serve on \(host):\(port): \(CommandFailure.describe(error)); is the port in use? try --port 0")
        }
        #else
        throw CommandFailure("""
            this jobforge was built without the HTTP server; build it with the Server trait: \
            swift build -c release --product jobforge --traits Server
            """)
        #endif
    }
}
