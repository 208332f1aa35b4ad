import Foundation
import JobForgeCore
import JobForgeNet
import JobForgeStore

/// How to reach O*NET Web Services v2.
public struct ONetWebServicesConfiguration: Sendable {
    public static let apiKeyVariable = "ONET_API_KEY"

    public var baseURL: URL
    /// The `X-API-Key`. A secret: never logged, printed or stored.
    public var apiKey: String
    public var userAgent: String
    /// Rows per page (`end - start + 1`), at most 2000.
    public var pageSize: Int
    /// Requests in flight at once.
    public var concurrency: Int
    public var retry: RetryPolicy
    /// How long a cached response is reused without asking again.
    public var cacheLifetime: TimeInterval
    public var timeout: TimeInterval

    public init(baseURL: URL = ONetAPI.defaultBaseURL, apiKey: String,
                userAgent: String = "JobForge/1.0 (O*NET Web Services v2 client; occupational profiles)",
                pageSize: Int = ONetAPI.maxPageSize, concurrency: Int = 4,
                retry: RetryPolicy = RetryPolicy(maxAttempts: 5, baseDelay: 0.5, maxDelay: 30,
                                                 minimumDelay: ONetAPI.minimumRetryDelay, maxRetryAfter: 120),
                cacheLifetime: TimeInterval = 30 * 86_400, timeout: TimeInterval = 30) {
        self.baseURL = baseURL.absoluteString.hasSuffix("/") ? baseURL : baseURL.appendingPathComponent("")
        self.apiKey = apiKey
        self.userAgent = userAgent
        self.pageSize = min(max(1, pageSize), ONetAPI.maxPageSize)
        self.concurrency = max(1, concurrency)
        var retry = retry
        retry.minimumDelay = max(retry.minimumDelay, ONetAPI.minimumRetryDelay)
        self.retry = retry
        self.cacheLifetime = cacheLifetime
        self.timeout = timeout
    }

    /// The key from `ONET_API_KEY`; a missing key is an error that says how to set it.
    public static func apiKey(from environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        guard let key = environment[apiKeyVariable]?.trimmingCharacters(in: .whitespacesAndNewlines), !key.isEmpty else {
            throw ONetServiceError.missingKey
        }
        return key
    }
}

/// A failure talking to O*NET Web Services. Messages never contain the key.
public enum ONetServiceError: Error, Sendable, CustomStringConvertible, Equatable {
    case missingKey
    /// 401 / 403: the key was refused. Stops the whole fetch.
    case unauthorized(status: Int, url: String, excerpt: String)
    /// A status that is neither success, "no data" nor worth retrying.
    case http(status: Int, url: String, excerpt: String)
    /// Retries ran out on 429 / 5xx / timeouts / unreadable bodies.
    case exhausted(attempts: Int, url: String, last: String)
    /// A 200 whose body is not the expected JSON (after retries).
    case invalidResponse(url: String, detail: String, excerpt: String)
    case transport(url: String, message: String)

    public var description: String {
        switch self {
        case .missingKey:
            return "no O*NET Web Services key: set \(ONetWebServicesConfiguration.apiKeyVariable) (free at https://services.onetcenter.org/developer/signup)"
        case .unauthorized(let status, let url, let excerpt):
            return "O*NET Web Services refused the key (HTTP \(status)) for \(url): check \(ONetWebServicesConfiguration.apiKeyVariable). Response: \(excerpt)"
        case .http(let status, let url, let excerpt):
            return "O*NET Web Services answered HTTP \(status) for \(url): \(excerpt)"
        case .exhausted(let attempts, let url, let last):
            return "O*NET Web Services kept failing for \(url) after \(attempts) attempts (last: \(last)); try again later or lower --concurrency"
        case .invalidResponse(let url, let detail, let excerpt):
            return "O*NET Web Services sent an unreadable response for \(url) (\(detail)): \(excerpt)"
        case .transport(let url, let message):
            return "cannot reach O*NET Web Services at \(url): \(message)"
        }
    }
}

/// Where responses are kept between runs.
public protocol ONetResponseCache: Sendable {
    func response(for key: String, now: Date) async throws -> ONetCachedResponse?
    func store(_ response: ONetCachedResponse, for key: String) async throws
    /// Writes anything buffered.
    func flush() async throws
}

