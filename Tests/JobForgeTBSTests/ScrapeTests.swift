import Foundation
import JobForgeCore
import JobForgeNet
import JobForgeStore
@testable import JobForgeTBS
import JobForgeTestSupport
import Testing

/// A store in a fresh temporary directory, with the fake site, removed at the end.
struct ScrapeFixture {
    let directory: TemporaryDirectory
    let store: SQLiteStore
    let site: FakeCanadaSite
    let fetcher: PoliteFetcher

    static func make(delay: TimeInterval = 0) async throws -> ScrapeFixture {
        let directory = try TemporaryDirectory(prefix: "jobforge-tbs")
        let store = try SQLiteStore(path: directory.path("store.sqlite").path, schemas: [TBSSchema.self])
        let site = try await FakeCanadaSite.start()
        return ScrapeFixture(directory: directory, store: store, site: site, fetcher: fetcher(site, delay: delay))
    }

    static func fetcher(_ site: FakeCanadaSite, delay: TimeInterval = 0) -> PoliteFetcher {
        PoliteFetcher(transport: URLSessionTransport(), policy: TBSFetchPolicy(
            delay: delay, retry: RetryPolicy(maxAttempts: 3, baseDelay: 0.01, maxDelay: 0.05, minimumDelay: 0.01, maxRetryAfter: 2),
            timeout: 20, baseURL: site.baseURL))
    }

    func scraper(_ options: TBSScrapeOptions = TBSScrapeOptions(), fetcher: PoliteFetcher? = nil) -> TBSScraper {
        TBSScraper(fetcher: fetcher ?? self.fetcher, store: store, options: options)
    }

    func finish() async {
        await site.stop()
        directory.remove()
    }

    func count(_ sql: String) throws -> Int {
        try store.dbQueue.read { db in try Int.fetchOne(db, sql: sql) ?? -1 }
    }
}

let definitionsURL = "https://www.canada.ca" + FakeCanadaSite.definitionsPathEN

