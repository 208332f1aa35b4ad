import Foundation
import JobForgeCore
import JobForgeNet
@testable import JobForgeONet
import JobForgeStore
import JobForgeTestSupport
import Testing

/// Log lines collected from the client.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}

@Suite(.serialized) struct WebServicesClientTests {
    static let key = "sk-onet-SECRET-9f8e7d6c5b4a"

    func client(_ server: FakeONetServer, key: String = WebServicesClientTests.key, cache: ONetResponseCache? = nil,
                log: LogLines, pageSize: Int = 2000, timeout: TimeInterval = 10, concurrency: Int = 4) -> ONetWebServicesClient {
        let configuration = ONetWebServicesConfiguration(
            baseURL: server.baseURL, apiKey: key, pageSize: pageSize, concurrency: concurrency,
            retry: RetryPolicy(maxAttempts: 4, baseDelay: 0.05, maxDelay: 0.5, minimumDelay: 0.2, maxRetryAfter: 10),
            timeout: timeout)
        return ONetWebServicesClient(configuration: configuration, cache: cache, log: { log.append($0) })
    }

    @Test func fetchesTheSameRatingsAsTheDatabaseFilesWithTheRequiredHeaders() async throws {
        let server = try await FakeONetServer.start(apiKey: Self.key)
        defer { Task { await server.stop() } }
        let log = LogLines()
        // A small page size forces paging through `next`.
        let outcome = try await client(server, log: log, pageSize: 20).fetchRatings(soc: "11-1011.00", table: .skills)
        guard case .ratings(let ratings) = outcome else { Issue.record("expected ratings, got \(outcome)"); return }
        let expected = Shipped.database.ratings.filter { $0.soc == "11-1011.00" && $0.table == .skills }
        #expect(ratings == expected)
        let seen = await server.requests
        #expect(seen.count == 4)  // 70 rows, 20 a page
        for request in seen {
            #expect(request.headers["x-api-key"] == Self.key)
            #expect(request.headers["accept"] == "application/json")
            #expect(request.headers["user-agent"]?.contains("JobForge") == true)
        }
        #expect(seen.map { $0.query["start"] } == ["1", "21", "41", "61"])
        // The fake's `next` links point at the live host: the client keeps to its own base URL.
        #expect(log.all.isEmpty)
    }

    @Test func unprocessableMeansNoDataAndIsRecordedAndCached() async throws {
        let server = try await FakeONetServer.start(apiKey: Self.key)
        defer { Task { await server.stop() } }
        let log = LogLines()
        let cache = InMemoryONetResponseCache()
        let client = client(server, cache: cache, log: log)
        let report = try await client.fetchAll(socCodes: ["15-1252.00", "11-1011.00"], tables: [.skills, .knowledge])
        #expect(report.failures.isEmpty)
        #expect(Set(report.noData.map(\.soc)) == ["15-1252.00"])
        #expect(report.noData.allSatisfy { $0.reason.contains("422") })
        #expect(report.ratings.count == 70 + 66)
        #expect(report.networkRequests == 4)
        // A second run makes no request at all, "no data" answers included.
        let again = try await client.fetchAll(socCodes: ["15-1252.00", "11-1011.00"], tables: [.skills, .knowledge])
        #expect(again.networkRequests == 0 && again.cacheHits == 4)
        #expect(again.ratings.count == report.ratings.count && again.noData.count == 2)
        #expect(await server.requestCount == 4)
    }

    @Test func waitsForRetryAfterOnRateLimit() async throws {
        let server = try await FakeONetServer.start(apiKey: Self.key)
        defer { Task { await server.stop() } }
        await server.inject(.rateLimited(retryAfter: "2"))
        let log = LogLines()
        let started = Date()
        let outcome = try await client(server, log: log).fetchRatings(soc: "11-1011.00", table: .knowledge)
        let elapsed = Date().timeIntervalSince(started)
        guard case .ratings(let ratings) = outcome else { Issue.record("expected ratings"); return }
        #expect(ratings.count == 66)
        #expect(elapsed >= 2.0, "Retry-After: 2 must be waited, waited \(elapsed) s")
        let seen = await server.requests
        #expect(seen.count == 2)
        #expect(seen[1].at.timeIntervalSince(seen[0].at) >= 2.0)
        #expect(log.all.contains { $0.contains("429") && $0.contains("2.00 s") })
    }