/// A cache for one process (tests, `--no-cache` runs).
public actor InMemoryONetResponseCache: ONetResponseCache {
    private var entries: [String: ONetCachedResponse] = [:]
    public init() {}
    public func response(for key: String, now: Date) -> ONetCachedResponse? {
        guard let entry = entries[key], entry.expiresAt > now else { return nil }
        return entry
    }
    public func store(_ response: ONetCachedResponse, for key: String) { entries[key] = response }
    public func flush() {}
    public var count: Int { entries.count }
}


/// What fetching one rating table of one code gave.
public enum ONetFetchOutcome: Sendable, Equatable {
    case ratings([ONetRating])
    /// A 422 (or an empty result): O*NET has no data of this kind for the code.
    case noData(String)
}

/// The result of a fetch over many codes.
public struct ONetFetchReport: Sendable {
    public var ratings: [ONetRating] = []
    public var noData: [ONetNoDataRecord] = []
    /// (code, table) pairs answered, with ratings or "no data".
    public var fetched: [(soc: String, table: ONetRatingTable)] = []
    /// (code, table, message) pairs that failed after retries; the rest of the fetch went on.
    public var failures: [(soc: String, table: ONetRatingTable, message: String)] = []
    public var networkRequests = 0
    public var cacheHits = 0
    public var retries = 0
    public var elapsed: TimeInterval = 0
}

/// O*NET Web Services v2 client: headers, paging, retries with backoff and `Retry-After`,
/// a concurrency limit and a response cache. Shapes live in `ONetAPI`.
public final class ONetWebServicesClient: Sendable {
    public let configuration: ONetWebServicesConfiguration
    private let cache: ONetResponseCache?
    private let limiter: ConcurrencyLimiter
    private let log: @Sendable (String) -> Void
    private let caller: HTTPCaller
    private let requests = HTTPCounter()
    private let cacheHits = CacheHits()

    /// `log` receives one line per retry, failure or "no data" answer; lines never contain the key.
    public init(configuration: ONetWebServicesConfiguration, transport: HTTPTransport = URLSessionTransport(),
                cache: ONetResponseCache? = nil, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.configuration = configuration
        self.cache = cache
        self.limiter = ConcurrencyLimiter(limit: configuration.concurrency)
        self.log = log
        self.caller = HTTPCaller(transport: transport, policy: configuration.retry, counter: requests,
                                 secrets: [configuration.apiKey], log: log)
    }

    actor CacheHits {
        var count = 0
        func add() { count += 1 }
    }

    /// Requests sent over the network, cache hits and retries so far.
    public func statistics() async -> (networkRequests: Int, cacheHits: Int, retries: Int) {
        let counts = await requests.counts
        return (counts.requests, await cacheHits.count, counts.retries)
    }

    /// `about`: the API version the service reports.
    public func apiVersion() async throws -> String? {
        let url = try makeURL(path: ONetAPI.aboutPath, query: [])
        let response = try await get(url) { response in .accept(response) }
        return ONetAPI.apiVersion(response.body)
    }

    /// All rows of one rating table for one code, page by page.
    public func fetchRatings(soc: String, table: ONetRatingTable) async throws -> ONetFetchOutcome {
        var start = 1
        var ratings: [ONetRating] = []
        var nextURL: URL?
        while true {
            let url: URL
            if let nextURL {
                url = nextURL
            } else {
                let (path, query) = ONetAPI.ratingRows(table: table, soc: soc, start: start, end: start + configuration.pageSize - 1)
                url = try makeURL(path: path, query: query)
            }
            let page: ONetAPI.RowsPage
            switch try await fetchPage(url) {
            case .noData(let message):
                return .noData("422 from O*NET for \(soc) \(table.rawValue): \(message)")
            case .page(let decoded):
                page = decoded
            }
            for row in page.row {
                do { ratings.append(try ONetAPI.rating(from: row, table: table)) } catch {
                    throw ONetServiceError.invalidResponse(url: describe(url), detail: "\(error)", excerpt: "")
                }
            }
            let end = page.end ?? (start + page.row.count - 1)
            if let next = page.next, !next.isEmpty, let resolved = resolve(next) {
                nextURL = resolved
                start = end + 1
            } else if let total = page.total, end < total, !page.row.isEmpty {
                nextURL = nil
                start = end + 1
            } else {
                break
            }
        }
        if ratings.isEmpty { return .noData("no \(table.categoryName) rows for \(soc)") }
        return .ratings(ratings)
    }

