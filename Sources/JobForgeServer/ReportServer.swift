import FlyingFox
import FlyingSocks
import Foundation
import JobForgeReport
import JobForgeStore

/// `jobforge serve`: ``ReadOnlyAPI`` over HTTP (FlyingFox), one log line per request, stopped
/// cleanly by SIGINT or SIGTERM.
///
/// ```swift
/// let server = ReportServer(api: ReadOnlyAPI(store: store), host: "127.0.0.1", port: 8080) { line in
///     FileHandle.standardError.write(Data((line + "\n").utf8))
/// }
/// try await server.run()   // returns after SIGINT / SIGTERM
/// ```
public struct ReportServer: Sendable {
    public let api: ReadOnlyAPI
    public let host: String
    public let port: UInt16
    public let log: @Sendable (String) -> Void

    public init(api: ReadOnlyAPI, host: String = "127.0.0.1", port: UInt16 = 8080, log: @escaping @Sendable (String) -> Void) {
        self.api = api
        self.host = host
        self.port = port
        self.log = log
    }

    /// Serves until SIGINT or SIGTERM; `listening` gets the bound port (useful with port 0).
    public func run(listening: @escaping @Sendable (UInt16) -> Void = { _ in }) async throws {
        let address: any SocketAddress = host.contains(":") ? try sockaddr_in6.inet6(ip6: host, port: port)
            : try sockaddr_in.inet(ip4: host, port: port)
        let server = HTTPServer(address: address, timeout: 30, pool: NoDelaySocketPool(base: HTTPServer.defaultPool()), logger: .disabled)
        let api = self.api, log = self.log
        await server.appendRoute("*") { request in
            let started = ContinuousClock.now
            var query: [String: String] = [:]
            for item in request.query { query[item.name] = item.value }
            let response = await api.respond(method: request.method.rawValue, path: request.path, query: query)
            let elapsed = started.duration(to: .now)
            let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            // No query string in the log: it is the user's, and the path says what was asked.
            log("\(request.method.rawValue) \(request.path) \(response.status) \(String(format: "%.1f", ms)) ms")
            return HTTPResponse(statusCode: HTTPStatusCode(response.status, phrase: Self.phrase(response.status)),
                                headers: [.contentType: response.contentType],
                                body: request.method == .HEAD ? Data() : response.body)
        }
        let stopping = StopRequest()
        let stop = SignalStop {
            stopping.set()
            Task { await server.stop(timeout: 2) }
        }
        defer { stop.cancel() }
        let task = Task { try await server.run() }
        try await server.waitUntilListening(timeout: 30)
        if case .ip4(_, let bound) = await server.listeningAddress { listening(bound) }
        if case .ip6(_, let bound) = await server.listeningAddress { listening(bound) }
        do {
            try await task.value
        } catch where stopping.isSet {
            // Stopping cancels the listener: asked for, not a failure.
        }
    }

    static func phrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        default: "Error"
        }
    }
}

/// Whether a signal asked the server to stop.
final class StopRequest: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var value = false

    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

/// SIGINT and SIGTERM call `action` once instead of killing the process.
final class SignalStop: @unchecked Sendable {  // the sources are set once, in init
    private let sources: [any DispatchSourceSignal]

    init(_ action: @escaping @Sendable () -> Void) {
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: action)
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}
