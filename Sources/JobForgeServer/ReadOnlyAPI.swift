import Foundation
import JobForgeBuild
import JobForgeCore
import JobForgeReport
import JobForgeStore
import JobForgeTBS
import JobForgeTitles

/// A response before it meets a transport: status, media type, bytes.
public struct APIResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var body: Data

    public static func json<T: Encodable>(_ value: T, status: Int = 200) -> APIResponse {
        do {
            return APIResponse(status: status, contentType: "application/json", body: try ReadOnlyAPI.encoder.encode(value))
        } catch {
            return .problem(500, "cannot encode the response", detail: String(describing: error))
        }
    }

    public static func html(_ text: String) -> APIResponse {
        APIResponse(status: 200, contentType: "text/html; charset=utf-8", body: Data(text.utf8))
    }

    /// RFC 9457 problem details: what was wrong (`detail`) under a stable `type` per kind of problem.
    public static func problem(_ status: Int, _ title: String, detail: String, type: String? = nil) -> APIResponse {
        let problem = Problem(type: type ?? "about:blank", title: title, status: status, detail: detail)
        let body = (try? ReadOnlyAPI.encoder.encode(problem)) ?? Data()
        return APIResponse(status: status, contentType: "application/problem+json", body: body)
    }
}

/// RFC 9457's members that JobForge uses.
public struct Problem: Sendable, Codable, Equatable {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String
}

/// The read-only HTTP API and pages of a store, independent of any server: `respond` maps a
/// method, a path and its query to a response. `serve` puts it behind FlyingFox; a test or
/// another server can call it directly.
///
/// ```swift
/// let api = ReadOnlyAPI(store: try SQLiteStore(path: path, schemas: schemas, mode: .readOnly))
/// let response = await api.respond(method: "GET", path: "/api/titles/JA-0002", query: ["category": "skills"])
/// ```
///
/// Requests read in parallel, each on a connection of its own (``StorePool``), and a response
/// once made is answered again from memory until the store changes: any commit, by any process,
/// empties the cache (SQLite's `data_version`, asked on every request).
public struct ReadOnlyAPI: Sendable {
    public let pool: StorePool
    public let language: ReportLanguage
    /// Where codes in doubt come from in the review queue (the offline NOC coder, composed by the caller).
    public let suggester: (any UnitGroupSuggesting)?
    /// The OpenAPI 3.1 document served at `/openapi.json` (the committed `docs/openapi.json`).
    public static var openAPIDocument: Data { Data(OpenAPIDocument.text.utf8) }
    private let cache = ReportCache()
    private let responses: ResponseCache?
    /// Every title's list item, for pages of `/api/titles` (a page read all the titles again).
    private let titleLists = TitleListMemo()

    /// The bytes of responses kept in memory by default: every profile of the shipped build (285
    /// titles, about 110 MB with their pages) fits.
    public static let defaultCacheBytes = 128 << 20

    /// `stores`: read-only connections to one store (one per request served at once; the first
    /// is used for what needs only one); `slowStore`: one more, for the reads that take seconds
    /// (``takesSeconds(_:)``); `cacheBytes` 0 turns the response cache off.
    public init(stores: [SQLiteStore], slowStore: SQLiteStore? = nil, language: ReportLanguage = .english,
                suggester: (any UnitGroupSuggesting)? = nil, cacheBytes: Int = ReadOnlyAPI.defaultCacheBytes) {
        pool = StorePool(stores, slowStore: slowStore)
        // Read-only connections of a server: their single-subject reads share what they derive
        // (what a title inherits from its profile) until the store changes, across the pool
        // when its change watcher has a connection of its own.
        for store in stores + (slowStore.map { [$0] } ?? []) { store.shareReads(with: stores[0], watcher: pool.ownWatcher) }
        self.language = language
        self.suggester = suggester
        responses = cacheBytes > 0 ? ResponseCache(capacity: cacheBytes) : nil
    }

    public init(store: SQLiteStore, language: ReportLanguage = .english, suggester: (any UnitGroupSuggesting)? = nil,
                cacheBytes: Int = ReadOnlyAPI.defaultCacheBytes) {
        self.init(stores: [store], language: language, suggester: suggester, cacheBytes: cacheBytes)
    }

    public var store: SQLiteStore { pool.primary }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    public static let maximumLimit = 1_000

