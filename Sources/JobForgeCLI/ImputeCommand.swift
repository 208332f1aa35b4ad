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
        let titleFilter = titles.isEmpty ? nil : Set(titles)
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
            try await dryRun(db, configuration: configuration, titleFilter: titleFilter, categories: categorySet)
            return
        }
        let requests = try LLMStep.requests(store: db, titleFilter: titleFilter, categories: categorySet)
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

    /// Prints each request as it is planned, a chunk of titles at a time, and keeps only the
    /// totals: flat memory on 20,000 titles. A first pass counts the requests (each heading
    /// says "n/total") without building their prompts.
    func dryRun(_ db: SQLiteStore, configuration: LLMConfiguration, titleFilter: Set<String>?, categories: Set<Category>?) async throws {
        var counter = try LLMStep.RequestReader(store: db, titleFilter: titleFilter, categories: categories)
        var total = 0
        while let chunk = try counter.next() {
            total += chunk.reduce(0) { $0 + LLMTier.batches($1.missing, size: configuration.batchSize).count }
        }
        let tier = LLMTier(client: OpenAIClient(configuration: configuration), recorder: LLMLog(db), runID: "dry-run")
        let categoryOf = Dictionary(try db.descriptors(category: nil).map { ($0.descriptor.code, $0.descriptor.category.rawValue) }) { first, _ in first }
        var tally = LLMPlanTally { categoryOf[$0.descriptorCode] ?? "other" }
        var reader = try LLMStep.RequestReader(store: db, titleFilter: titleFilter, categories: categories)
        while let chunk = try reader.next() {
            try await tier.plan(chunk) { batch in
                for line in LLMReport.batchLines(batch, index: tally.requests, of: total) { print(line) }
                tally.add(batch)
            }
        }
        for line in LLMReport.totalLines(tally, configuration: configuration) { print(line) }
    }
}
