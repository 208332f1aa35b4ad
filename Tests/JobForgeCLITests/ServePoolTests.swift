#if Server
import Foundation
import JobForgeCLI
@testable import JobForgeServer
import JobForgeStore
import JobForgeTestSupport
import Testing

/// The server's connections as requests use them, in process, on the shipped build's store.
@Suite("serve: connections and the response cache")
struct ServePoolTests {
    /// Read-only connections to a copy of the shipped build, as `jobforge serve` opens them.
    static func api(connections: Int, in folder: TemporaryDirectory) async throws -> (ReadOnlyAPI, String) {
        let path = try await LLMFaultCLITests.store(in: folder)
        let stores = try (0..<connections).map { _ in try SQLiteStore(path: path, schemas: StoreOptions.schemas, mode: .readOnly) }
        return (ReadOnlyAPI(stores: stores), path)
    }

    /// Holds one of the pool's connections until `release()` (a long read, as a first coverage is).
    final class Holder: @unchecked Sendable {
        private let lock = NSLock()
        private var holding = false, released = false

        var isHolding: Bool { lock.withLock { holding } }
        var isReleased: Bool { lock.withLock { released } }
        func release() { lock.withLock { released = true } }

        func hold(_ pool: StorePool) async {
            await pool.withStore { _ in
                lock.withLock { holding = true }
                // Released by the test; 60 s at most, so that a failing test ends.
                for _ in 0..<6_000 where !lock.withLock({ released }) { try? await Task.sleep(for: .milliseconds(10)) }
                lock.withLock { holding = false }
            }
        }
    }

    @Test("a kept response is answered while a long read holds every connection; one not kept waits for a connection and is then right")
    func keptResponsesNeedNoConnection() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-serve-pool")
        defer { folder.remove() }
        let (api, _) = try await Self.api(connections: 1, in: folder)
        let first = await api.respond(method: "GET", path: "/api/titles/JA-0002", query: [:])
        #expect(first.status == 200)

        let holder = Holder()
        let held = Task { await holder.hold(api.pool) }
        while !holder.isHolding { try await Task.sleep(for: .milliseconds(5)) }
        let kept = await api.respond(method: "GET", path: "/api/titles/JA-0002", query: [:])
        #expect(holder.isHolding, "answered while the only connection was held")
        #expect(kept.status == 200 && kept.body == first.body)

        // Not kept: it needs the connection, so it is answered only after the long read.
        let answered = Holder()
        let waiting = Task {
            let response = await api.respond(method: "GET", path: "/api/titles/JA-0003", query: [:])
            answered.release()
            return response
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(holder.isHolding && !answered.isReleased, "it waits for the connection")
        holder.release()
        await held.value
        let other = await waiting.value
        #expect(other.status == 200)
        #expect(String(decoding: other.body, as: UTF8.self).contains("\"JA-0003\""), "JA-0003's profile")
        #expect(other.body != first.body)
    }

    @Test("the first coverage and review (seconds, on the low-priority thread) answer as a second call does, kept afterwards")
    func slowRoutesAnswerTheSame() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-serve-slow")
        defer { folder.remove() }
        let (api, _) = try await Self.api(connections: 2, in: folder)
        for path in ["/api/coverage", "/api/review"] {
            #expect(ReadOnlyAPI.takesSeconds(path.split(separator: "/").map(String.init)))
            let first = await api.respond(method: "GET", path: path, query: [:])
            let again = await api.respond(method: "GET", path: path, query: [:])
            #expect(first.status == 200 && again.body == first.body, "\(path)")
            #expect(first.contentType == "application/json" && (try? JSONSerialization.jsonObject(with: first.body)) != nil, "\(path)")
        }
        #expect(!ReadOnlyAPI.takesSeconds(["api", "titles", "JA-0002"]))
    }
}
#endif
