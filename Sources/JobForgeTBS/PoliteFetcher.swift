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
    /// Redirects followed for one page; each hop is checked like a page before it is requested.
    public var maxRedirects: Int

    public static let defaultUserAgent = "JobForge/1.0 (occupational groups scraper; polite: 1 request at a time, robots.txt honoured)"

    public init(allowedHosts: Set<String> = ["www.canada.ca", "canada.ca"], delay: TimeInterval = 1,
                userAgent: String = TBSFetchPolicy.defaultUserAgent,
                retry: RetryPolicy = RetryPolicy(maxAttempts: 4, baseDelay: 1, maxDelay: 30, minimumDelay: 0.5, maxRetryAfter: 120),
                timeout: TimeInterval = 60, baseURL: URL? = nil, maxRedirects: Int = 5) {
        self.allowedHosts = allowedHosts
        self.delay = delay
        self.userAgent = userAgent
        self.retry = retry
        self.timeout = timeout
        self.baseURL = baseURL
        self.maxRedirects = maxRedirects
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

    /// The canonical URL of an address on the fetch host (a `Location` a mirror sent): the inverse
    /// of `fetchURL(for:)`, on `site`'s scheme and host. Any other address is already canonical.
    public func canonicalURL(forFetched url: URL, site: URL) -> URL {
        guard let baseURL, var components = URLComponents(url: url, resolvingAgainstBaseURL: false),
              let base = URLComponents(url: baseURL, resolvingAgainstBaseURL: false),
              components.scheme?.lowercased() == base.scheme?.lowercased(),
              components.host?.lowercased() == base.host?.lowercased(),
              Self.port(of: components) == Self.port(of: base) else { return url }
        let prefix = base.path.hasSuffix("/") ? String(base.path.dropLast()) : base.path
        guard components.path.hasPrefix(prefix) else { return url }
        components.path = String(components.path.dropFirst(prefix.count))
        if components.path.isEmpty { components.path = "/" }
        components.scheme = site.scheme
        components.host = site.host
        components.port = site.port
        return components.url ?? url
    }

    private static func port(of components: URLComponents) -> Int? {
        components.port ?? (components.scheme?.lowercased() == "https" ? 443 : components.scheme?.lowercased() == "http" ? 80 : nil)
    }

    /// Why a canonical URL may not be requested on grounds of its host, or nil when it may.
    func hostRefusal(_ canonical: URL) -> String? {
        guard let host = canonical.host?.lowercased(), allowedHosts.contains(host) else {
            return "host \(canonical.host ?? "(none)") is not on the allow-list (\(allowedHosts.sorted().joined(separator: ", ")))"
        }
        return nil
    }
}

/// A redirect the fetcher did not follow: its next hop is off the allow-list or disallowed by
/// robots.txt, or the chain is too long or loops. The hop was never requested.
public struct TBSRedirectError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The page asked for (canonical).
    public var page: URL
    /// The URL that answered with the redirect (canonical).
    public var from: URL
    /// The hop it pointed to (canonical when on the fetch host, else as sent).
    public var to: URL
    /// The redirect's HTTP status.
    public var status: Int
    /// Why it was not followed.
    public var reason: String

    public init(page: URL, from: URL, to: URL, status: Int, reason: String) {
        self.page = page
        self.from = from
        self.to = to
        self.status = status
        self.reason = reason
    }

    public var description: String {
        let chain = from == page ? "" : " (reached from \(page.absoluteString))"
        return "redirect not followed: \(from.absoluteString)\(chain) answered HTTP \(status) to \(to.absoluteString), but \(reason); "
            + "nothing from that address was requested or stored. If the page moved for good, update the link or the allow-list."
    }
}

/// The outcome of one polite fetch.
public enum TBSFetchOutcome: Sendable {
    /// The page, and the canonical URL it was finally read from when redirects were followed
    /// (nil when it answered at its own URL).
    case ok(HTTPResponse, redirectedTo: URL?)
    /// 304: the stored version is still current.
    case notModified(HTTPResponse)
    case notFound(status: Int)
    case failed(reason: String, status: Int?)
    /// Not requested: host not allowed, or robots.txt disallows it.
    case notFollowed(reason: String)
    /// The page answered with a redirect that was not followed (see `TBSRedirectError`).
    case redirectRefused(TBSRedirectError)
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
    /// Redirects are followed here, hop by hop (the transport is asked not to follow them): each
    /// hop is checked against the allow-list and robots.txt before it is requested.
    public func fetch(_ canonical: URL, conditional: TBSConditional? = nil) async -> TBSFetchOutcome {
        if let refusal = await refusal(canonical) { return .notFollowed(reason: refusal) }
        var headers = ["User-Agent": policy.userAgent, "Accept": "text/html,application/xhtml+xml"]
        if let etag = conditional?.etag { headers["If-None-Match"] = etag }
        if let lastModified = conditional?.lastModified { headers["If-Modified-Since"] = lastModified }
        do {
            switch try await getFollowingRedirects(canonical, headers: headers, checkRobots: true) {
            case .answered(let response, let finalURL):
                return Self.outcome(response, redirectedTo: finalURL == canonical ? nil : finalURL)
            case .refused(let error):
                return .redirectRefused(error)
            }
        } catch {
            return .failed(reason: "\(error)", status: nil)
        }
    }

