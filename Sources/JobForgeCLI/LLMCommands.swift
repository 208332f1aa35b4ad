import ArgumentParser
import Foundation
import JobForgeCore
import JobForgeLLM
import JobForgeStore

/// The LLM flags of `jobforge impute` and `jobforge build`. Environment first
/// (`OPENAI_API_KEY`, `OPENAI_BASE_URL`), flags over it.
public struct ImputeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The model (default \(LLMConfiguration.defaultModel)).", valueName: "name"))
    public var model: String?

    @Option(name: .long, help: ArgumentHelp("An OpenAI-compatible API root (default: OPENAI_BASE_URL, else OpenAI).", valueName: "url"))
    public var baseURL: String?

    @Option(name: .long, help: "Attributes asked per request.")
    public var batchSize: Int = 12

    @Option(name: .long, help: "Requests in flight at once.")
    public var concurrency: Int = 4

    @Option(name: .long, help: "Sampling temperature (0 = most repeatable).")
    public var temperature: Double = 0

    @Option(name: .long, help: "Upper bound of the tokens of one answer.")
    public var maxTokens: Int = 4096

    @Option(name: .long, help: ArgumentHelp("The request field for --max-tokens: max_completion_tokens, or max_tokens for older servers.", valueName: "field"))
    public var maxTokensParameter: MaxTokensField = .maxCompletionTokens

    @Option(name: .long, help: ArgumentHelp("Seconds before a request is abandoned and retried.", valueName: "seconds"))
    public var timeout: Double = 120

    @Option(name: .long, help: ArgumentHelp("US dollars per million input tokens, for the cost estimate.", valueName: "usd"))
    public var priceIn: Double?

    @Option(name: .long, help: ArgumentHelp("US dollars per million output tokens, for the cost estimate.", valueName: "usd"))
    public var priceOut: Double?

    @Option(name: .long, help: ArgumentHelp("US dollars the run may spend: it stops before a request whose estimate would pass this, and says what was left.", valueName: "usd"))
    public var maxCost: Double?

    @Flag(name: .long, help: "Print the prompts and the estimated tokens and cost; call nothing.")
    public var dryRun = false

    public init() {}

    public func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard (0...2).contains(temperature) else { throw ValidationError("--temperature must be between 0 and 2") }
        if (priceIn == nil) != (priceOut == nil) { throw ValidationError("give both --price-in and --price-out, or neither") }
        if let maxCost, !(maxCost >= 0) { throw ValidationError("--max-cost must be a number of US dollars, 0 or more") }
    }

    /// The configuration in force, or why the LLM step is skipped (no key and no base URL).
    /// A dry run needs neither: it calls nothing.
    public func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> LLMConfiguration.Resolution {
        try Self.resolve(environment: environment, dryRun: dryRun, baseURL: baseURL, model: model, priceIn: priceIn, priceOut: priceOut) {
            $0.batchSize = batchSize
            $0.concurrency = concurrency
            $0.temperature = temperature
            $0.maxTokens = maxTokens
            $0.maxTokensField = maxTokensParameter
            $0.requestTimeout = timeout
            $0.maxCost = maxCost
        }
    }

    /// The configuration from the environment and the flags given; `report` prices its cost
    /// estimate with it as a dry run.
    static func resolve(environment: [String: String], dryRun: Bool, baseURL: String?, model: String?,
                        priceIn: Double?, priceOut: Double?,
                        configure: (inout LLMConfiguration) -> Void = { _ in }) throws -> LLMConfiguration.Resolution {
        var environment = environment
        if dryRun, environment["OPENAI_API_KEY"] == nil, environment["OPENAI_BASE_URL"] == nil, baseURL == nil {
            environment["OPENAI_BASE_URL"] = LLMConfiguration.defaultBaseURL.absoluteString
        }
        do {
            return try LLMConfiguration.resolve(environment: environment, baseURL: baseURL) { configuration in
                if let model { configuration.model = model }
                configure(&configuration)
                if let priceIn, let priceOut {
                    configuration.pricing = TokenPricing(inputPerMillion: priceIn, outputPerMillion: priceOut)
                } else {
                    configuration.pricing = TokenPricing.known(model: configuration.model)
                }
            }
        } catch let error as LLMError {
            throw ValidationError(error.description)
        }
    }
}

/// Terminal output of the LLM step, shared by `impute` and `build`.
public enum LLMReport {
    /// A progress line fed by the tier (`llm  120/480  requests 10, cached 2`).
    public static func progress(total: Int) -> (ProgressLine, @Sendable (LLMProgress) -> Void) {
        let line = ProgressLine("llm", total: total)
        return (line, { update in
            line.update(update.cellsDone, detail: "requests \(update.requests), cached \(update.cacheHits)")
        })
    }

