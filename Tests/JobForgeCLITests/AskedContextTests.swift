import Foundation
import GRDB
import JobForgeCLI
import JobForgeCore
import JobForgeStore
import JobForgeTestSupport
import JobForgeTitles
import Testing

/// An LLM answer is tied to the title it was asked about: a re-import that keeps a title's id but
/// changes its text, codes or profile withdraws the title's answers (logged) and the next run asks
/// again, while the other titles keep theirs. Real processes, the shipped data, the fake OpenAI server.
@Suite("LLM answers tied to what was asked", .serialized)
struct AskedContextTests {
    static let changed = "JA-0002", kept = "JA-0003"

    @Test("a title changed by a re-import loses its LLM answers (each withdrawal logged) and is asked again; the others keep theirs")
    func changedTitleIsAskedAgain() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-asked")
        defer { folder.remove() }
        let build = try JobForgeBinary.run(["build"], in: folder.url)
        #expect(build.status == 0, "\(build.stderr)")
        let path = folder.path("jobforge.sqlite").path

        let fake = try await FakeOpenAIServer.start(expectedModel: "gpt-4o-2024-08-06")
        defer { Task { await fake.stop() } }
        let environment = ["OPENAI_BASE_URL": await fake.baseURL.absoluteString, "OPENAI_API_KEY": await fake.apiKey ?? ""]
        let impute = ["impute", "--titles", Self.changed, Self.kept]

        func llmWinners(_ id: String) throws -> [CellValue] {
            try SQLiteStore(path: path, schemas: StoreOptions.schemas).winners(of: .title(id), filter: CellFilter(sources: [.llm]))
        }
        func withdrawals(_ id: String) throws -> [OverrideEvent] {
            try SQLiteStore(path: path, schemas: StoreOptions.schemas).allOverrides()
                .filter { $0.key.subject == .title(id) && $0.oldSource == .llm && $0.newSource == nil }
        }

        let first = try JobForgeBinary.run(impute, in: folder.url, environment: environment)
        #expect(first.status == 0, "\(first.stderr)")
        let answered = try llmWinners(Self.changed), keptAnswers = try llmWinners(Self.kept)
        try #require(!answered.isEmpty && !keptAnswers.isEmpty, "both titles have cells only an LLM fills")

        // The same file with one title renamed (same id, same code).
        let original = try String(contentsOf: RepoPaths.data.appendingPathComponent("sample/job_architecture.csv"), encoding: .utf8)
        let renamed = original.replacingOccurrences(of: "JA-0002,purchasing contracts manager,",
                                                    with: "JA-0002,purchasing contracts director,")
        try #require(renamed != original)
        let file = folder.path("renamed.csv")
        try renamed.write(to: file, atomically: true, encoding: .utf8)
        let mapping = RepoPaths.data.appendingPathComponent("sample/job_architecture.mapping").path
        let reimport = try JobForgeBinary.run(["titles", "import", file.path, "--mapping", mapping], in: folder.url)
        #expect(reimport.status == 0, "\(reimport.stderr)")

        #expect(try llmWinners(Self.changed).isEmpty, "answers about the old title no longer win")
        #expect(try withdrawals(Self.changed).count == answered.count, "each withdrawn answer is logged once")
        #expect(try llmWinners(Self.kept).map(\.value) == keptAnswers.map(\.value), "an unchanged title keeps its answers")
        #expect(try withdrawals(Self.kept).isEmpty)
        // The build summary's counter agrees: the withdrawn answers are not counted.
        let store = try SQLiteStore(path: path, schemas: StoreOptions.schemas)
        let counted = try store.cellCounts().filter { $0.subjectKind == "title" && $0.source == "llm" }.map(\.cells).reduce(0, +)
        #expect(counted == keptAnswers.count)
        let explain = try JobForgeBinary.run(["explain", Self.changed, answered[0].descriptorCode,
                                              "--dimension", answered[0].dimension.rawValue], in: folder.url)
        #expect(explain.stdout.contains("withdrawn: the title changed since it was asked"), "\(explain.stdout)")

        // The next run asks about the renamed title only, and fills its cells again.
        await fake.resetCounters()
        let second = try JobForgeBinary.run(impute, in: folder.url, environment: environment)
        #expect(second.status == 0, "\(second.stderr)")
        let bodies = await fake.receivedBodies.map { String(decoding: $0, as: UTF8.self) }
        #expect(!bodies.isEmpty, "the changed title is asked again")
        #expect(bodies.allSatisfy { $0.contains("purchasing contracts director") }, "only the changed title is asked")
        #expect(try llmWinners(Self.changed).count == answered.count)

        // Back to the original file: the first answers are about that title again, and count again.
        let back = try JobForgeBinary.run(["titles", "import", RepoPaths.data.appendingPathComponent("sample/job_architecture.csv").path,
                                           "--mapping", mapping], in: folder.url)
        #expect(back.status == 0, "\(back.stderr)")
        #expect(try llmWinners(Self.changed).count == answered.count)
    }
}