    public func respond(method: String, path: String, query: [String: String]) async -> APIResponse {
        guard method == "GET" || method == "HEAD" else {
            return .problem(405, "Method not allowed", detail: "the API is read-only: only GET (and HEAD) are answered, not \(method)")
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map { String($0).removingPercentEncoding ?? String($0) }
        if parts.isEmpty {
            // The report page: its builder is async, and it is kept apart (`report`), made again after a run.
            return await pool.withStore { store in
                do { return .html(try await report(store).html) } catch { return Self.problem(for: error) }
            }
        }
        // Asked before reading: a response is kept only for the store as it was before the read
        // began. Asked before taking a connection: a kept response waits for none.
        let generation = responses == nil ? nil : try? pool.changeCount()
        let key = path + "?" + query.sorted { $0.key < $1.key }.map { $0.key + "=" + $0.value }.joined(separator: "&")
        if let generation, let known = responses?.get(key, generation: generation) { return known }
        let read: @Sendable (SQLiteStore) -> APIResponse = { store in
            let response = respond(store, parts, path: path, query: query, generation: generation)
            if let generation, response.status < 500 { responses?.set(key, response, generation: generation) }
            return response
        }
        // One that takes seconds runs behind every other request (`LowPriorityLane`), on a
        // connection of its own when the pool has one.
        if Self.takesSeconds(parts) { return await pool.withSlowStore(read) }
        return await pool.withConnection { connection in
            // Reads block their thread: on the connection's own, not on one of Swift's (one per core),
            // so that a slow one holds up neither the others nor the sockets.
            await connection.run(read)
        }
    }

    /// The routes whose first answer (before the response cache holds it) takes seconds on a large
    /// store: the coverage tallies every title's cells, the review audits every title's code.
    static func takesSeconds(_ parts: [String]) -> Bool {
        parts.count == 2 && parts[0] == "api" && (parts[1] == "coverage" || parts[1] == "review")
    }

    /// `generation`: the pool's change count taken before the read, under which what is read may be kept (nil: keep nothing).
    func respond(_ store: SQLiteStore, _ parts: [String], path: String, query: [String: String], generation: UInt64?) -> APIResponse {
        do {
            switch parts.first {
            case "openapi.json": return APIResponse(status: 200, contentType: "application/json", body: Self.openAPIDocument)
            case "titles" where parts.count == 2: return try titlePage(store, parts[1])
            case "api": return try api(store, Array(parts.dropFirst()), query: query, generation: generation)
            default: break
            }
            return .problem(404, "Not found", detail: "no page at \(path); the report is at /, the API under /api (see /openapi.json)")
        } catch {
            return Self.problem(for: error)
        }
    }

    static func problem(for error: any Error) -> APIResponse {
        switch error {
        case let error as QueryError: .problem(400, "Bad parameter", detail: error.message, type: "/problems/bad-parameter")
        case let error as StoreViews.LookupError: .problem(404, "Not found", detail: error.description, type: "/problems/not-found")
        default: .problem(500, "The store could not be read", detail: String(describing: error))
        }
    }

    func api(_ store: SQLiteStore, _ parts: [String], query: [String: String], generation: UInt64?) throws -> APIResponse {
        switch (parts.first, parts.count) {
        case ("titles", 1): return try titles(store, query, generation: generation)
        case ("titles", 2):
            // Written by hand: the same document as JSONEncoder's, a third of the request's CPU less.
            let profile = try StoreViews.profile(store, of: parts[1], filter: try Self.filter(query))
            return APIResponse(status: 200, contentType: "application/json", body: ProfileJSON.encode(profile))
        case ("cells", 3): return .json(try StoreViews.explanation(store, of: parts[1], descriptor: parts[2], dimension: query["dimension"]))
        case ("descriptors", 1):
            return .json(try store.descriptors(category: try query["category"].map(Self.category)))
        // The page's own numbers (`ReportBuilder.coverage()` is the report's tallies, without the rest of it).
        case ("coverage", 1): return .json(try ReportBuilder(store: store, estimatesCost: false, suggester: suggester).coverage())
        case ("review", 1): return .json(try ReportBuilder(store: store, estimatesCost: false, suggester: suggester).reviewQueue())
        case ("tbs", 2) where parts[1] == "groups":
            let language = try Self.language(query["lang"] ?? "en")
            guard let (version, rows) = try TBSReader(store: store).currentRows(language: language) else {
                return .problem(404, "No TBS data", detail: "this store has no occupational groups table (\(language.rawValue)): run `jobforge tbs scrape`",
                                type: "/problems/not-found")
            }
            return .json(TBSGroups(language: language.rawValue, pageVersion: version.id, url: version.provenance.url, rows: rows))
        default:
            return .problem(404, "Not found", detail: "no API route /api/\(parts.joined(separator: "/")); /openapi.json lists them",
                            type: "/problems/not-found")
        }
    }

    struct TBSGroups: Encodable {
        var language: String
        var pageVersion: Int64
        var url: String
        var rows: [TBSRowView]
    }

    /// A page of titles: `limit` (1-1000, default 100), `offset`; `unresolved=true` keeps those without a profile.
    func titles(_ store: SQLiteStore, _ query: [String: String], generation: UInt64?) throws -> APIResponse {
        let limit = try Self.integer(query, "limit", default: 100, in: 1...Self.maximumLimit)
        let offset = try Self.integer(query, "offset", default: 0, in: 0...Int.max)
        let unresolved = try Self.boolean(query, "unresolved")
        let all: [TitleItem]
        if let generation, let known = titleLists.get(unresolved: unresolved, generation: generation) {
            all = known
        } else {
            all = try TitleCatalog(store).titles(unresolvedOnly: unresolved).map {
                TitleItem(id: $0.id, title: $0.title, titleFR: $0.titleFR, noc2021: $0.noc2021, unitGroup: $0.unitGroup,
                          profileCode: $0.profileCode, method: $0.method.rawValue, confidence: $0.confidence)
            }
            if let generation { titleLists.set(all, unresolved: unresolved, generation: generation) }
        }
        if offset > 0, offset >= all.count {
            return .problem(404, "Page past the end", detail: "offset \(offset) is past the last of \(all.count) titles", type: "/problems/page-past-end")
        }
        return .json(TitlePage(total: all.count, limit: limit, offset: offset, items: Array(all.dropFirst(offset).prefix(limit))))
    }

    struct TitlePage: Encodable {
        var total: Int
        var limit: Int
        var offset: Int
        var items: [TitleItem]
    }

    struct TitleItem: Encodable, Sendable {
        var id: String
        var title: String
        var titleFR: String?
        var noc2021: String?
        var unitGroup: String?
        var profileCode: String?
        var method: String
        var confidence: Double
    }

    func titlePage(_ store: SQLiteStore, _ id: String) throws -> APIResponse {
        guard let sheet = try ReportBuilder(store: store, estimatesCost: false, suggester: suggester).sheet(forTitle: id) else {
            throw StoreViews.LookupError.unknownSubject(id)
        }
        return .html(HTMLReport.sheetPage(sheet, language: language))
    }

    /// The report of the store as it is now: made again only when a run changed the store.
    func report(_ store: SQLiteStore) async throws -> (report: Report, html: String) {
        let version = try store.runs(limit: 1).first.map { "\($0.id) \($0.status) \($0.finishedAt ?? "")" } ?? ""
        if let cached = await cache.get(version) { return cached }
        // No cost estimate: it prices every prompt (seconds to minutes); `jobforge report` has it.
        let report = try await ReportBuilder(store: store, estimatesCost: false, suggester: suggester).build()
        let made = (report, HTMLReport(report, language: language, sheetLink: { "/titles/" + HTMLReport.percentEncoded($0) }).render())
        await cache.set(version, made)
        return made
    }

    // MARK: Parameters, checked as the CLI checks its options

    struct QueryError: Error { var message: String }

    static func filter(_ query: [String: String]) throws -> CellFilter {
        var filter = CellFilter()
        if let text = query["category"] {
            filter.categories = Set(try text.split(separator: ",").map { try category(String($0)) })
        }
        if let text = query["source"] {
            filter.sources = Set(try text.split(separator: ",").map { name in
                guard let source = Source(rawValue: name.trimmingCharacters(in: .whitespaces).lowercased()) else {
                    throw QueryError(message: "source must be authoritative, onet or llm, not \"\(name)\"")
                }
                return source
            })
        }
        if let text = query["min_confidence"] {
            guard let value = Double(text), (0...1).contains(value) else {
                throw QueryError(message: "min_confidence must be a number between 0 and 1, not \"\(text)\"")
            }
            filter.minimumConfidence = value
        }
        return filter
    }

    static func category(_ text: String) throws -> Category {
        guard let category = Category(userInput: text) else {
            throw QueryError(message: "category \"\(text)\" is not one of \(Category.allCases.map(\.slug).joined(separator: ", "))")
        }
        return category
    }

    static func language(_ text: String) throws -> TBSLanguage {
        guard let language = TBSLanguage(rawValue: text) else { throw QueryError(message: "lang must be en or fr, not \"\(text)\"") }
        return language
    }

    static func integer(_ query: [String: String], _ name: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text = query[name] else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw QueryError(message: "\(name) must be a whole number from \(range.lowerBound)\(range.upperBound == Int.max ? " up" : " to \(range.upperBound)"), not \"\(text)\"")
        }
        return number
    }

