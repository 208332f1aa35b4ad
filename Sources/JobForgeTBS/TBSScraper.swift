import Foundation
import JobForgeCore
import JobForgeNet
import JobForgeStore

/// The canonical addresses of the occupational groups page.
public enum TBSPages {
    public static let site = URL(string: "https://www.canada.ca")!

    public static func tablePath(_ language: TBSLanguage) -> String {
        switch language {
        case .en: "/en/treasury-board-secretariat/services/collective-agreements/occupational-groups.html"
        case .fr: "/fr/secretariat-conseil-tresor/services/conventions-collectives/groupes-professionnels.html"
        }
    }

    public static func tableURL(_ language: TBSLanguage) -> URL { URL(string: tablePath(language), relativeTo: site)!.absoluteURL }
}

/// What a scrape should do.
public struct TBSScrapeOptions: Sendable {
    public var languages: [TBSLanguage]
    /// Conditional requests (ETag / Last-Modified of the stored version): what `refresh` does.
    public var conditional: Bool
    /// 1: the table's linked documents; 2: also the documents linked from their sections.
    public var maxDepth: Int
    /// The columns whose links are followed (the others are recorded, not requested).
    public var followColumns: [TBSColumn]
    public var minimumRows: Int

    public init(languages: [TBSLanguage] = [.en, .fr], conditional: Bool = false, maxDepth: Int = 2,
                followColumns: [TBSColumn] = TBSColumn.contentColumns, minimumRows: Int = 150) {
        self.languages = languages
        self.conditional = conditional
        self.maxDepth = maxDepth
        self.followColumns = followColumns
        self.minimumRows = minimumRows
    }
}

/// Progress of a scrape, for a terminal.
public struct TBSProgress: Sendable {
    public var done: Int
    public var total: Int
    public var url: String
}

/// Fetches the occupational groups page(s), parses the table, follows the links two levels deep,
/// and saves everything with provenance in one transaction. A language whose page cannot be read
/// or parsed is left out and reported (`Outcome.failures`); when no language can be read, it
/// stops before anything is written.
public struct TBSScraper: Sendable {
    public let fetcher: PoliteFetcher
    public let store: SQLiteStore
    public let options: TBSScrapeOptions

    public init(fetcher: PoliteFetcher, store: SQLiteStore, options: TBSScrapeOptions) {
        self.fetcher = fetcher
        self.store = store
        self.options = options
    }

    public struct Outcome: Sendable {
        public var summary: TBSScrapeSummary
        public var record: TBSScrapeRecord
        /// The languages whose table page could not be read: the rest was stored without them.
        public var failures: [TBSLanguageFailure] { record.failures }
    }

    /// Runs the scrape and saves what succeeded in one transaction; returns what was stored and,
    /// in `failures`, the languages left out. Throws, storing nothing, when no language could be read.
    public func run(progress: @Sendable (TBSProgress) -> Void = { _ in }) async throws -> Outcome {
        let record = try await crawl(progress: progress)
        let summary = try TBSArchive(store).saveScrape(record)
        return Outcome(summary: summary, record: record)
    }

