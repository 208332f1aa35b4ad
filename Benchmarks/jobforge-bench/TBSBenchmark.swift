import Foundation
import JobForgeCore
import JobForgeNet
import JobForgeStore
import JobForgeTBS
import JobForgeTestSupport

/// A full crawl of the real TBS pages from the loopback fake canada.ca (delay 0), then a refresh
/// of the unchanged pages. Target: the refresh transfers under 5 % of the crawl's bytes.
/// Arguments: `--lang en|fr|both` (default both).
func runTBSBenchmark(arguments: [String]) async throws {
    var languages: [TBSLanguage] = [.en, .fr]
    if let index = arguments.firstIndex(of: "--lang"), index + 1 < arguments.count {
        switch arguments[index + 1] {
        case "en": languages = [.en]
        case "fr": languages = [.fr]
        default: break
        }
    }
    let directory = try TemporaryDirectory(prefix: "jobforge-tbs-bench")
    defer { directory.remove() }
    let site = try await FakeCanadaSite.start()
    let store = try SQLiteStore(path: directory.path("bench.sqlite").path, schemas: [TBSSchema.self])
    func scraper(conditional: Bool) -> TBSScraper {
        let fetcher = PoliteFetcher(transport: URLSessionTransport(), policy: TBSFetchPolicy(delay: 0, baseURL: site.baseURL))
        return TBSScraper(fetcher: fetcher, store: store, options: TBSScrapeOptions(languages: languages, conditional: conditional))
    }
    let crawlStart = Date()
    let crawl = try await scraper(conditional: false).run()
    let crawlSeconds = Date().timeIntervalSince(crawlStart)
    let refreshStart = Date()
    let refresh = try await scraper(conditional: true).run()
    let refreshSeconds = Date().timeIntervalSince(refreshStart)
    await site.stop()
    let ratio = Double(refresh.record.bytesReceived) / Double(max(1, crawl.record.bytesReceived))
    print("tbs crawl:   \(String(format: "%.2f", crawlSeconds)) s, \(crawl.record.requests) requests, \(crawl.record.bytesReceived) bytes, "
          + "\(crawl.summary.newVersions) versions, \(crawl.summary.rowsStored) rows, \(crawl.summary.sectionsStored) sections")
    print("tbs refresh: \(String(format: "%.2f", refreshSeconds)) s, \(refresh.record.requests) requests, \(refresh.record.bytesReceived) bytes, "
          + "\(refresh.summary.notModifiedPages) not modified, \(refresh.summary.newVersions) new versions")
    print("tbs refresh/crawl bytes: \(String(format: "%.3f", ratio * 100)) % (target < 5 %) \(ratio < 0.05 ? "OK" : "MISSED")")
}