    /// Fetches every table of every code, `configuration.concurrency` requests at a time.
    /// A refused key stops everything; other failures are reported per (code, table).
    public func fetchAll(socCodes: [String], tables: [ONetRatingTable],
                         progress: @escaping @Sendable (_ done: Int, _ total: Int) -> Void = { _, _ in }) async throws -> ONetFetchReport {
        let started = Date()
        let jobs = socCodes.flatMap { soc in tables.map { (soc, $0) } }
        var report = ONetFetchReport()
        let before = await statistics()
        try await withThrowingTaskGroup(of: (String, ONetRatingTable, Result<ONetFetchOutcome, ONetServiceError>).self) { group in
            var iterator = jobs.makeIterator()
            // Keep a bounded number of tasks alive; the limiter bounds requests in flight.
            let window = configuration.concurrency * 2
            func addNext() -> Bool {
                guard let (soc, table) = iterator.next() else { return false }
                group.addTask {
                    do { return (soc, table, .success(try await self.fetchRatings(soc: soc, table: table))) }
                    catch let error as ONetServiceError { return (soc, table, .failure(error)) }
                    catch { return (soc, table, .failure(.transport(url: soc, message: "\(error)"))) }
                }
                return true
            }
            for _ in 0..<window { if !addNext() { break } }
            var done = 0
            while let (soc, table, result) = try await group.next() {
                done += 1
                switch result {
                case .success(.ratings(let ratings)):
                    report.ratings += ratings
                    report.fetched.append((soc, table))
                case .success(.noData(let reason)):
                    report.noData.append(ONetNoDataRecord(soc: soc, table: table, reason: reason, recordedAt: Date()))
                    report.fetched.append((soc, table))
                case .failure(let error):
                    if case .unauthorized = error { group.cancelAll(); throw error }
                    if case .missingKey = error { group.cancelAll(); throw error }
                    report.failures.append((soc, table, error.description))
                }
                progress(done, jobs.count)
                _ = addNext()
            }
        }
        try await cache?.flush()
        let after = await statistics()
        report.networkRequests = after.networkRequests - before.networkRequests
        report.cacheHits = after.cacheHits - before.cacheHits
        report.retries = after.retries - before.retries
        report.elapsed = Date().timeIntervalSince(started)
        return report
    }

    // MARK: Requests

    private enum PageResult {
        case page(ONetAPI.RowsPage)
        case noData(String)
    }

    private func noDataMessage(_ body: Data) -> String {
        scrub(ONetAPI.errorMessage(body) ?? String(decoding: body.prefix(200), as: UTF8.self))
    }

    /// One page: from the cache when fresh, else from the network (and then cached).
    /// A 422 is "no data of this kind for this code"; an unreadable 200 is retried.
    private func fetchPage(_ url: URL) async throws -> PageResult {
        let key = cacheKey(url)
        if let cache, let cached = try await cache.response(for: key, now: Date()) {
            if cached.status == 422 { await cacheHits.add(); return .noData(noDataMessage(cached.body)) }
            if let page = try? ONetAPI.decodePage(cached.body) { await cacheHits.add(); return .page(page) }
        }
        let (response, page) = try await get(url) { response -> HTTPDecision<(HTTPResponse, ONetAPI.RowsPage?)> in
            guard response.status != 422 else { return .accept((response, nil)) }
            do {
                return .accept((response, try ONetAPI.decodePage(response.body)))
            } catch {
                // A truncated or garbled body: worth another try, within the same bound.
                return .retry(because: UnreadableJSON(detail: self.shortDecodingError(error),
                                                      excerpt: self.scrub(response.bodyExcerpt(limit: 120))))
            }
        }
        guard let page else {
            try await cache?.store(ONetCachedResponse(status: 422, body: response.body, fetchedAt: Date(),
                                                      expiresAt: Date().addingTimeInterval(configuration.cacheLifetime)), for: key)
            return .noData(noDataMessage(response.body))
        }
        try await cache?.store(ONetCachedResponse(status: 200, body: response.body, fetchedAt: Date(),
                                                  expiresAt: Date().addingTimeInterval(configuration.cacheLifetime)), for: key)
        return .page(page)
    }

    /// A 200 whose body is not the expected JSON.
    struct UnreadableJSON: Error, CustomStringConvertible {
        var detail: String
        var excerpt: String
        var description: String { "unreadable JSON (\(detail))" }
    }

