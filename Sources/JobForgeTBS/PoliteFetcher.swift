import Foundation
import JobForgeCore
import JobForgeNet

/// How the scraper treats canada.ca: who it says it is, which hosts it may visit, how fast.
public struct TBSFetchPolicy: Sendable {
    /// Hosts whose pages may be fetched (canonical hosts, before any `baseURL` rewrite).
    public var allowedHosts: Set<String>
    /// The pause between two requests to the same host (seconds). canada.ca asks for politeness.
    public var delay: TimeInterval
    public var userAgent: String
    public var retry: RetryPolicy
    public var timeout: TimeInterval
    /// Where canonical `https://www.canada.ca` URLs are actually fetched from (a mirror, a test
    /// server); nil fetches the real site.
    public var baseURL: URL?

    public static let defaultUserAgent = "JobForge/1.0 (occupational groups scraper; polite: 1 request at a time, robots.txt honoured)"

    public init(allowedHosts: Set<String> = ["www.canada.ca", "canada.ca"], delay: TimeInterval = 1,
                userAgent: String = TBSFetchPolicy.defaultUserAgent,
                retry: RetryPolicy = RetryPolicy(maxAttempts: 4, baseDelay: 1, maxDelay: 30, minimumDelay: 0.5, maxRetryAfter: 120),
                timeout: TimeInterval = 60, baseURL: URL? = nil) {
        self.allowedHosts = allowedHosts
        self.delay = delay
        self.userAgent = userAgent
        self.retry = retry
        self.timeout = timeout
        self.baseURL = baseURL
    }

    /// The URL actually requested for a canonical URL: same path and query, on `baseURL`'s host.
    public func fetchURL(for canonical: URL) -> URL {
        guard let baseURL, var components = URLComponents(url: canonical, resolvingAgainstBaseURL: false),
              let base = URLComponents(url: baseURL, resolvingAgainstBaseURL: false) else { return canonical }
        components.scheme = base.scheme
        components.host = base.host
        components.port = base.port
        let prefix = base.path.hasSuffix("/") ? String(base.path.dropLast()) : base.path
        components.path = prefix + components.path
        components.fragment = nil
        return components.url ?? canonical
    }
}

/// The outcome of one polite fetch.
public enum TBSFetchOutcome: Sendable {
    case ok(HTTPResponse)
    /// 304: the stored version is still current.
    case notModified(HTTPResponse)
    case notFound(status: Int)
    case failed(reason: String, status: Int?)
    /// Not requested: host not allowed, or robots.txt disallows it.
    case notFollowed(reason: String)
}

/// Validators of a stored version, for a conditional request.
public struct TBSConditional: Sendable {
    public var etag: String?
    public var lastModified: String?
    public init(etag: String?, lastModified: String?) {
        self.etag = etag
        self.lastModified = lastModified
    }
}

