import Foundation
import JobForgeStore
@testable import JobForgeTBS
import JobForgeTestSupport
import Testing

/// `--lang both` with one language failing: what succeeded is stored, the failure is reported,
/// and a later scrape stores the language once its page is back.
@Suite struct LanguageFailureTests {
    enum FrenchFault: String, CaseIterable, Sendable {
        case serverError = "500"
        case changedStructure = "structure"
    }

    @Test("the French page fails (500, changed structure): the English pages are stored, the failure is named, the next scrape stores French",
          arguments: FrenchFault.allCases)
    func englishIsKeptWhenFrenchFails(fault: FrenchFault) async throws {
        let fixture = try await ScrapeFixture.make()
        defer { Task { await fixture.finish() } }
        let frenchURL = TBSPages.tableURL(.fr).absoluteString
        switch fault {
        case .serverError:
            fixture.site.misbehave(FakeCanadaSite.tablePathFR, .status(500, retryAfter: nil, times: 1000))
        case .changedStructure:
            fixture.site.setPage(FakeCanadaSite.tablePathFR, FakeCanadaSite.frenchVariant(
                of: variant(replacing: ">Qualification standard</th>", with: ">Qualifications</th>")))
        }

        let outcome = try await fixture.scraper(TBSScrapeOptions(languages: [.en, .fr], maxDepth: 1)).run()

        // English: the table and its documents, stored in the one transaction of this scrape.
        #expect(try fixture.count("SELECT COUNT(*) FROM tbs_row WHERE language = 'en'") == 217)
        #expect(try fixture.count("SELECT COUNT(*) FROM tbs_page_version WHERE url = '\(definitionsURL)'") == 1)
        #expect(try fixture.count("SELECT COUNT(DISTINCT scrape_id) FROM tbs_page_version") == 1)
        // French: nothing stored, and the failure says which page and why.
        #expect(try fixture.count("SELECT COUNT(*) FROM tbs_row WHERE language = 'fr'") == 0)
        #expect(try fixture.count("SELECT COUNT(*) FROM tbs_page_version WHERE language = 'fr'") == 0)
        let frenchPage = try #require(outcome.record.pages.first { $0.url == frenchURL })
        #expect(frenchPage.result == .failed)
        let expected = fault == .serverError ? "HTTP 500" : "is now \"Qualifications\""
        #expect(frenchPage.reason?.contains(expected) == true, "\(frenchPage.reason ?? "")")
        #expect(try fixture.count("SELECT COUNT(*) FROM tbs_fetch WHERE url = '\(frenchURL)' AND result = 'failed'") == 1)
        #expect(outcome.failures.map(\.language) == [.fr])
        #expect(outcome.failures.first?.url == frenchURL && outcome.failures.first?.reason.contains(expected) == true)
        #expect(outcome.record.languages == [.en])

        // The page is back: the next scrape stores French, English unchanged.
        fixture.site.misbehave(FakeCanadaSite.tablePathFR, nil)
        fixture.site.setPage(FakeCanadaSite.tablePathFR, FakeCanadaSite.frenchVariant(of: try FakeCanadaSite.realTablePage()))
        let again = try await fixture.scraper(TBSScrapeOptions(languages: [.en, .fr], maxDepth: 1)).run()
        #expect(again.failures.isEmpty)
        #expect(try fixture.count("SELECT COUNT(*) FROM tbs_row WHERE language = 'fr'") == 217)
        #expect(try fixture.count("SELECT COUNT(*) FROM tbs_row WHERE language = 'en'") == 217)
    }
}
