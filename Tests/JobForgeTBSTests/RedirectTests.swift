import Foundation
import JobForgeStore
@testable import JobForgeTBS
import JobForgeTestSupport
import Testing

/// Redirects are followed by the fetcher, hop by hop: a hop off the allow-list (or disallowed by
/// robots.txt) is never requested, and what it would have served is never stored.
@Suite struct RedirectTests {
    static let offSitePath = "/phishing/definitions.html"
    static let offSiteMarker = "OFF-SITE BODY: this page is not canada.ca"

    /// Another loopback server (another port, so not on the allow-list) with a page of its own.
    static func offSiteServer() async throws -> FakeCanadaSite {
        try await FakeCanadaSite(pages: [offSitePath: Data("<html><head><title>Elsewhere</title></head><body><h2 id=\"def-ai\">\(offSiteMarker)</h2></body></html>".utf8)])
    }

    @Test("a linked page redirected off the allow-list is an error that names both URLs; the off-site server is never asked and nothing of it is stored",
          arguments: [301, 302, 307])
    func offListRedirectIsRefused(status: Int) async throws {
        let fixture = try await ScrapeFixture.make()
        let offSite = try await Self.offSiteServer()
        defer { Task { await fixture.finish(); await offSite.stop() } }
        let hop = offSite.baseURL.absoluteString + Self.offSitePath
        fixture.site.misbehave(FakeCanadaSite.definitionsPathEN, .redirect(status, location: hop))

        let outcome = try await fixture.scraper(TBSScrapeOptions(languages: [.en], maxDepth: 1)).run()

        let page = try #require(outcome.record.pages.first { $0.url == definitionsURL })
        #expect(page.result == .failed && page.httpStatus == status)
        let reason = page.reason ?? ""
        #expect(reason.contains(definitionsURL) && reason.contains(hop) && reason.contains("allow-list"), "\(reason)")
        #expect(offSite.requests.isEmpty, "the off-list hop must not be requested")
        let definitionLinks = try TBSArchive(fixture.store).linkStatuses().values.filter { $0.documentURL == definitionsURL }
        #expect(!definitionLinks.isEmpty && definitionLinks.allSatisfy { $0.status == .failed && $0.reason?.contains(hop) == true })

        // Nothing of the off-site page anywhere in the store, and no version of the canada.ca page.
        #expect(try fixture.count("SELECT COUNT(*) FROM tbs_page_version WHERE url = '\(definitionsURL)'") == 0)
        #expect(try fixture.count("SELECT COUNT(*) FROM tbs_page_version WHERE instr(CAST(body AS TEXT), '\(Self.offSiteMarker)') > 0") == 0)
        #expect(try fixture.count("SELECT COUNT(*) FROM tbs_section WHERE instr(text, '\(Self.offSiteMarker)') > 0 OR instr(heading, '\(Self.offSiteMarker)') > 0") == 0)
        #expect(try fixture.count("SELECT COUNT(*) FROM tbs_page_version WHERE title = 'Elsewhere'") == 0)
        // The table itself is stored as usual.
        #expect(try fixture.count("SELECT COUNT(*) FROM tbs_row WHERE language = 'en'") == 217)
    }

    @Test("a redirect on the allow-list is followed: the page is stored under its own URL, with the final URL as provenance",
          arguments: [(301, true), (307, false)])
    func onListRedirectIsFollowed(status: Int, absolute: Bool) async throws {
        let fixture = try await ScrapeFixture.make()
        defer { Task { await fixture.finish() } }
        let movedPath = "/en/treasury-board-secretariat/moved/definitions.html"
        fixture.site.setPage(movedPath, try FakeCanadaSite.realDefinitionsPage())
        let location = absolute ? fixture.site.baseURL.absoluteString + movedPath : movedPath
        fixture.site.misbehave(FakeCanadaSite.definitionsPathEN, .redirect(status, location: location))

        let outcome = try await fixture.scraper(TBSScrapeOptions(languages: [.en], maxDepth: 1)).run()

        let page = try #require(outcome.record.pages.first { $0.url == definitionsURL })
        #expect(page.result == .fetched, "\(page.reason ?? "")")
        #expect(fixture.site.requests.contains { $0.path == movedPath && $0.status == 200 })
        let finalURL = try await fixture.store.dbQueue.read { db in
            try String.fetchOne(db, sql: "SELECT final_url FROM tbs_page_version WHERE url = ?", arguments: [definitionsURL])
        }
        #expect(finalURL == "https://www.canada.ca" + movedPath)
        #expect(try fixture.count("SELECT COUNT(*) FROM tbs_section s JOIN tbs_page_version v ON v.id = s.page_version_id WHERE v.url = '\(definitionsURL)' AND s.fragment LIKE 'def-%'") >= 213)
        // A page that answers itself has no final URL of its own.
        let table = try #require(try TBSArchive(fixture.store).tableVersions(language: .en).last)
        #expect(table.provenance.finalURL == nil)
    }

    @Test("a hop that robots.txt disallows, and a redirect loop, are refused before they are requested")
    func robotsAndLoopsAreCheckedOnEveryHop() async throws {
        let fixture = try await ScrapeFixture.make()
        defer { Task { await fixture.finish() } }
        fixture.site.setRobots("User-agent: *\nDisallow: /en/private/\n")
        fixture.site.setPage("/en/private/definitions.html", try FakeCanadaSite.realDefinitionsPage())
        fixture.site.misbehave("/en/a.html", .redirect(302, location: "/en/private/definitions.html"))
        let robots = await fixture.fetcher.fetch(URL(string: "https://www.canada.ca/en/a.html")!)
        guard case .redirectRefused(let refused) = robots else { Issue.record("expected a refused redirect, got \(robots)"); return }
        #expect(refused.from.absoluteString == "https://www.canada.ca/en/a.html")
        #expect(refused.to.absoluteString == "https://www.canada.ca/en/private/definitions.html")
        #expect(refused.description.contains("robots.txt disallows /en/private/definitions.html"))
        #expect(!fixture.site.requests.contains { $0.path.hasPrefix("/en/private/") })

        fixture.site.misbehave("/en/b.html", .redirect(301, location: "/en/c.html"))
        fixture.site.misbehave("/en/c.html", .redirect(301, location: "/en/b.html"))
        let loop = await fixture.fetcher.fetch(URL(string: "https://www.canada.ca/en/b.html")!)
        guard case .redirectRefused(let looped) = loop else { Issue.record("expected a refused redirect, got \(loop)"); return }
        #expect(looped.description.contains("loop"))
        #expect(fixture.site.requests.filter { $0.path == "/en/b.html" }.count == 1)
    }
}