    /// Everything fetched and parsed, not yet written.
    public func crawl(progress: @Sendable (TBSProgress) -> Void = { _ in }) async throws -> TBSScrapeRecord {
        let startedAt = Date()
        let bytesBefore = await fetcher.bytesReceived
        let requestsBefore = await fetcher.requestsSent
        var pages: [TBSFetchedPage] = []
        var tableRows: [TBSRow] = []
        var done = 0

        // Depth 0: the table pages. A language whose page cannot be read or parsed is left out
        // (its failure recorded) and the others go on; when none is left, the scrape throws
        // before anything is stored.
        let parser = TBSTableParser(minimumRows: options.minimumRows, siteBase: TBSPages.site)
        var failures: [TBSLanguageFailure] = []
        var firstError: (any Error)?
        var succeeded: [TBSLanguage] = []
        for language in options.languages {
            let url = TBSPages.tableURL(language)
            progress(TBSProgress(done: done, total: options.languages.count, url: url.absoluteString))
            var page = try await fetchPage(url, language: language, role: .table, depth: 0)
            done += 1
            guard let body = page.body ?? page.storedBody else {
                let reason = page.page.reason ?? "no body"
                firstError = firstError ?? TBSScrapeError.tableUnavailable(url: url.absoluteString, result: page.page.result, reason: reason)
                failures.append(TBSLanguageFailure(language: language, url: url.absoluteString,
                                                   reason: "\(page.page.result.rawValue): \(reason)"))
                pages.append(page.page)
                continue
            }
            let table: TBSTable
            do {
                table = try parser.parse(body, url: url.absoluteString, language: language)
            } catch let error as TBSStructureError {
                firstError = firstError ?? error
                let reason = "the occupational groups table is not as expected (\(error.kind.rawValue)): \(error.message)"
                failures.append(TBSLanguageFailure(language: language, url: url.absoluteString, reason: reason))
                // Kept as what this scrape saw, not as a version: its body is not a table we can read.
                page.page.result = .failed
                page.page.reason = reason
                page.page.provenance = nil
                page.page.body = nil
                pages.append(page.page)
                continue
            }
            page.page.rows = table.rows
            page.page.extractionMethod = "libxml2-html:table.wb-tables/tbody/tr"
            tableRows += table.rows
            pages.append(page.page)
            succeeded.append(language)
        }
        if succeeded.isEmpty, let firstError {
            if failures.count == 1 { throw firstError }
            throw TBSScrapeError.noLanguageRead(failures)
        }

        // Depth 1: each distinct document of the followed columns, once.
        var requested: [String: [String]] = [:]   // document URL -> fragments ("" = whole document)
        var documentOrder: [String] = []
        var checks: [String: TBSLinkCheck] = [:]
        for row in tableRows {
            for link in row.links {
                guard let url = link.url, let document = link.documentURL else { continue }
                if !options.followColumns.contains(link.column) {
                    if checks[url] == nil {
                        checks[url] = TBSLinkCheck(url: url, documentURL: document, fragment: link.fragment, status: .notFollowed,
                                                   reason: "column \"\(link.column.key)\" is not crawled", httpStatus: nil)
                    }
                    continue
                }
                if requested[document] == nil { documentOrder.append(document) }
                let fragment = link.fragment ?? ""
                if !(requested[document] ?? []).contains(fragment) { requested[document, default: []].append(fragment) }
            }
        }
        var fetchedDocuments: [String: TBSFetchedPage] = [:]
        var nextLevel: [String: [String]] = [:]
        var nextOrder: [String] = []
        let reader = TBSPageReader()
        var levelDocuments = documentOrder
        var levelRequests = requested
        var depth = 1
        while depth <= options.maxDepth, !levelDocuments.isEmpty {
            for document in levelDocuments {
                guard let url = URL(string: document) else { continue }
                progress(TBSProgress(done: done, total: options.languages.count + levelDocuments.count, url: document))
                var fetched = try await fetchPage(url, language: nil, role: .document, depth: depth)
                done += 1
                let fragments = levelRequests[document] ?? []
                if let body = fetched.body ?? fetched.storedBody {
                    let result = try? reader.read(body, pageURL: url, fragments: fragments)
                    fetched.page.sections = result?.sections ?? []
                    fetched.page.extractionMethod = "libxml2-html:fragment-sections"
                    let found = Set(result?.sections.map(\.fragment) ?? [])
                    for fragment in fragments {
                        let linkURL = fragment.isEmpty ? document : document + "#" + fragment
                        checks[linkURL] = TBSLinkCheck(
                            url: linkURL, documentURL: document, fragment: fragment.isEmpty ? nil : fragment,
                            status: found.contains(fragment) ? .ok : .fragmentMissing,
                            reason: found.contains(fragment) ? nil : "the page has no section with id \"\(fragment)\"",
                            httpStatus: fetched.page.httpStatus)
                    }
                    // The next level: links inside the sections that were asked for.
                    if depth < options.maxDepth {
                        for section in result?.sections ?? [] {
                            for link in section.links {
                                guard var components = URLComponents(string: link) else { continue }
                                let fragment = components.fragment ?? ""
                                components.fragment = nil
                                guard let target = components.string else { continue }
                                if requested[target] != nil || fetchedDocuments[target] != nil || target == document { continue }
                                if nextLevel[target] == nil { nextOrder.append(target) }
                                if !(nextLevel[target] ?? []).contains(fragment) { nextLevel[target, default: []].append(fragment) }
                            }
                        }
                    }
                } else {
                    let status: TBSLinkStatus = switch fetched.page.result {
                    case .notFound: .notFound
                    case .notFollowed: .notFollowed
                    default: .failed
                    }
                    for fragment in fragments {
                        let linkURL = fragment.isEmpty ? document : document + "#" + fragment
                        checks[linkURL] = TBSLinkCheck(url: linkURL, documentURL: document, fragment: fragment.isEmpty ? nil : fragment,
                                                       status: status, reason: fetched.page.reason, httpStatus: fetched.page.httpStatus)
                    }
                }
                fetchedDocuments[document] = fetched.page
                pages.append(fetched.page)
            }
            depth += 1
            levelDocuments = nextOrder.filter { fetchedDocuments[$0] == nil }
            levelRequests = nextLevel
            for (document, fragments) in nextLevel { requested[document] = fragments }
            nextLevel = [:]
            nextOrder = []
        }
        let policy = fetcher.policy
        return TBSScrapeRecord(
            kind: options.conditional ? .refresh : .scrape, startedAt: startedAt, finishedAt: Date(),
            languages: succeeded, fetchedFrom: (policy.baseURL ?? TBSPages.site).absoluteString,
            userAgent: policy.userAgent, requests: await fetcher.requestsSent - requestsBefore,
            bytesReceived: await fetcher.bytesReceived - bytesBefore, pages: pages,
            links: checks.values.sorted { $0.url < $1.url }, failures: failures)
    }

