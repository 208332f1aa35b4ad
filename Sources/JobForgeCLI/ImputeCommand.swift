import ArgumentParser
import Foundation
import JobForgeBuild
import JobForgeCore
import JobForgeLLM
import JobForgeStore
import JobForgeTitles

/// `jobforge impute`: asks an OpenAI-compatible model for every title cell no higher source filled.
public struct ImputeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "impute",
        abstract: "Ask an LLM for every job-title cell that no authoritative or O*NET value filled.",
        discussion: """
            Configuration: OPENAI_API_KEY and OPENAI_BASE_URL (any OpenAI-compatible server), or the flags. \
            Every answer is kept with its confidence, rationale, model and time; answers are cached, so a \
            re-run (or a run resumed after a kill) asks nothing already answered.
            """
    )

    @Option(name: .long, parsing: .upToNextOption, help: ArgumentHelp("Only these titles (ids or exact titles).", valueName: "title"))
    public var titles: [String] = []

    @Option(name: .long, parsing: .upToNextOption,
            help: ArgumentHelp("Only these categories (several, or comma-separated).", valueName: "category"))
    public var categories: [CommaSeparated<Category>] = []

    @OptionGroup public var llm: ImputeOptions
    @OptionGroup public var store: StoreOptions
    @OptionGroup public var output: OutputOptions

    public init() {}

    public func run() async throws {
        let db = try store.openExistingStore()
        let categorySet = categories.isEmpty ? nil : Set(categories.flatMap(\.values))
        let requests = try LLMStep.requests(store: db, titleFilter: titles.isEmpty ? nil : Set(titles), categories: categorySet)
        let knownTitles = try TitleCatalog(db).titles()
        if !titles.isEmpty, !knownTitles.contains(where: { titles.contains($0.id) || titles.contains($0.title) }) {
            throw ValidationError("no job title matches \(titles.joined(separator: ", ")); `jobforge titles` lists them")
        }
        let configuration: LLMConfiguration
        switch try llm.resolve() {
        case .skipped(let reason):
            print("llm step skipped: \(reason)")
            return
        case .ready(let ready):
            configuration = ready
        }
        if llm.dryRun {
            let client = OpenAIClient(configuration: configuration)
            let plan = try await LLMTier(client: client, recorder: LLMLog(db), runID: "dry-run").plan(requests)
            let categoryOf = Dictionary(try db.descriptors(category: nil).map { ($0.descriptor.code, $0.descriptor.category.rawValue) }) { first, _ in first }
            for line in LLMReport.planLines(plan, configuration: configuration, categoryOf: categoryOf) { print(line) }
            return
        }
        let total = requests.reduce(0) { $0 + $1.missing.count }
        let (line, progress) = LLMReport.progress(total: total)
        defer { line.finish() }
        let (result, summary) = try await db.withRun(command: "impute") { runID in
            try await LLMStep.run(store: db, configuration: configuration, runID: runID, requests: requests, progress: progress)
        }
        line.finish()
        do {
            if output.json {
                try Terminal.printJSON(result.summary)
                return
            }
            for text in LLMReport.summaryLines(result.summary, model: configuration.model) { print(text) }
            print("cells: \(summary.filled) filled, \(summary.overridden) replaced, \(summary.keptBelow) kept below a higher source")
        }
    }
}