    static func boolean(_ query: [String: String], _ name: String) throws -> Bool {
        switch query[name] {
        case nil, "false", "0": return false
        case "true", "1", "": return true
        case let other?: throw QueryError(message: "\(name) must be true or false, not \"\(other)\"")
        }
    }
}

/// The last report made and the store version it was made from.
actor ReportCache {
    private var entry: (version: String, value: (report: Report, html: String))?

    func get(_ version: String) -> (report: Report, html: String)? {
        entry.flatMap { $0.version == version ? $0.value : nil }
    }

    func set(_ version: String, _ value: (report: Report, html: String)) {
        entry = (version, value)
    }
}

/// Every title's list item, for the store as it was at a pool change count (as ``ResponseCache``
/// keeps responses): a later count empties it.
final class TitleListMemo: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var generation: UInt64?
    private var lists: [Bool: [ReadOnlyAPI.TitleItem]] = [:]

    func get(unresolved: Bool, generation current: UInt64) -> [ReadOnlyAPI.TitleItem]? {
        lock.withLock { generation == current ? lists[unresolved] : nil }
    }

    /// Kept only under a count at least the newest seen: a list read before a change is never kept after it.
    func set(_ items: [ReadOnlyAPI.TitleItem], unresolved: Bool, generation current: UInt64) {
        lock.withLock {
            if generation != current {
                guard generation.map({ current > $0 }) ?? true else { return }
                lists.removeAll()
                generation = current
            }
            lists[unresolved] = items
        }
    }
}
