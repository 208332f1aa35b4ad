#if Server
import Foundation
import JobForgeCLI
import JobForgeCore
import GRDB
@testable import JobForgeServer
@testable import JobForgeStore
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

    @Test("with a connection of its own for the slow lane, the first coverage and review hold none of the pages' connections")
    func slowRoutesHoldNoPageConnection() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-serve-slow-lane")
        defer { folder.remove() }
        let path = try await LLMFaultCLITests.store(in: folder)
        let page = try SQLiteStore(path: path, schemas: StoreOptions.schemas, mode: .readOnly)
        let lane = try SQLiteStore(path: path, schemas: StoreOptions.schemas, mode: .readOnly)
        let api = ReadOnlyAPI(stores: [page], slowStore: lane)
        // The pages' only connection is held (a long read): the slow routes still answer.
        let holder = Holder()
        let held = Task { await holder.hold(api.pool) }
        while !holder.isHolding { try await Task.sleep(for: .milliseconds(5)) }
        for path in ["/api/coverage", "/api/review"] {
            let response = await api.respond(method: "GET", path: path, query: [:])
            #expect(holder.isHolding, "\(path) answered while the pages' connection was held")
            #expect(response.status == 200 && (try? JSONSerialization.jsonObject(with: response.body)) != nil, "\(path)")
        }
        holder.release()
        await held.value
        let coverage = await api.respond(method: "GET", path: "/api/coverage", query: [:])
        #expect(coverage.status == 200)
    }

    @Test("the pool's connections share what a profile gives its titles, and forget it when another process commits")
    func sharedDerivationsFollowCommits() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-serve-shared")
        defer { folder.remove() }
        let path = try await LLMFaultCLITests.store(in: folder)
        let stores = try (0..<3).map { _ in try SQLiteStore(path: path, schemas: StoreOptions.schemas, mode: .readOnly) }
        let api = ReadOnlyAPI(stores: stores)
        let title = Subject.title("JA-0002")
        func profileOfTitle() throws -> String? {
            try stores[0].dbQueue.read { db in
                try String.fetchOne(db, sql: "SELECT profile_code FROM title_resolution WHERE title_id = 'JA-0002'")
            }
        }
        let profile = try #require(try profileOfTitle())
        func shared(_ store: SQLiteStore) throws -> [Candidate]? {
            try store.dbQueue.read { db in try store.sharedReads.session(db)?.inheritable(profile: profile) }
        }

        // Derived on one connection, known to the others.
        #expect(try shared(stores[2]) == nil)
        let before = try stores[1].winners(of: title, filter: CellFilter())
        let rated = try #require(before.first { $0.source == .authoritative && $0.dimension == .level })
        #expect(try shared(stores[2])?.isEmpty == false, "connection 2 holds what connection 1 derived")
        let again = try stores[2].winners(of: title, filter: CellFilter())
        #expect(again.map(\.descriptorCode) == before.map(\.descriptorCode) && again.map(\.value) == before.map(\.value))
        _ = await api.respond(method: "GET", path: "/api/titles/JA-0002", query: [:])

        // Another process loads the profile's ratings again, one of them changed (a later load
        // outranks an earlier one): every connection serves the new value.
        let changed = rated.value == 1 ? 2.0 : 1.0
        let writer = try SQLiteStore(path: path, schemas: StoreOptions.schemas)
        try await writer.dbQueue.write { db in
            let old = try #require(try Row.fetchOne(db, sql: """
                SELECT r.ratings, p.* FROM profile_rating r JOIN provenance p ON p.id = r.provenance_id WHERE r.profile_code = ?
                """, arguments: [profile]))
            try db.execute(sql: """
                INSERT INTO provenance (source, precedence, method, source_level, source_ids, release, observed_at, run_id)
                VALUES (?, ?, ?, ?, ?, ?, '2099-01-01T00:00:00.000Z', ?)
                """, arguments: [old["source"], old["precedence"], old["method"], old["source_level"], old["source_ids"],
                                 old["release"], old["run_id"]])
            let ratings = (old["ratings"] as String).split(separator: "\n").map { line -> String in
                var fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                if fields[0] == rated.descriptorCode && fields[1] == "level" { fields[2] = changed == 1 ? "1" : "2" }
                return fields.joined(separator: "\t")
            }.joined(separator: "\n") + "\n"
            try db.execute(sql: "INSERT INTO profile_rating (profile_code, provenance_id, cells, ratings) SELECT ?, last_insert_rowid(), cells, ? FROM profile_rating WHERE profile_code = ?",
                           arguments: [profile, ratings, profile])
        }
        #expect(try shared(stores[2]) == nil, "forgotten once the store changed")
        for store in stores {
            let after = try store.winners(of: title, filter: CellFilter())
            #expect(after.first { $0.descriptorCode == rated.descriptorCode && $0.dimension == .level }?.value == changed,
                    "every connection reads the new load")
        }
        let served = await api.respond(method: "GET", path: "/api/titles/JA-0002", query: [:])
        let json = try JSONSerialization.jsonObject(with: served.body) as? [String: Any]
        let cells = (json?["categories"] as? [[String: Any]] ?? []).flatMap { $0["cells"] as? [[String: Any]] ?? [] }
        #expect(cells.first { $0["descriptorCode"] as? String == rated.descriptorCode && $0["dimension"] as? String == "level" }?["value"]
                    as? Double == changed, "the API serves the new value")
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
