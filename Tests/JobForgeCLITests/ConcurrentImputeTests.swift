import Foundation
import JobForgeCLI
import JobForgeCore
import JobForgeStore
import JobForgeTestSupport
import Testing

/// Two `impute` runs on the same titles pay for each request once: the second waits for the
/// store's writer lock, then finds every answer in the cache.
@Suite("impute runs at once", .serialized)
struct ConcurrentImputeTests {
    @Test("two impute processes on the same titles send each request once, and both fill the cells")
    func twoRunsAskOnce() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-impute-race")
        defer { folder.remove() }
        let build = try JobForgeBinary.run(["build"], in: folder.url)
        #expect(build.status == 0, "\(build.stderr)")

        let fake = try await FakeOpenAIServer.start(expectedModel: "gpt-4o-2024-08-06")
        defer { Task { await fake.stop() } }
        // Slow answers, so that the two runs overlap.
        await fake.inject(.slow(0.3), when: .always, times: nil)
        let environment = ["OPENAI_BASE_URL": await fake.baseURL.absoluteString, "OPENAI_API_KEY": await fake.apiKey ?? ""]
        let impute = ["impute", "--titles", "JA-0002", "JA-0003", "JA-0010"]
        let runs = try ChildProcess.together([impute, impute], in: folder.url, environment: environment)
        for run in runs { #expect(run.status == 0, "\(run.stderr)") }

        let bodies = await fake.receivedBodies
        #expect(!bodies.isEmpty)
        #expect(Set(bodies).count == bodies.count, "no request was sent twice (\(bodies.count) sent, \(Set(bodies).count) distinct)")
        #expect(runs.contains { $0.stderr.contains("waiting for impute run") }, "one run says it waits: \(runs.map(\.stderr))")

        let store = try SQLiteStore(path: folder.path("jobforge.sqlite").path, schemas: StoreOptions.schemas)
        for id in ["JA-0002", "JA-0003", "JA-0010"] {
            #expect(try !store.winners(of: .title(id), filter: CellFilter(sources: [.llm])).isEmpty, "\(id) has its answers")
        }
    }
}