    /// Sends a GET through the concurrency limit, with retries. `accept` decides on a 2xx or a
    /// 422 ("no data", logged); 401/403 stop with `unauthorized`, 429/408/5xx are retried, any
    /// other status is an `http` error.
    private func get<Value: Sendable>(_ url: URL,
                                      accept: @escaping @Sendable (HTTPResponse) -> HTTPDecision<Value>) async throws -> Value {
        let request = HTTPRequest(method: "GET", url: url,
                                  headers: ONetAPI.headers(apiKey: configuration.apiKey, userAgent: configuration.userAgent),
                                  timeout: configuration.timeout)
        let limiter = self.limiter
        do {
            return try await caller.send(request, admission: { attempt in try await limiter.run(attempt) }) { response, _ in
                switch response.status {
                case 200..<300:
                    return accept(response)
                case 422:
                    let message = ONetAPI.errorMessage(response.body) ?? self.scrub(response.bodyExcerpt(limit: 200))
                    self.log("GET \(self.describe(url)): 422 no data (\(self.scrub(message)))")
                    return accept(response)
                case 401, 403:
                    self.log("GET \(self.describe(url)): \(response.status), key refused: check \(ONetWebServicesConfiguration.apiKeyVariable)")
                    return .fail(ONetServiceError.unauthorized(status: response.status, url: self.describe(url),
                                                               excerpt: self.scrub(response.bodyExcerpt(limit: 200))))
                case let status where RetryPolicy.isRetryable(status: status):
                    return .retry("HTTP \(status): \(self.scrub(response.bodyExcerpt(limit: 120)))")
                default:
                    return .fail(ONetServiceError.http(status: response.status, url: self.describe(url),
                                                       excerpt: self.scrub(response.bodyExcerpt(limit: 300))))
                }
            }.value
        } catch let failure as HTTPRetryFailure {
            if failure.reason == .attemptsExhausted, let unreadable = failure.problem as? UnreadableJSON {
                throw ONetServiceError.invalidResponse(url: describe(url), detail: "not the expected JSON (\(unreadable.detail))",
                                                       excerpt: unreadable.excerpt)
            }
            let last = scrub("\(failure.problem)")
            throw ONetServiceError.exhausted(attempts: failure.attempts, url: describe(url),
                                             last: failure.refusedWait.map { "\(last); \($0)" } ?? last)
        }
    }

    // MARK: Helpers

    private func makeURL(path: String, query: [URLQueryItem]) throws -> URL {
        guard var components = URLComponents(url: configuration.baseURL.appendingPathComponent(path), resolvingAgainstBaseURL: false) else {
            throw ONetServiceError.transport(url: configuration.baseURL.absoluteString, message: "invalid base URL")
        }
        if !query.isEmpty { components.queryItems = query }
        guard let url = components.url else {
            throw ONetServiceError.transport(url: configuration.baseURL.absoluteString, message: "cannot build a URL for \(path)")
        }
        return url
    }

    /// Follows a `next` link on our own base URL only: its path and query, never its host, so the
    /// key is never sent anywhere else.
    private func resolve(_ next: String) -> URL? {
        guard let link = URLComponents(string: next) else { return nil }
        let base = configuration.baseURL.path
        var path = link.path
        if path.hasPrefix(base) { path = String(path.dropFirst(base.count)) }
        while path.hasPrefix("/") { path.removeFirst() }
        guard var components = URLComponents(url: configuration.baseURL.appendingPathComponent(path), resolvingAgainstBaseURL: false) else { return nil }
        components.percentEncodedQuery = link.percentEncodedQuery
        return components.url
    }

    /// The cache key: the request's path and query below the base URL (the host may change,
    /// e.g. a pinned API version, without losing the cache).
    private func cacheKey(_ url: URL) -> String {
        var path = url.path
        let base = configuration.baseURL.path
        if path.hasPrefix(base) { path = String(path.dropFirst(base.count)) }
        let query = URLComponents(url: url, resolvingAgainstBaseURL: false)?.percentEncodedQuery.map { "?" + $0 } ?? ""
        return path + query
    }

    private func describe(_ url: URL) -> String { scrub(Redaction.describe(url)) }

    private func scrub(_ text: String) -> String { Redaction.scrub(text, secrets: [configuration.apiKey]) }

    private func shortDecodingError(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context): return context.debugDescription.prefix(80) + ""
        case DecodingError.keyNotFound(let key, _): return "missing \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context): return "type mismatch at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        default: return "\(error)".prefix(80) + ""
        }
    }
}