    public static func summaryLines(_ summary: LLMRunSummary, model: String) -> [String] {
        var lines = [
            "llm (\(model)): \(summary.cellsAsked) cells asked: \(summary.answered) answered, \(summary.refused) refused, "
                + "\(summary.invalid) invalid, \(summary.missing) missing, \(summary.failed) failed"
                + (summary.unasked > 0 ? "; \(summary.unasked) answers for attributes not asked" : ""),
            "  \(summary.requests) requests (\(summary.cacheHits) answers from the cache), "
                + "\(summary.tokensIn) tokens in (\(summary.tokensCachedIn) from the provider's prompt cache), \(summary.tokensOut) out, "
                + "estimated cost \(summary.estimatedCost.map { String(format: "$%.4f", $0) } ?? "unknown (give --price-in/--price-out)"), "
                + String(format: "%.1f s", summary.seconds),
        ]
        if summary.cellsLeft > 0 {
            lines.append("  stopped at --max-cost: \(summary.cellsLeft) cells of \(summary.subjectsLeft.count) subjects left unasked "
                         + "(\(summary.subjectsLeft.prefix(10).joined(separator: ", "))\(summary.subjectsLeft.count > 10 ? ", ..." : "")); "
                         + "run again with a higher limit to ask them.")
        }
        if summary.failed > 0 {
            lines.append("  \(summary.failed) cells failed (service errors): run again to ask them; answered cells are not asked twice.")
        }
        return lines
    }

    /// The dry run: every prompt, then the estimate by category and dimension (`categoryOf` a
    /// descriptor code), then the totals.
    public static func planLines(_ plan: LLMPlan, configuration: LLMConfiguration, showPrompts: Bool = true,
                                 categoryOf: [String: String] = [:]) -> [String] {
        var lines: [String] = []
        var tally = LLMPlanTally { categoryOf[$0.descriptorCode] ?? "other" }
        for (index, batch) in plan.batches.enumerated() {
            if showPrompts { lines += batchLines(batch, index: index, of: plan.batches.count) }
            tally.add(batch)
        }
        return lines + totalLines(tally, configuration: configuration)
    }

    /// One request of the dry run: its heading and prompt (the system prompt with the first only).
    public static func batchLines(_ batch: PlannedBatch, index: Int, of total: Int) -> [String] {
        var lines = ["--- request \(index + 1)/\(total): \(batch.subject), \(batch.cells.count) attributes, "
                     + "~\(batch.estimatedInputTokens) tokens in, ~\(batch.estimatedOutputTokens) out"
                     + (batch.cached ? " (cached: no call)" : "")]
        for message in batch.request.messages where message.role == "user" || index == 0 {
            lines.append("[\(message.role)] \(message.content)")
        }
        return lines
    }

    /// The dry run's estimate by category and dimension, then its totals.
    public static func totalLines(_ tally: LLMPlanTally, configuration: LLMConfiguration) -> [String] {
        var lines: [String] = []
        let breakdown = tally.breakdown(pricing: configuration.pricing)
        if !breakdown.isEmpty {
            lines.append("estimate by category and dimension (a request's input tokens shared among its cells):")
            for part in breakdown {
                lines.append("  \(part.category) / \(part.dimension): \(part.cells) cells, ~\(part.inputTokens) tokens in, ~\(part.outputTokens) out, "
                             + (part.cost.map { String(format: "$%.4f", $0) } ?? "cost unknown"))
            }
        }
        let uncached = tally.requests - tally.cachedRequests
        lines.append("dry run (\(configuration.model) at \(configuration.shownChatCompletionsURL)): "
                     + "\(tally.cells) cells in \(tally.requests) requests (\(uncached) not cached), "
                     + "~\(tally.estimatedInputTokens) tokens in, ~\(tally.estimatedOutputTokens) out, "
                     + "estimated cost \(tally.estimatedCost(pricing: configuration.pricing).map { String(format: "$%.4f", $0) } ?? "unknown (give --price-in/--price-out)"). Nothing was sent.")
        return lines
    }
}