    @Test func retriesServerErrorsTruncatedJSONAndTimeoutsWithinBounds() async throws {
        let server = try await FakeONetServer.start(apiKey: Self.key)
        defer { Task { await server.stop() } }
        await server.inject(.serverError(500))
        await server.inject(.truncatedJSON)
        // A deadline with room for a loaded CI machine, and a stall well beyond it.
        await server.inject(.slow(15))
        let log = LogLines()
        let outcome = try await client(server, log: log, timeout: 4).fetchRatings(soc: "11-1011.00", table: .skills)
        guard case .ratings(let ratings) = outcome else { Issue.record("expected ratings"); return }
        #expect(ratings.count == 70)
        #expect(await server.requestCount == 4)
        #expect(log.all.contains { $0.contains("500") })
        #expect(log.all.contains { $0.contains("unreadable JSON") })
        #expect(log.all.count == 3)

        // A service that keeps failing ends the fetch with a bounded error, not a hang.
        await server.inject(.serverError(503), times: 10)
        await #expect(throws: ONetServiceError.self) {
            _ = try await client(server, log: log).fetchRatings(soc: "11-1011.00", table: .abilities)
        }
        do {
            _ = try await client(server, log: log).fetchRatings(soc: "11-1011.00", table: .abilities)
        } catch let error as ONetServiceError {
            // The queue still had 6 faults: this call used 4 attempts.
            #expect(error.description.contains("after 4 attempts") && error.description.contains("503"))
        }
    }

    @Test func requestsOverlapUpToTheConcurrencyLimitAndNoFurther() async throws {
        let latency = 0.3
        let server = try await FakeONetServer.start(apiKey: Self.key, latency: latency)
        defer { Task { await server.stop() } }
        let codes = ["11-1011.00", "11-1021.00", "13-2011.00", "15-1211.00", "17-2051.00", "29-1141.00"]
        let started = Date()
        let report = try await client(server, log: LogLines(), concurrency: 3).fetchAll(socCodes: codes, tables: [.skills])
        let elapsed = Date().timeIntervalSince(started)
        #expect(report.networkRequests == 6 && report.failures.isEmpty)
        let arrivals = await server.requests.map(\.at).sorted()
        // The fourth request waits for one of the first three to be answered...
        #expect(arrivals[3].timeIntervalSince(arrivals[0]) >= latency)
        // ...and the fake serves them side by side: two waves, not six requests in a row.
        #expect(elapsed < 4 * latency, "6 requests, 3 at a time, took \(elapsed) s")
    }

    @Test func refusedKeyStopsWithAMessageNamingTheVariableNeverTheKey() async throws {
        let server = try await FakeONetServer.start(apiKey: "the-right-key-123456")
        defer { Task { await server.stop() } }
        let log = LogLines()
        let wrongKey = "sk-wrong-KEY-5566778899"
        var caught: ONetServiceError?
        do {
            _ = try await client(server, key: wrongKey, log: log).fetchAll(socCodes: ["11-1011.00", "11-1021.00", "13-2011.00"],
                                                                             tables: [.skills, .knowledge])
        } catch let error as ONetServiceError {
            caught = error
        }
        let error = try #require(caught)
        guard case .unauthorized(let status, _, let excerpt) = error else { Issue.record("expected unauthorized, got \(error)"); return }
        #expect(status == 403)
        #expect(excerpt.contains("Forbidden"))
        #expect(error.description.contains("ONET_API_KEY"))
        #expect(!error.description.contains(wrongKey))
        #expect(!log.all.isEmpty && log.all.allSatisfy { !$0.contains(wrongKey) })
        // It stopped: no retries of a refused key.
        #expect(await server.requestCount <= 8)
    }

    @Test func theKeyNeverAppearsInLogsOrErrorsEvenWhenEchoed() async throws {
        let server = try await FakeONetServer.start(apiKey: Self.key)
        defer { Task { await server.stop() } }
        let log = LogLines()
        await server.inject(.rateLimited(retryAfter: "0"))
        await server.inject(.serverError(502), times: 10, pathContains: "knowledge")
        let report = try await client(server, log: log).fetchAll(socCodes: ["11-1011.00"], tables: [.skills, .knowledge])
        #expect(report.failures.count == 1 && report.fetched.count == 1)
        let texts = log.all + report.failures.map(\.message)
        #expect(!texts.isEmpty)
        #expect(texts.allSatisfy { !$0.contains(Self.key) })
        // Even a service that echoes the key back in an error body gets it scrubbed.
        let echoed = Redaction.scrub("bad key \(Self.key)", secrets: [Self.key])
        #expect(!echoed.contains(Self.key))
    }

    @Test func responsesAreCachedInTheStoreWithAnExpiry() async throws {
        let temp = try TemporaryDirectory(prefix: "onet-cache")
        defer { temp.remove() }
        let store = try SQLiteStore(path: temp.path("store.sqlite").path, schemas: [ONetSchema.self])
        let server = try await FakeONetServer.start(apiKey: Self.key)
        defer { Task { await server.stop() } }
        let log = LogLines()
        let first = try await client(server, cache: StoreONetResponseCache(store: store), log: log)
            .fetchAll(socCodes: ["11-1011.00", "15-1252.00"], tables: [.skills])
        #expect(first.networkRequests == 2)
        // A new client and a new cache object on the same store: nothing is asked again.
        let second = try await client(server, cache: StoreONetResponseCache(store: store), log: log)
            .fetchAll(socCodes: ["11-1011.00", "15-1252.00"], tables: [.skills])
        #expect(second.networkRequests == 0 && second.cacheHits == 2)
        // Expired entries are not used.
        #expect(try ONetArchive(store).cachedResponse("database/rows/skills?filter=onetsoc_code.eq.11-1011.00&start=1&end=2000",
                                             now: Date().addingTimeInterval(40 * 86_400)) == nil)
        #expect(try ONetArchive(store).cachedResponse("database/rows/skills?filter=onetsoc_code.eq.11-1011.00&start=1&end=2000") != nil)
    }

    @Test func missingKeyExplainsHowToSetIt() {
        #expect(throws: ONetServiceError.missingKey) { try ONetWebServicesConfiguration.apiKey(from: [:]) }
        #expect(ONetServiceError.missingKey.description.contains("ONET_API_KEY"))
        #expect((try? ONetWebServicesConfiguration.apiKey(from: ["ONET_API_KEY": " abc "])) == "abc")
    }
}
