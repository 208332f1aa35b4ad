import FlyingFox
import Foundation

/// A loopback stand-in for canada.ca (127.0.0.1, random port) that serves the REAL captured TBS
/// pages at their real paths, a French variant built from the English page, and robots.txt.
/// Documents it lacks answer 404 (the standards pages: no content is invented). It supports
/// ETag / Last-Modified with 304, and can misbehave on demand (500, 429 with Retry-After, slow
/// answers, redirects, a replaced page).
public final class FakeCanadaSite: @unchecked Sendable {
    public static let tablePathEN = "/en/treasury-board-secretariat/services/collective-agreements/occupational-groups.html"
    public static let tablePathFR = "/fr/secretariat-conseil-tresor/services/conventions-collectives/groupes-professionnels.html"
    public static let definitionsPathEN = "/en/treasury-board-secretariat/services/collective-agreements/occupational-groups/definitions.html"

    /// What the server does for one path on its next requests.
    public enum Misbehaviour: Sendable {
        /// Answers this status (with `Retry-After` when given) for the next `times` requests.
        case status(Int, retryAfter: String?, times: Int)
        /// Waits before answering, every time.
        case delay(TimeInterval)
        /// Answers a redirect (301, 302, 307, ...) to `location`, every time. `location` may be
        /// relative, on this site, or on another server (another loopback port).
        case redirect(Int, location: String)
    }