/// `jobforge llm`: what the LLM tier did, from the store.
public struct LLMCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "llm",
        abstract: "Inspect the LLM tier's outcomes and response cache.",
        subcommands: [Outcomes.self, Cache.self]
    )

    public init() {}

    /// `jobforge llm outcomes [--run ID] [--status S] [--title ID]`
    public struct Outcomes: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "outcomes",
            abstract: "List what became of each cell asked: answered, refused, invalid, unasked, missing, failed."
        )

        @OptionGroup public var store: StoreOptions
        @OptionGroup public var output: OutputOptions

        @Option(name: .long, help: "Only this run.")
        public var run: String?

        @Option(name: .long, help: "Only this status.")
        public var status: CellOutcomeStatus?

        @Option(name: .long, help: ArgumentHelp("Only this job title (latest outcome per cell).", valueName: "id"))
        public var title: String?

        public init() {}

        public func run() async throws {
            let db = try store.openStoreForReading()
            let log = LLMLog(db)
            var records = try title.map { try log.latestOutcomes(subject: .title($0)) } ?? log.outcomes(runID: run)
            if let run, title != nil { records = records.filter { $0.runID == run } }
            if let status { records = records.filter { $0.status == status.rawValue } }
            if output.json {
                try Terminal.printJSON(records.map(OutcomeRow.init))
                return
            }
            for record in records {
                var line = "\(record.subjectKind):\(record.subjectCode) \(record.descriptorCode) [\(record.dimension)] \(record.status)"
                if let value = record.value { line += " value \(JSONValue.format(value))" }
                if let confidence = record.confidence { line += " confidence \(JSONValue.format(confidence))" }
                line += " (\(record.model), \(record.requestID ?? "no request id"), run \(record.runID))"
                if let detail = record.detail { line += ": \(detail)" }
                print(line)
            }
            let counts = Dictionary(grouping: records, by: \.status).mapValues(\.count)
            print("\(records.count) outcomes: " + CellOutcomeStatus.allCases.map { "\(counts[$0.rawValue] ?? 0) \($0.rawValue)" }.joined(separator: ", "))
        }
    }

    /// `jobforge llm cache`: how many answers are cached, per model if asked; `clear` removes them.
    public struct Cache: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "cache",
            abstract: "Count the model answers kept in the store's cache (a re-run makes no call for them).",
            subcommands: [Clear.self]
        )

        @OptionGroup public var store: StoreOptions
        @OptionGroup public var output: OutputOptions

        @Option(name: .long, help: "Only this model.")
        public var model: String?

        public init() {}

        public func run() async throws {
            let db = try store.openStoreForReading()
            let count = try LLMLog(db).cachedResponseCount(model: model)
            if output.json {
                try Terminal.printJSON(["cached_responses": count])
            } else {
                print("\(count) cached responses" + (model.map { " for \($0)" } ?? ""))
            }
        }

        /// Which cached answers `clear --status` removes.
        public enum ClearStatus: String, CaseIterable, ExpressibleByArgument, Sendable {
            /// Answers that cannot be used: unreadable, cut short, off the scale, or whose cells were recorded invalid.
            case invalid
        }

        /// `jobforge llm cache clear [--status invalid] [--model M]`
        public struct Clear: AsyncParsableCommand {
            public static let configuration = CommandConfiguration(
                commandName: "clear",
                abstract: "Remove cached model answers, so that the next run asks for those cells again.",
                discussion: "Outcomes and values already imputed stay; only the cache is emptied."
            )

            @OptionGroup public var store: StoreOptions
            @OptionGroup public var output: OutputOptions

            @Option(name: .long, help: "Only answers of this status (invalid: unreadable, cut short, off the scale or recorded invalid).")
            public var status: ClearStatus?

            @Option(name: .long, help: "Only this model.")
            public var model: String?

            public init() {}

            public func run() async throws {
                let db = try store.openExistingStore()
                let selection: LLMLog.CachedResponseSelection = status == .invalid ? .invalid : .all
                let removed = try LLMLog(db).clearCachedResponses(model: model, selection: selection)
                if output.json {
                    try Terminal.printJSON(["removed_responses": removed])
                } else {
                    print("\(removed) cached \(status == .invalid ? "invalid " : "")responses removed"
                          + (model.map { " for \($0)" } ?? "") + "; the next run asks for those cells again")
                }
            }
        }
    }
}

/// One outcome in `--json` output.
struct OutcomeRow: Encodable {
    var run: String
    var subject: String
    var descriptor: String
    var dimension: String
    var status: String
    var value: Double?
    var confidence: Double?
    var rationale: String?
    var detail: String?
    var model: String
    var requestID: String?
    var at: Date
    var fromCache: Bool

    init(_ record: LLMOutcomeRecord) {
        run = record.runID
        subject = "\(record.subjectKind):\(record.subjectCode)"
        descriptor = record.descriptorCode
        dimension = record.dimension
        status = record.status
        value = record.value
        confidence = record.confidence
        rationale = record.rationale
        detail = record.detail
        model = record.model
        requestID = record.requestID
        at = record.at
        fromCache = record.fromCache
    }
}