    private struct Fetched {
        var page: TBSFetchedPage
        var body: Data?
        /// The stored body of a page that answered 304.
        var storedBody: Data?
    }

    private func fetchPage(_ url: URL, language: TBSLanguage?, role: TBSPageRole, depth: Int) async throws -> Fetched {
        let canonical = url.absoluteString
        var conditional: TBSConditional?
        var stored: TBSStoredPage?
        if options.conditional {
            stored = try TBSArchive(store).latestPage(url: canonical)
            if let stored {
                conditional = TBSConditional(etag: stored.version.provenance.etag,
                                             lastModified: stored.version.provenance.httpLastModified)
            }
        }
        let checkedAt = Date()
        let outcome = await fetcher.fetch(url, conditional: conditional)
        switch outcome {
        case .ok(let response, let redirectedTo):
            let body = response.body
            let metadata = (try? HTMLDocument(data: body, url: canonical)).map(TBSPageReader.metadata)
            let provenance = TBSPageProvenance(
                url: canonical, fetchedAt: checkedAt, title: metadata?.title, contentHash: SHA256.hex(body),
                pageModified: metadata?.modified, httpLastModified: response.header("Last-Modified"),
                etag: response.header("ETag"), bytes: body.count, finalURL: redirectedTo?.absoluteString)
            let page = TBSFetchedPage(url: canonical, language: language, role: role, depth: depth, result: .fetched,
                                      httpStatus: response.status, provenance: provenance, body: body,
                                      checkedAt: checkedAt, bytesTransferred: body.count)
            return Fetched(page: page, body: body, storedBody: nil)
        case .notModified(let response):
            let page = TBSFetchedPage(url: canonical, language: language, role: role, depth: depth, result: .notModified,
                                      httpStatus: response.status, provenance: stored?.version.provenance,
                                      checkedAt: checkedAt, bytesTransferred: response.body.count)
            return Fetched(page: page, body: nil, storedBody: stored?.body)
        case .notFound(let status):
            return Fetched(page: TBSFetchedPage(url: canonical, language: language, role: role, depth: depth, result: .notFound,
                                                httpStatus: status, reason: "HTTP \(status)", checkedAt: checkedAt), body: nil, storedBody: nil)
        case .failed(let reason, let status):
            return Fetched(page: TBSFetchedPage(url: canonical, language: language, role: role, depth: depth, result: .failed,
                                                httpStatus: status, reason: reason, checkedAt: checkedAt), body: nil, storedBody: nil)
        case .redirectRefused(let error):
            return Fetched(page: TBSFetchedPage(url: canonical, language: language, role: role, depth: depth, result: .failed,
                                                httpStatus: error.status, reason: error.description, checkedAt: checkedAt),
                           body: nil, storedBody: nil)
        case .notFollowed(let reason):
            return Fetched(page: TBSFetchedPage(url: canonical, language: language, role: role, depth: depth, result: .notFollowed,
                                                reason: reason, checkedAt: checkedAt), body: nil, storedBody: nil)
        }
    }
}

public enum TBSScrapeError: Error, Sendable, CustomStringConvertible {
    case tableUnavailable(url: String, result: TBSFetchResult, reason: String)
    /// Every language's table page failed.
    case noLanguageRead([TBSLanguageFailure])

    public var description: String {
        switch self {
        case .tableUnavailable(let url, let result, let reason):
            "the occupational groups page \(url) could not be read (\(result.rawValue): \(reason)); nothing was stored. "
                + "Check the network or --base-url, then run the scrape again."
        case .noLanguageRead(let failures):
            "no occupational groups page could be read; nothing was stored:\n"
                + failures.map { "  \($0)" }.joined(separator: "\n")
                + "\nCheck the network or --base-url, then run the scrape again."
        }
    }
}

/// A language left out of a scrape: its table page could not be fetched or parsed.
public struct TBSLanguageFailure: Error, Sendable, Codable, Hashable, CustomStringConvertible {
    public var language: TBSLanguage
    /// The table page's canonical URL.
    public var url: String
    public var reason: String

    public init(language: TBSLanguage, url: String, reason: String) {
        self.language = language
        self.url = url
        self.reason = reason
    }

    public var description: String { "\(language.rawValue): \(url): \(reason)" }
}