@Suite struct ScrapeTests {
    @Test func fullBilingualScrapeStoresRowsLinksAndSectionsWithProvenance() async throws {
        let fixture = try await ScrapeFixture.make()
        defer { Task { await fixture.finish() } }
        let outcome = try await fixture.scraper().run()

        // Each distinct document is requested once: 18 at depth 1 for both languages together.
        let requests = fixture.site.requests
        let documentRequests = requests.filter { $0.path != "/robots.txt" && !$0.path.hasSuffix("occupational-groups.html")
            && !$0.path.hasSuffix("groupes-professionnels.html") }
        #expect(Set(documentRequests.map(\.path)).count == documentRequests.count, "no document is fetched twice")
        let depth1 = outcome.record.pages.filter { $0.depth == 1 }
        #expect(depth1.count == 18)
        #expect(requests.filter { $0.path == "/robots.txt" }.count == 1)
        #expect(requests.allSatisfy { $0.userAgent?.hasPrefix("JobForge/") == true })

        // Rows: 217 per language, each tied to its page version with provenance.
        #expect(try fixture.count("SELECT COUNT(*) FROM tbs_row WHERE language = 'en'") == 217)
        #expect(try fixture.count("SELECT COUNT(*) FROM tbs_row WHERE language = 'fr'") == 217)
        #expect(try fixture.count("SELECT COUNT(*) FROM tbs_row_link WHERE column_key = 'definition'") == 432)
        let english = try #require(try TBSArchive(fixture.store).tableVersions(language: .en).last)
        #expect(english.provenance.url == TBSPages.tableURL(.en).absoluteString)
        #expect(english.provenance.title == "Occupational groups for the public service - Canada.ca")
        #expect(english.provenance.pageModified == "2026-01-09")
        #expect(english.provenance.contentHash == SHA256.hex(try FakeCanadaSite.realTablePage()))
        #expect(english.provenance.etag?.isEmpty == false)
        #expect(english.provenance.httpLastModified == "Fri, 09 Jan 2026 12:00:00 GMT")
        #expect(english.extractionMethod?.hasPrefix("libxml2-html:") == true)

        // Definitions: 213 fragments, 213 distinct non-empty texts, status ok.
        #expect(try fixture.count("SELECT COUNT(DISTINCT text) FROM tbs_section s JOIN tbs_page_version v ON v.id = s.page_version_id WHERE v.url = '\(definitionsURL)' AND s.fragment LIKE 'def-%' AND length(text) > 0") >= 213)
        let statuses = try TBSArchive(fixture.store).linkStatuses()
        let definitionLinks = statuses.values.filter { $0.documentURL == definitionsURL && $0.fragment?.hasPrefix("def-") == true }
        #expect(definitionLinks.filter { $0.status == .ok }.count >= 213)
        // Standards pages are not among the real files: recorded as not found, no content invented.
        let core = statuses.values.filter { $0.documentURL.hasSuffix("/qualification-standards/core.html") }
        #expect(!core.isEmpty && core.allSatisfy { $0.status == .notFound && $0.httpStatus == 404 })
        #expect(try fixture.count("SELECT COUNT(*) FROM tbs_section s JOIN tbs_page_version v ON v.id = s.page_version_id WHERE v.url LIKE '%core.html'") == 0)
        // Other columns are recorded, not requested.
        #expect(statuses.values.contains { $0.status == .notFollowed && $0.url.contains("collective-bargaining-update") })

        // Depth 2: documents linked from the definition sections (information notices) were tried.
        let depth2 = outcome.record.pages.filter { $0.depth == 2 }
        #expect(!depth2.isEmpty)
        let definitionsPage = try #require(outcome.record.pages.first { $0.url == definitionsURL })
        let sectionLinks = Set(definitionsPage.sections.flatMap(\.links).map { $0.components(separatedBy: "#")[0] })
        #expect(depth2.allSatisfy { sectionLinks.contains($0.url) && $0.result == .notFound && $0.httpStatus == 404 })
        #expect(depth2.contains { $0.url.contains("/information-notice/") })

        // Bilingual: French and English joined on the definition fragment, not on position.
        let joined = try await fixture.store.dbQueue.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tbs_row_bilingual WHERE subgroup_fr IS NOT NULL AND subgroup_en = subgroup_fr") ?? 0
        }
        #expect(joined > 100)
        let samePosition = try fixture.count("""
            SELECT COUNT(*) FROM tbs_row en JOIN tbs_row fr ON fr.position = en.position AND fr.language = 'fr'
            WHERE en.language = 'en' AND en.definition_fragment = fr.definition_fragment
            """)
        #expect(samePosition < 5, "the French page orders rows differently")
    }

    @Test func showReadsAGroupWithSubgroupsDefinitionsAndLinkStatuses() async throws {
        let fixture = try await ScrapeFixture.make()
        defer { Task { await fixture.finish() } }
        _ = try await fixture.scraper(TBSScrapeOptions(languages: [.en, .fr], maxDepth: 1)).run()
        let reader = TBSReader(store: fixture.store)
        let ai = try reader.group("AI", language: .en)
        #expect(ai.map { $0.row.ownName?.code } == ["AI", "AI-NOP"])
        let definition = try #require(ai[1].definition)
        #expect(definition.sourceURL == definitionsURL + "#def-ai-nop")
        #expect(definition.text.contains("Altitude Reservation Unit"))
        #expect(definition.provenance.pageModified == "2025-09-12")
        #expect(ai[1].links.first { $0.column == "qualification_standard" }?.status == .notFound)
        let french = try reader.group("AI", language: .fr)
        #expect(Set(french.compactMap { $0.row.ownName?.code }) == ["AI", "AI-NOP"])
        #expect(french.first { $0.row.ownName?.code == "AI-NOP" }?.definition?.text == definition.text)

        let files = try TBSExporter(store: fixture.store).export(to: fixture.directory.path("export"))
        #expect(Set(files.map(\.lastPathComponent)) == ["tbs_occupational_groups_en.json", "tbs_occupational_groups_fr.json",
                                                         "tbs_rows_en.csv", "tbs_rows_fr.csv", "tbs_links_en.csv", "tbs_links_fr.csv"])
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: fixture.directory.path("export/tbs_occupational_groups_en.json"))) as? [String: Any]
        #expect((json?["rows"] as? [Any])?.count == 217)
        let csv = try CSVReader().records(Data(contentsOf: fixture.directory.path("export/tbs_rows_en.csv")), file: "tbs_rows_en.csv")
        #expect(csv.count == 218)
        #expect(csv[1].fields[2] == "AI" && csv[1].fields[4] == "Air Traffic Control (AI)")
    }

    @Test func refreshUsesConditionalRequestsAndVersionsOnlyChangedPages() async throws {
        let fixture = try await ScrapeFixture.make()
        defer { Task { await fixture.finish() } }
        let first = try await fixture.scraper(TBSScrapeOptions(languages: [.en])).run()
        #expect(first.summary.newVersions == 2)   // the table and the definitions page
        let crawlBytes = first.record.bytesReceived

        fixture.site.resetLog()
        let refresh = try await fixture.scraper(TBSScrapeOptions(languages: [.en], conditional: true)).run()
        #expect(refresh.summary.newVersions == 0)
        #expect(refresh.summary.notModifiedPages == 2)
        #expect(fixture.site.requests.filter { $0.status == 304 }.count == 2)
        #expect(fixture.site.requests.filter { $0.status == 200 && $0.path != "/robots.txt" }.isEmpty)
        #expect(Double(refresh.record.bytesReceived) < 0.05 * Double(crawlBytes))
        #expect(try fixture.count("SELECT COUNT(*) FROM tbs_page_version") == 2)

        // The page changes: a new version, the old one kept, and the diff names the change.
        let changed = variant(replacing: "Non-Operational<br> (AI-NOP)", with: "Non-Operational Services<br> (AI-NOP)")
        fixture.site.setPage(FakeCanadaSite.tablePathEN, changed)
        let third = try await fixture.scraper(TBSScrapeOptions(languages: [.en], conditional: true)).run()
        #expect(third.summary.newVersions == 1)
        let versions = try TBSArchive(fixture.store).tableVersions(language: .en)
        #expect(versions.count == 2)
        #expect(try TBSArchive(fixture.store).rows(pageVersionID: versions[0].id).count == 217)
        let diff = try TBSReader(store: fixture.store).diff(language: .en)
        #expect(diff.changes.count == 1)
        #expect(diff.changes.first?.identity == "def-ai-nop")
        #expect(diff.changes.first?.fields == ["subgroup"])
        #expect(diff.unchanged == 216)
    }

    /// When no language can be read, nothing is written (a language that fails beside one that
    /// succeeds is LanguageFailureTests' case).
    @Test func brokenPageStopsTheScrapeAndWritesNothing() async throws {
        let fixture = try await ScrapeFixture.make()
        defer { Task { await fixture.finish() } }
        let broken = variant(replacing: ">Qualification standard</th>", with: ">Qualifications</th>")
        fixture.site.setPage(FakeCanadaSite.tablePathFR, FakeCanadaSite.frenchVariant(of: broken))
        await #expect(throws: TBSStructureError.self) { try await fixture.scraper(TBSScrapeOptions(languages: [.fr])).run() }
        fixture.site.setPage(FakeCanadaSite.tablePathEN, broken)
        let both = await #expect(throws: TBSScrapeError.self) { try await fixture.scraper().run() }
        #expect(both.map { "\($0)" }?.contains(TBSPages.tableURL(.fr).absoluteString) == true)
        #expect(try fixture.count("SELECT COUNT(*) FROM tbs_scrape") == 0)
        #expect(try fixture.count("SELECT COUNT(*) FROM tbs_page_version") == 0)
        #expect(try fixture.count("SELECT COUNT(*) FROM tbs_row") == 0)
    }

    @Test func retriesServerErrorsAndRateLimitsThenRecordsFailures() async throws {
        let fixture = try await ScrapeFixture.make()
        defer { Task { await fixture.finish() } }
        fixture.site.misbehave(FakeCanadaSite.tablePathEN, .status(500, retryAfter: nil, times: 1))
        fixture.site.misbehave(FakeCanadaSite.definitionsPathEN, .status(429, retryAfter: "0", times: 1))
        let jes = "/en/treasury-board-secretariat/services/collective-agreements/job-evaluation/job-evaluation-standards-public-service-employees.html"
        fixture.site.misbehave(jes, .status(503, retryAfter: nil, times: 10))
        let outcome = try await fixture.scraper(TBSScrapeOptions(languages: [.en], maxDepth: 1)).run()
        #expect(outcome.summary.newVersions == 2)
        let statuses = try TBSArchive(fixture.store).linkStatuses()
        let jesLinks = statuses.values.filter { $0.documentURL.hasSuffix(jes) }
        #expect(!jesLinks.isEmpty && jesLinks.allSatisfy { $0.status == .failed && $0.httpStatus == 503 && $0.reason?.contains("HTTP 503") == true })
        // Bounded: 3 attempts, then the failure is recorded and the scrape goes on.
        #expect(fixture.site.requests.filter { $0.path == jes }.count == 3)
    }

    @Test func robotsAllowListAndDelayAreHonoured() async throws {
        let fixture = try await ScrapeFixture.make()
        defer { Task { await fixture.finish() } }
        fixture.site.setRobots("User-agent: *\nDisallow: /en/treasury-board-secretariat/services/staffing/\n")
        let slowFetcher = ScrapeFixture.fetcher(fixture.site, delay: 0.2)
        let robots = await slowFetcher.fetch(URL(string: "https://www.canada.ca/en/treasury-board-secretariat/services/staffing/qualification-standards/core.html")!)
        guard case .notFollowed(let reason) = robots else { Issue.record("expected not followed, got \(robots)"); return }
        #expect(reason.contains("robots.txt"))
        let offSite = await slowFetcher.fetch(URL(string: "https://travel.gc.ca/")!)
        guard case .notFollowed(let hostReason) = offSite else { Issue.record("expected not followed"); return }
        #expect(hostReason.contains("allow-list"))
        // Two requests to the same host are at least `delay` apart, even when asked at once.
        let start = Date()
        async let a = slowFetcher.fetch(URL(string: "https://www.canada.ca/en/a.html")!)
        async let b = slowFetcher.fetch(URL(string: "https://www.canada.ca/en/b.html")!)
        _ = await (a, b)
        #expect(Date().timeIntervalSince(start) >= 0.35)
        #expect(fixture.site.requests.filter { $0.path.hasSuffix("core.html") }.isEmpty)
    }
}