    private let server: HTTPServer
    private let task: Task<Void, Error>
    public let port: UInt16
    public var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }

    private let lock = NSLock()
    private var pages: [String: Data] = [:]
    private var lastModified: [String: String] = [:]
    private var misbehaviours: [String: Misbehaviour] = [:]
    private var requestLog: [(path: String, status: Int, bytes: Int, userAgent: String?, conditional: Bool)] = []
    private var robots = "User-agent: *\nDisallow: /en/search\nDisallow: /fr/rechercher\n"

    /// The real English table page (Tests/Fixtures/tbs/occupational-groups_en.html).
    public static func realTablePage() throws -> Data {
        try Data(contentsOf: RepoPaths.fixtures.appendingPathComponent("tbs/occupational-groups_en.html"))
    }

    public static func realDefinitionsPage() throws -> Data {
        try Data(contentsOf: RepoPaths.fixtures.appendingPathComponent("tbs/definitions_en.html"))
    }

    /// The French stand-in until a real French capture exists: the real English page with the
    /// French headers, `S.o.` for N/A, `lang="fr"`, and its body rows in reverse order (the real
    /// French page orders rows differently, so nothing may rely on position).
    public static func frenchVariant(of english: Data, reverseRows: Bool = true) -> Data {
        var text = String(decoding: english, as: UTF8.self)
        let headers: [(String, String)] = [
            ("Group abbreviation", "Abréviation de groupe"),
            ("Occupational Group (post 1999)", "Groupe professionnel (après 1999)"),
            ("Job evaluation standard", "Norme d’évaluation des emplois"),
            ("Qualification standard", "Norme de qualification"),
            ("Bargaining update", "Mise à jour sur les négociations"),
            ("Collective agreement", "Convention collective"),
            ("Rates of pay for represented employees", "Taux de rémunération des employés représentés"),
            ("Rates of pay for unrepresented/senior excluded employees",
             "Taux de rémunération des employés non représentés et exclus de niveau supérieur"),
            ("Definition", "Définition"),
            ("Subgroup", "Sous-groupe"),
            ("Group", "Groupe"),
        ]
        for (english, french) in headers {
            text = text.replacingOccurrences(of: "scope=\"col\">\(english)</th>", with: "scope=\"col\">\(french)</th>")
        }
        text = text.replacingOccurrences(of: "title=\"Not Applicable\">N/A</abbr>", with: "title=\"Sans objet\">S.o.</abbr>")
        text = text.replacingOccurrences(of: "<html class=\"no-js\" dir=\"ltr\" lang=\"en\"", with: "<html class=\"no-js\" dir=\"ltr\" lang=\"fr\"")
        if reverseRows, let open = text.range(of: "<tbody>"), let close = text.range(of: "</tbody>", range: open.upperBound..<text.endIndex) {
            let body = String(text[open.upperBound..<close.lowerBound])
            let rows = body.components(separatedBy: "<tr>").dropFirst().map { "<tr>" + $0 }
            text.replaceSubrange(open.upperBound..<close.lowerBound, with: "\n" + rows.reversed().joined())
        }
        return Data(text.utf8)
    }

    /// Starts the site with the real pages (English, French variant, definitions).
    public static func start() async throws -> FakeCanadaSite {
        let english = try realTablePage()
        return try await FakeCanadaSite(pages: [
            tablePathEN: english,
            tablePathFR: frenchVariant(of: english),
            definitionsPathEN: try realDefinitionsPage(),
        ])
    }

    public init(pages: [String: Data]) async throws {
        let server = HTTPServer(address: try .inet(ip4: "127.0.0.1", port: 0), timeout: 30, pool: NoDelaySocketPool(base: HTTPServer.defaultPool()), logger: .disabled)
        self.server = server
        self.pages = pages
        let stamp = "Fri, 09 Jan 2026 12:00:00 GMT"
        for path in pages.keys { lastModified[path] = stamp }
        task = Task { try await server.run() }
        try await server.waitUntilListening()
        guard case .ip4(_, let port) = await server.listeningAddress else {
            throw URLError(.cannotConnectToHost)
        }
        self.port = port
        let handler = Handler(site: self)
        await server.appendRoute("GET *", to: handler)
    }

    public func stop() async {
        await server.stop(timeout: 1)
        task.cancel()
    }

    /// Replaces (or adds) a page: a new ETag and Last-Modified follow from the new content.
    public func setPage(_ path: String, _ data: Data, lastModified stamp: String = "Sat, 10 Jan 2026 12:00:00 GMT") {
        lock.withLock {
            pages[path] = data
            lastModified[path] = stamp
        }
    }

    public func setRobots(_ text: String) { lock.withLock { robots = text } }

    public func misbehave(_ path: String, _ misbehaviour: Misbehaviour?) {
        lock.withLock { misbehaviours[path] = misbehaviour }
    }

    /// Requests served so far: path, status, body bytes, User-Agent, whether it was conditional.
    public var requests: [(path: String, status: Int, bytes: Int, userAgent: String?, conditional: Bool)] {
        lock.withLock { requestLog }
    }

    public func resetLog() { lock.withLock { requestLog.removeAll() } }

    /// A strong ETag from the content, so a changed page gets a new one.
    static func etag(_ data: Data) -> String {
        var hash: UInt64 = 0xcbf29ce484222325
        for byte in data { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
        return "\"\(String(hash, radix: 16))\""
    }

    fileprivate func respond(to request: FlyingFox.HTTPRequest) async -> FlyingFox.HTTPResponse {
        let path = request.path
        let userAgent = request.headers[HTTPHeader("User-Agent")]
        let ifNoneMatch = request.headers[HTTPHeader("If-None-Match")]
        let ifModifiedSince = request.headers[HTTPHeader("If-Modified-Since")]
        let (page, stamp, misbehaviour, robotsText): (Data?, String?, Misbehaviour?, String) = lock.withLock {
            var current = misbehaviours[path]
            if case .status(let status, let retryAfter, let times)? = current {
                misbehaviours[path] = times > 1 ? .status(status, retryAfter: retryAfter, times: times - 1) : nil
                current = .status(status, retryAfter: retryAfter, times: times)
            }
            return (pages[path], lastModified[path], current, robots)
        }
        func log(_ status: Int, _ bytes: Int) {
            lock.withLock {
                requestLog.append((path, status, bytes, userAgent, ifNoneMatch != nil || ifModifiedSince != nil))
            }
        }
        switch misbehaviour {
        case .status(let status, let retryAfter, _)?:
            var headers = HTTPHeaders()
            if let retryAfter { headers[HTTPHeader("Retry-After")] = retryAfter }
            let body = Data("<html><body>fake error \(status)</body></html>".utf8)
            log(status, body.count)
            return HTTPResponse(statusCode: HTTPStatusCode(status, phrase: "Fake"), headers: headers, body: body)
        case .delay(let seconds)?:
            try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
        case .redirect(let status, let location)?:
            var headers: HTTPHeaders = [.contentType: "text/html"]
            headers[HTTPHeader("Location")] = location
            let body = Data("<html><body>Moved to <a href=\"\(location)\">\(location)</a></body></html>".utf8)
            log(status, body.count)
            return HTTPResponse(statusCode: HTTPStatusCode(status, phrase: "Redirect"), headers: headers, body: body)
        case nil:
            break
        }
        if path == "/robots.txt" {
            let body = Data(robotsText.utf8)
            log(200, body.count)
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "text/plain"], body: body)
        }
        guard let page else {
            let body = Data("<html><body>Not found</body></html>".utf8)
            log(404, body.count)
            return HTTPResponse(statusCode: .notFound, headers: [.contentType: "text/html"], body: body)
        }
        let etag = Self.etag(page)
        var headers: HTTPHeaders = [.contentType: "text/html; charset=utf-8"]
        headers[HTTPHeader("ETag")] = etag
        if let stamp { headers[HTTPHeader("Last-Modified")] = stamp }
        let notModified = ifNoneMatch.map { $0 == etag } ?? (ifModifiedSince != nil && ifModifiedSince == stamp)
        if notModified {
            log(304, 0)
            return HTTPResponse(statusCode: .notModified, headers: headers)
        }
        log(200, page.count)
        return HTTPResponse(statusCode: .ok, headers: headers, body: page)
    }

    private struct Handler: HTTPHandler {
        let site: FakeCanadaSite
        func handleRequest(_ request: FlyingFox.HTTPRequest) async throws -> FlyingFox.HTTPResponse {
            var response = await site.respond(to: request)
            // Keep-alive between libcurl and FlyingFox costs ~70 ms a request on loopback
            // (delayed ACKs); a fresh connection per request costs far less.
            response.headers[.connection] = "close"
            return response
        }
    }
}