    /// Why a canonical URL may not be requested (host, then robots.txt), or nil when it may.
    private func refusal(_ canonical: URL) async -> String? {
        if let refusal = policy.hostRefusal(canonical) { return refusal }
        let rules = await robotsRules(for: canonical)
        let path = canonical.path.isEmpty ? "/" : canonical.path
        return rules.allows(path) ? nil : "robots.txt disallows \(path)"
    }

    private enum Answer: Sendable {
        /// The first response that is not a redirect, and the canonical URL that gave it.
        case answered(HTTPResponse, finalURL: URL)
        case refused(TBSRedirectError)
    }

    /// GETs `canonical` (already checked) and follows its redirects, at most `policy.maxRedirects`:
    /// every hop must pass the allow-list (and robots.txt when `checkRobots`) before it is sent.
    private func getFollowingRedirects(_ canonical: URL, headers: [String: String], checkRobots: Bool) async throws -> Answer {
        var current = canonical
        var visited: [URL] = []
        while true {
            let target = policy.fetchURL(for: current)
            let request = HTTPRequest(url: target, headers: headers, timeout: policy.timeout, followsRedirects: false)
            let response = try await send(request, gateKey: Self.gateKey(target)) { $0 }
            guard Self.redirectStatuses.contains(response.status) else { return .answered(response, finalURL: current) }
            func refused(_ to: URL, _ reason: String) -> Answer {
                .refused(TBSRedirectError(page: canonical, from: current, to: to, status: response.status, reason: reason))
            }
            guard let location = response.header("Location"),
                  let resolved = URL(string: location, relativeTo: target)?.absoluteURL else {
                return refused(current, "the redirect has no usable Location header (\(response.header("Location") ?? "none"))")
            }
            var next = policy.canonicalURL(forFetched: resolved, site: current)
            if next.fragment != nil, var components = URLComponents(url: next, resolvingAgainstBaseURL: false) {
                components.fragment = nil
                next = components.url ?? next
            }
            visited.append(current)
            if visited.contains(next) { return refused(next, "the redirects loop back to an address already visited") }
            if visited.count > policy.maxRedirects {
                return refused(next, "that is more than \(policy.maxRedirects) redirects")
            }
            if let reason = policy.hostRefusal(next) { return refused(next, reason) }
            if checkRobots, !(await robotsRules(for: next)).allows(next.path.isEmpty ? "/" : next.path) {
                return refused(next, "robots.txt disallows \(next.path.isEmpty ? "/" : next.path)")
            }
            current = next
        }
    }

    /// 3xx statuses that name another address in `Location` (304 and 300 do not redirect).
    private static let redirectStatuses: Set<Int> = [301, 302, 303, 307, 308]

    /// One gate (one request at a time, `delay` apart) per host and port actually contacted.
    private static func gateKey(_ target: URL) -> String { "\(target.host ?? ""):\(target.port ?? 0)" }

    /// What a response means for a page: 304 and 404/410 are outcomes, not failures.
    private static func outcome(_ response: HTTPResponse, redirectedTo: URL?) -> TBSFetchOutcome {
        switch response.status {
        case 200...299: return .ok(response, redirectedTo: redirectedTo)
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
    /// no answer) allows nothing, as RFC 9309 says. Its redirects are followed on the allow-list;
    /// a redirect that cannot be followed counts as missing (RFC 9309, 2.3.1.2).
    private func robotsRules(for canonical: URL) async -> RobotsRules {
        let host = canonical.host?.lowercased() ?? ""
        if let cached = robots[host] { return cached }
        var components = URLComponents(url: canonical, resolvingAgainstBaseURL: false)!
        components.path = "/robots.txt"
        components.query = nil
        components.fragment = nil
        let rules: RobotsRules
        do {
            switch try await getFollowingRedirects(components.url!, headers: ["User-Agent": policy.userAgent], checkRobots: false) {
            case .answered(let response, _):
                switch response.status {
                case 200...299: rules = RobotsRules.parse(String(decoding: response.body, as: UTF8.self), userAgent: "JobForge")
                case 400...499: rules = .allowAll
                default: rules = .disallowAll
                }
            case .refused:
                rules = .allowAll
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