/// Fetches pages politely: allow-listed hosts only, robots.txt honoured, one request at a time
/// per host with a pause between them, a User-Agent that names JobForge, bounded retries, and a
/// deadline (`policy.timeout`) on each request.
public actor PoliteFetcher {
    public let policy: TBSFetchPolicy
    private let caller: HTTPCaller
    private let counter = HTTPCounter()
    private var gates: [String: ConcurrencyLimiter] = [:]
    private var lastRequestAt: [String: Date] = [:]
    private var robots: [String: RobotsRules] = [:]

    /// Body bytes received (what a refresh saves), for reports and benchmarks.
    public var bytesReceived: Int {
        get async { await counter.counts.bytesReceived }
    }

    /// Requests sent, retries and robots.txt included.
    public var requestsSent: Int {
        get async { await counter.counts.requests }
    }

    /// `log` receives one line per retry or give-up.
    public init(transport: any HTTPTransport, policy: TBSFetchPolicy, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.policy = policy
        self.caller = HTTPCaller(transport: transport, policy: policy.retry, counter: counter, log: log)
    }

    /// Fetches a canonical URL (its fragment ignored), conditionally when validators are given.
    public func fetch(_ canonical: URL, conditional: TBSConditional? = nil) async -> TBSFetchOutcome {
        guard let host = canonical.host?.lowercased(), policy.allowedHosts.contains(host) else {
            return .notFollowed(reason: "host \(canonical.host ?? "(none)") is not on the allow-list (\(policy.allowedHosts.sorted().joined(separator: ", ")))")
        }
        let target = policy.fetchURL(for: canonical)
        let gateKey = "\(target.host ?? ""):\(target.port ?? 0)"
        let rules = await robotsRules(for: canonical, gateKey: gateKey)
        let path = canonical.path.isEmpty ? "/" : canonical.path
        if !rules.allows(path) {
            return .notFollowed(reason: "robots.txt disallows \(path)")
        }
        var headers = ["User-Agent": policy.userAgent, "Accept": "text/html,application/xhtml+xml"]
        if let etag = conditional?.etag { headers["If-None-Match"] = etag }
        if let lastModified = conditional?.lastModified { headers["If-Modified-Since"] = lastModified }
        let request = HTTPRequest(url: target, headers: headers, timeout: policy.timeout)
        do {
            return try await send(request, gateKey: gateKey, outcome: Self.outcome)
        } catch {
            return .failed(reason: "\(error)", status: nil)
        }
    }

    /// What a response means for a page: 304 and 404/410 are outcomes, not failures.
    private static func outcome(_ response: HTTPResponse) -> TBSFetchOutcome {
        switch response.status {
        case 200...299: return .ok(response)
        case 304: return .notModified(response)
        case 404, 410: return .notFound(status: response.status)
        default: return .failed(reason: "HTTP \(response.status): \(response.bodyExcerpt(limit: 200))", status: response.status)
        }
    }

    /// Sends with retries of 429/408/5xx, through the host's gate (one at a time, `delay` apart).
    /// When retries run out on a status, that last response is the answer; when they run out on
    /// no answer at all, its error is thrown.
    private func send<Outcome: Sendable>(_ request: HTTPRequest, gateKey: String,
                                         outcome: @escaping @Sendable (HTTPResponse) -> Outcome) async throws -> Outcome {
        do {
            return try await caller.send(request, admission: { attempt in try await self.gated(gateKey, attempt) }) { response, _ in
                RetryPolicy.isRetryable(status: response.status)
                    ? .retry("HTTP \(response.status): \(response.bodyExcerpt(limit: 200))")
                    : .accept(outcome(response))
            }.value
        } catch let failure as HTTPRetryFailure {
            guard let response = failure.response else { throw failure.problem }
            return outcome(response)
        }
    }

    private func gate(_ key: String) -> ConcurrencyLimiter {
        if let gate = gates[key] { return gate }
        let gate = ConcurrencyLimiter(limit: 1)
        gates[key] = gate
        return gate
    }

    private func gated(_ key: String, _ body: @Sendable () async throws -> HTTPResponse) async throws -> HTTPResponse {
        let gate = gate(key)
        await gate.acquire()
        if let last = lastRequestAt[key] {
            let wait = policy.delay - Date().timeIntervalSince(last)
            if wait > 0 { try? await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
        }
        let result: Result<HTTPResponse, Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        lastRequestAt[key] = Date()
        await gate.release()
        return try result.get()
    }

    /// robots.txt of a host, fetched once. Missing (4xx) allows everything; unreachable (5xx or
    /// no answer) allows nothing, as RFC 9309 says.
    private func robotsRules(for canonical: URL, gateKey: String) async -> RobotsRules {
        let host = canonical.host?.lowercased() ?? ""
        if let cached = robots[host] { return cached }
        var components = URLComponents(url: canonical, resolvingAgainstBaseURL: false)!
        components.path = "/robots.txt"
        components.query = nil
        components.fragment = nil
        let target = policy.fetchURL(for: components.url!)
        let request = HTTPRequest(url: target, headers: ["User-Agent": policy.userAgent], timeout: policy.timeout)
        let rules: RobotsRules
        do {
            rules = try await send(request, gateKey: gateKey) { response in
                switch response.status {
                case 200...299: RobotsRules.parse(String(decoding: response.body, as: UTF8.self), userAgent: "JobForge")
                case 400...499: .allowAll
                default: .disallowAll
                }
            }
        } catch {
            rules = .disallowAll
        }
        robots[host] = rules
        return rules
    }
}

/// The rules of a robots.txt that apply to one user agent (RFC 9309: the most specific group,
/// else `*`; the longest matching path wins, Allow on a tie).
public struct RobotsRules: Sendable, Equatable {
    public var allow: [String]
    public var disallow: [String]

    public static let allowAll = RobotsRules(allow: [], disallow: [])
    public static let disallowAll = RobotsRules(allow: [], disallow: ["/"])

    public static func parse(_ text: String, userAgent: String) -> RobotsRules {
        struct Group { var agents: [String] = []; var allow: [String] = []; var disallow: [String] = [] }
        var groups: [Group] = []
        var current = Group()
        var lastWasAgent = false
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            guard let colon = line.firstIndex(of: ":") else { continue }
            let field = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch field {
            case "user-agent":
                if !lastWasAgent && !current.agents.isEmpty { groups.append(current); current = Group() }
                current.agents.append(value.lowercased())
                lastWasAgent = true
            case "allow":
                if !value.isEmpty { current.allow.append(value) }
                lastWasAgent = false
            case "disallow":
                if !value.isEmpty { current.disallow.append(value) }
                lastWasAgent = false
            default:
                lastWasAgent = false
            }
        }
        if !current.agents.isEmpty { groups.append(current) }
        let name = userAgent.lowercased()
        let specific = groups.filter { $0.agents.contains { $0 != "*" && name.hasPrefix($0) } }
        let chosen = specific.isEmpty ? groups.filter { $0.agents.contains("*") } : specific
        return RobotsRules(allow: chosen.flatMap(\.allow), disallow: chosen.flatMap(\.disallow))
    }

    public func allows(_ path: String) -> Bool {
        func longest(_ rules: [String]) -> Int {
            rules.filter { Self.matches(rule: $0, path: path) }.map(\.count).max() ?? -1
        }
        let allowLength = longest(allow)
        let disallowLength = longest(disallow)
        return disallowLength < 0 || allowLength >= disallowLength
    }

    /// Prefix match with `*` wildcards and a `$` end anchor.
    static func matches(rule: String, path: String) -> Bool {
        var pattern = rule
        let anchored = pattern.hasSuffix("$")
        if anchored { pattern.removeLast() }
        let pieces = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        var index = path.startIndex
        for (number, piece) in pieces.enumerated() {
            if number == 0 {
                guard path[index...].hasPrefix(piece) else { return false }
                index = path.index(index, offsetBy: piece.count)
            } else if !piece.isEmpty {
                guard let range = path[index...].range(of: piece) else { return false }
                index = range.upperBound
            }
        }
        return !anchored || index == path.endIndex || pieces.last == ""
    }
}
