import Foundation
import JobForgeNet
@testable import JobForgeTBS
import Testing

/// A canada.ca that has no robots.txt and never answers for pages.
private struct StalledSite: HTTPTransport {
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        if request.url.path == "/robots.txt" {
            return HTTPResponse(status: 404, headers: [:], body: Data(), url: request.url)
        }
        try await Task.sleep(for: .seconds(3600))
        throw CancellationError()
    }
}

@Suite struct PoliteFetcherDeadlineTests {
    @Test("A page that never comes fails at the fetcher's deadline, after its bounded retries", .timeLimit(.minutes(1)))
    func stalledPageFailsAtTheDeadline() async throws {
        let lines = LogLines()
        let fetcher = PoliteFetcher(transport: StalledSite(), policy: TBSFetchPolicy(
            delay: 0, retry: RetryPolicy(maxAttempts: 2, baseDelay: 0.01, maxDelay: 0.02, minimumDelay: 0.01, maxRetryAfter: 2),
            timeout: 0.2), log: { lines.append($0) })
        let started = ContinuousClock.now
        let outcome = await fetcher.fetch(URL(string: "https://www.canada.ca/en/stalled.html")!)
        #expect(ContinuousClock.now - started < .seconds(10))
        guard case .failed(let reason, let status) = outcome else { Issue.record("expected a failure, got \(outcome)"); return }
        #expect(reason == "no answer within 0.2 s" && status == nil)
        // robots.txt, then two attempts at the page.
        #expect(await fetcher.requestsSent == 3)
        #expect(lines.all.count == 2 && lines.all[0].contains("no answer within 0.2 s; retry 1 in"))
    }
}

/// Log lines collected from the fetcher.
private final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}
