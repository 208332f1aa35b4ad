import Foundation
import JobForgeCore
import JobForgeStore

/// Figures of one LLM run, for the summary line and `--json`.
public struct LLMRunSummary: Sendable, Codable, Equatable {
    public var cellsAsked = 0
    public var answered = 0
    public var refused = 0
    public var invalid = 0
    /// Answers for attributes that were not asked (not cells: extra answers).
    public var unasked = 0
    public var missing = 0
    public var failed = 0
    /// HTTP requests sent, retries included.
    public var requests = 0
    /// Answers taken from the cache instead of the network.
    public var cacheHits = 0
    public var tokensIn = 0
    /// Of `tokensIn`, those the provider served from its prompt cache (counted at their price).
    public var tokensCachedIn = 0
    public var tokensOut = 0
    /// US dollars, from the real token counts; nil when the model's price is unknown.
    public var estimatedCost: Double?
    public var seconds = 0.0
    /// Cells not asked because the next request would have passed `--max-cost`: a later run asks them.
    public var cellsLeft = 0
    /// Their titles (subjects), for the report.
    public var subjectsLeft: [String] = []

    public init() {}

    mutating func count(_ outcome: CellOutcome) {
        switch outcome.status {
        case .answered: answered += 1
        case .refused: refused += 1
        case .invalid: invalid += 1
        case .unasked: unasked += 1
        case .missing: missing += 1
        case .failed: failed += 1
        }
    }
}

public struct LLMProgress: Sendable {
    public var cellsDone: Int
    public var cellsTotal: Int
    public var requests: Int
    public var cacheHits: Int
}

public struct LLMTierResult: Sendable {
    /// One candidate per answered cell (source `.llm`), for the cascade to submit.
    public var candidates: [Candidate]
    /// Every outcome, answered or not; also saved through the recorder.
    public var outcomes: [CellOutcome]
    public var summary: LLMRunSummary
}

/// A request the tier would send: what `--dry-run` prints.
public struct PlannedBatch: Sendable {
    public var subject: Subject
    public var cells: [MissingCell]
    public var request: ChatCompletionRequest
    public var promptHash: String
    public var estimatedInputTokens: Int
    public var estimatedOutputTokens: Int
    /// Already answered in the cache: no call, no cost.
    public var cached: Bool
}

public struct LLMPlan: Sendable {
    public var batches: [PlannedBatch]
    public var cells: Int
    public var estimatedInputTokens: Int
    public var estimatedOutputTokens: Int
    public var estimatedCost: Double?

    /// The estimate of the requests not cached, by group (a category) and dimension: each
    /// request's input tokens are shared evenly among its cells.
    public struct Part: Sendable, Equatable {
        public var category: String
        public var dimension: String
        public var cells: Int
        public var inputTokens: Int
        public var outputTokens: Int
        public var cost: Double?
    }

    public func breakdown(pricing: TokenPricing?, category: @escaping (MissingCell) -> String) -> [Part] {
        var tally = LLMPlanTally(category: category)
        for batch in batches { tally.add(batch) }
        return tally.breakdown(pricing: pricing)
    }
}

/// The figures of a plan, added up one planned request at a time without keeping the requests
/// (their prompts): what the report's cost estimate and a streamed `impute --dry-run` keep, in
/// flat memory however many titles. Equal to the `LLMPlan` of the same batches.
///
/// ```swift
/// var tally = LLMPlanTally()
/// try await tier.plan(requests) { tally.add($0) }
/// print(tally.requests, tally.estimatedCost(pricing: configuration.pricing) ?? 0)
/// ```
public struct LLMPlanTally {
    public private(set) var cells = 0
    public private(set) var requests = 0
    public private(set) var cachedRequests = 0
    public private(set) var estimatedInputTokens = 0
    public private(set) var estimatedOutputTokens = 0
    /// The breakdown's group of a cell; nil: no breakdown is kept.
    let category: ((MissingCell) -> String)?
    private var parts: [String: LLMPlan.Part] = [:]
    private var shares: [String: (input: Double, output: Double)] = [:]

    public init(category: ((MissingCell) -> String)? = nil) {
        self.category = category
    }

    public mutating func add(_ batch: PlannedBatch) {
        requests += 1
        cells += batch.cells.count
        if batch.cached {
            cachedRequests += 1
            return
        }
        estimatedInputTokens += batch.estimatedInputTokens
        estimatedOutputTokens += batch.estimatedOutputTokens
        guard let category, !batch.cells.isEmpty else { return }
        let n = Double(batch.cells.count)
        for cell in batch.cells {
            let group = category(cell)
            let key = group + "\u{1F}" + cell.dimension.rawValue
            parts[key, default: LLMPlan.Part(category: group, dimension: cell.dimension.rawValue, cells: 0, inputTokens: 0,
                                             outputTokens: 0)].cells += 1
            shares[key, default: (0, 0)].input += Double(batch.estimatedInputTokens) / n
            shares[key, default: (0, 0)].output += Double(batch.estimatedOutputTokens) / n
        }
    }

    public func estimatedCost(pricing: TokenPricing?) -> Double? {
        pricing?.cost(inputTokens: estimatedInputTokens, outputTokens: estimatedOutputTokens)
    }

    /// By group and dimension, sorted (empty without a `category`).
    public func breakdown(pricing: TokenPricing?) -> [LLMPlan.Part] {
        parts.keys.sorted().map { key in
            var part = parts[key]!
            part.inputTokens = Int(shares[key]!.input.rounded())
            part.outputTokens = Int(shares[key]!.output.rounded())
            part.cost = pricing?.cost(inputTokens: part.inputTokens, outputTokens: part.outputTokens)
            return part
        }
    }
}

/// The last tier of the cascade (precedence 1): asks the model for the cells no higher source
/// filled, one request per batch of a title's missing attributes, and turns the answers into
/// candidates. Every cell asked ends with exactly one outcome; nothing is dropped silently.
public struct LLMTier: Sendable {
    public static let method = CandidateMethod.llmImputation

    public let client: OpenAIClient
    public let recorder: any LLMRecorder
    public let runID: String
    private let prompts = PromptBuilder()

    public var configuration: LLMConfiguration { client.configuration }

    public init(client: OpenAIClient, recorder: any LLMRecorder, runID: String) {
        self.client = client
        self.recorder = recorder
        self.runID = runID
    }

    // MARK: - Batching

    /// A title's cells in batches of at most `size`, each descriptor code at most once per batch
    /// (the answer names the attribute by its code). Sorted by dimension then code, so a batch
    /// holds distinct codes and the same input always gives the same prompts (and cache keys).
    public static func batches(_ cells: [MissingCell], size: Int) -> [[MissingCell]] {
        var seen = Set<String>()
        let unique = cells
            .sorted { ($0.dimension.rawValue, $0.descriptorCode) < ($1.dimension.rawValue, $1.descriptorCode) }
            .filter { seen.insert($0.descriptorCode + "\u{1F}" + $0.dimension.rawValue).inserted }
        var batches: [[MissingCell]] = []
        var current: [MissingCell] = []
        var codes = Set<String>()
        for cell in unique {
            if current.count >= max(1, size) || codes.contains(cell.descriptorCode) {
                batches.append(current)
                current = []
                codes = []
            }
            current.append(cell)
            codes.insert(cell.descriptorCode)
        }
        if !current.isEmpty { batches.append(current) }
        return batches
    }

    // MARK: - Dry run

    /// The requests a run would send, with estimated tokens and cost; calls nothing.
    public func plan(_ requests: [ImputationRequest]) async throws -> LLMPlan {
        var batches: [PlannedBatch] = []
        var tally = LLMPlanTally()
        try await plan(requests) { batch in
            tally.add(batch)
            batches.append(batch)
        }
        return LLMPlan(batches: batches, cells: tally.cells, estimatedInputTokens: tally.estimatedInputTokens,
                       estimatedOutputTokens: tally.estimatedOutputTokens, estimatedCost: tally.estimatedCost(pricing: configuration.pricing))
    }

    /// The requests a run would send, one at a time to `body` (which keeps what it needs), in
    /// the order `plan(_:)` lists them; calls nothing.
    public func plan(_ requests: [ImputationRequest], _ body: (PlannedBatch) throws -> Void) async throws {
        for request in requests {
            for cellBatch in Self.batches(request.missing, size: configuration.batchSize) {
                try body(try await planned(request, cellBatch))
            }
        }
    }

    /// One request as it would be sent: its prompt, estimated tokens, and whether the cache
    /// already holds its answer (then it costs nothing).
    func planned(_ request: ImputationRequest, _ cells: [MissingCell]) async throws -> PlannedBatch {
        let chat = try prompts.request(configuration: configuration, context: request.context, cells: cells)
        let hash = SHA256.hex(chat.body)
        let cached = try await recorder.cachedResponse(model: configuration.model, promptHash: hash) != nil
        return PlannedBatch(subject: request.subject, cells: cells, request: chat, promptHash: hash,
                            estimatedInputTokens: TokenEstimate.inputTokens(chat),
                            estimatedOutputTokens: TokenEstimate.outputTokens(cells: cells.count), cached: cached)
    }

    /// The estimated cost of a planned request: nothing when cached, else at the input price
    /// (whether the provider's prompt cache will serve part of it is not known before).
    func estimatedCost(_ batch: PlannedBatch) -> Double {
        guard !batch.cached, let pricing = configuration.pricing else { return 0 }
        return pricing.cost(inputTokens: batch.estimatedInputTokens, outputTokens: batch.estimatedOutputTokens)
    }

    // MARK: - Run

    /// Asks for every cell of `requests`, `configuration.concurrency` requests at a time.
    /// Throws `LLMError` when the service refuses the credentials or the endpoint does not exist;
    /// outcomes of batches finished before are already saved.
    public func run(_ requests: [ImputationRequest], progress: (@Sendable (LLMProgress) -> Void)? = nil) async throws -> LLMTierResult {
        let started = Date()
        var work: [(ImputationRequest, [MissingCell])] = []
        for request in requests {
            for batch in Self.batches(request.missing, size: configuration.batchSize) { work.append((request, batch)) }
        }
        let total = work.reduce(0) { $0 + $1.1.count }
        var summary = LLMRunSummary()
        summary.cellsAsked = total
        var candidates: [Candidate] = []
        var outcomes: [CellOutcome] = []
        var done = 0
        if configuration.maxCost != nil, configuration.pricing == nil {
            throw LLMError.configuration("--max-cost needs the model's price: give --price-in and --price-out (US dollars per million tokens)")
        }
        // --max-cost: what finished requests cost, and what those in flight are expected to.
        var spent = 0.0, reserved = 0.0
        var stopped = false

        try await withThrowingTaskGroup(of: BatchResult.self) { group in
            var next = 0
            func addNext() async throws {
                guard next < work.count, !stopped else { return }
                let (request, cells) = work[next]
                var estimate = 0.0
                if let limit = configuration.maxCost {
                    estimate = estimatedCost(try await planned(request, cells))
                    if spent + reserved + estimate > limit {
                        stopped = true
                        return
                    }
                    reserved += estimate
                }
                next += 1
                group.addTask {
                    var result = try await resolve(request, cells, note: nil, retry: RetryState())
                    result.estimatedCost = estimate
                    return result
                }
            }
            for _ in 0..<configuration.concurrency { try await addNext() }
            while let result = try await group.next() {
                reserved -= result.estimatedCost
                spent += configuration.pricing?.cost(inputTokens: result.tokensIn, outputTokens: result.tokensOut,
                                                     cachedInputTokens: result.tokensCachedIn) ?? 0
                // The next request goes out first; the commit overlaps it.
                try await addNext()
                try await recorder.saveBatch(responses: result.responses, outcomes: result.outcomes)
                candidates += result.candidates
                outcomes += result.outcomes
                summary.requests += result.httpRequests
                summary.cacheHits += result.cacheHits
                summary.tokensIn += result.tokensIn
                summary.tokensCachedIn += result.tokensCachedIn
                summary.tokensOut += result.tokensOut
                done += result.outcomes.filter { $0.status != .unasked }.count
                progress?(LLMProgress(cellsDone: done, cellsTotal: total, requests: summary.requests, cacheHits: summary.cacheHits))
            }
        }
        for outcome in outcomes { summary.count(outcome) }
        if stopped {
            // Requests never sent: no outcome, nothing stored; the next run asks them.
            let sent = Set(outcomes.map { $0.key.subject.code + "|" + $0.key.descriptor + "|" + $0.key.dimension.rawValue })
            var left: [String] = []
            for (request, cells) in work {
                let unasked = cells.filter { !sent.contains(request.subject.code + "|" + $0.descriptorCode + "|" + $0.dimension.rawValue) }
                summary.cellsLeft += unasked.count
                if !unasked.isEmpty, left.last != request.subject.code { left.append(request.subject.code) }
            }
            summary.subjectsLeft = left
            summary.cellsAsked -= summary.cellsLeft
        }
        summary.estimatedCost = configuration.pricing?.cost(inputTokens: summary.tokensIn, outputTokens: summary.tokensOut,
                                                            cachedInputTokens: summary.tokensCachedIn)
        summary.seconds = Date().timeIntervalSince(started)
        return LLMTierResult(candidates: candidates, outcomes: outcomes, summary: summary)
    }

    /// Which second chances a set of cells has already had.
    struct RetryState {
        var schemaRetried = false
        var missingRetried = false
    }

    struct BatchResult: Sendable {
        var candidates: [Candidate] = []
        var outcomes: [CellOutcome] = []
        /// New responses for the cache, committed with the outcomes.
        var responses: [LLMResponseRecord] = []
        var httpRequests = 0
        var cacheHits = 0
        var tokensIn = 0
        var tokensCachedIn = 0
        var tokensOut = 0
        /// What `--max-cost` reserved for this request before it was sent.
        var estimatedCost = 0.0

        mutating func merge(_ other: BatchResult) {
            candidates += other.candidates
            outcomes += other.outcomes
            responses += other.responses
            httpRequests += other.httpRequests
            cacheHits += other.cacheHits
            tokensIn += other.tokensIn
            tokensCachedIn += other.tokensCachedIn
            tokensOut += other.tokensOut
        }
    }

    /// Asks for `cells` of one title and follows up: splits a truncated batch, asks missing
    /// attributes once more in a smaller batch, retries a schema violation once.
    private func resolve(_ request: ImputationRequest, _ cells: [MissingCell], note: String?, retry: RetryState) async throws -> BatchResult {
        let chat = try prompts.request(configuration: configuration, context: request.context, cells: cells, retryNote: note)
        let body = chat.body
        let hash = SHA256.hex(body)
        var result = BatchResult()
        let model = configuration.model

        func outcome(_ cell: MissingCell, _ status: CellOutcomeStatus, detail: String?, requestID: String?, at: Date,
                     fromCache: Bool, item: ImputedAttribute? = nil) -> CellOutcome {
            CellOutcome(key: CellKey(subject: request.subject, descriptor: cell.descriptorCode, dimension: cell.dimension),
                        status: status, value: item?.value, confidence: item?.confidence, rationale: item?.rationale,
                        detail: detail, model: model, requestID: requestID, promptHash: hash, at: at, runID: runID,
                        fromCache: fromCache)
        }

        // The exchange: from the cache when the cached answer validates (a store written before
        // answers were checked may hold garbage), else from the service.
        let exchange: CompletionExchange
        if let cached = try await recorder.cachedResponse(model: model, promptHash: hash),
           let response = try? JSONDecoder().decode(ChatCompletionResponse.self, from: Data(cached.responseBody.utf8)),
           Self.isValidAnswer(response, cells: cells) {
            exchange = CompletionExchange(response: response, rawBody: Data(cached.responseBody.utf8), requestID: cached.requestID,
                                          receivedAt: cached.receivedAt, httpRequests: 0, fromCache: true)
            result.cacheHits = 1
        } else {
            do {
                var fresh = try await client.complete(body: body)
                // Milliseconds, as stored: a cached re-run then yields the very same candidate time.
                fresh.receivedAt = Timestamp.rounded(fresh.receivedAt)
                exchange = fresh
                result.httpRequests = fresh.httpRequests
                result.tokensIn = fresh.response.usage?.promptTokens ?? 0
                result.tokensCachedIn = fresh.response.usage?.cachedTokens ?? 0
                result.tokensOut = fresh.response.usage?.completionTokens ?? 0
                // Only an answer that validates is kept for later runs: an invalid one is asked
                // again next time instead of being replayed forever.
                if Self.isValidAnswer(fresh.response, cells: cells) {
                    result.responses.append(LLMResponseRecord(
                        model: model, promptHash: hash, requestID: fresh.requestID,
                        responseBody: String(decoding: fresh.rawBody, as: UTF8.self),
                        promptTokens: result.tokensIn, completionTokens: result.tokensOut, receivedAt: fresh.receivedAt, runID: runID))
                }
            } catch let failure as CompletionFailure {
                result.httpRequests = failure.httpRequests
                result.outcomes = cells.map { outcome($0, .failed, detail: failure.message, requestID: nil, at: Date(), fromCache: false) }
                return result
            }
        }

        let requestID = exchange.requestID
        let at = exchange.receivedAt
        let fromCache = exchange.fromCache
        let choice = exchange.response.choices[0]

        // A refusal is an answer: recorded for every cell, not asked again.
        if let refusal = choice.message.refusal, !refusal.isEmpty {
            result.outcomes = cells.map { outcome($0, .refused, detail: refusal, requestID: requestID, at: at, fromCache: fromCache) }
            return result
        }
        if choice.finishReason == "content_filter" {
            result.outcomes = cells.map { outcome($0, .refused, detail: "the service's content filter stopped the answer", requestID: requestID, at: at, fromCache: fromCache) }
            return result
        }
        // Truncated: split the batch and ask each half; one attribute alone cannot be split.
        if choice.finishReason == "length" {
            if cells.count > 1 {
                let half = (cells.count + 1) / 2
                for part in [Array(cells[..<half]), Array(cells[half...])] {
                    result.merge(try await resolve(request, part, note: note, retry: retry))
                }
            } else {
                let detail = "the answer was cut at the token limit (\(configuration.maxTokens)) even for this attribute alone; raise --max-tokens"
                result.outcomes = cells.map { outcome($0, .invalid, detail: detail, requestID: requestID, at: at, fromCache: fromCache) }
            }
            return result
        }

        // Decode with the very types the schema was derived from.
        let answer: ImputationAnswer
        do {
            guard let content = choice.message.content else { throw SchemaDerivationError(description: "the message has no content") }
            answer = try JSONDecoder().decode(ImputationAnswer.self, from: Data(content.utf8))
        } catch {
            let reason = "the answer does not follow the schema (\(Self.describe(error)))"
            if !retry.schemaRetried {
                var again = retry
                again.schemaRetried = true
                result.merge(try await resolve(request, cells, note: "The previous answer could not be read: \(reason). Answer again, following the schema exactly.", retry: again))
            } else {
                result.outcomes = cells.map { outcome($0, .invalid, detail: reason + ", after one retry", requestID: requestID, at: at, fromCache: fromCache) }
            }
            return result
        }

        var byCode: [String: MissingCell] = [:]
        for cell in cells { byCode[cell.descriptorCode] = cell }
        var answeredCodes = Set<String>()
        var violations: [(MissingCell, ImputedAttribute, String)] = []
        let releasedModel = exchange.response.model ?? model
        for item in answer.answers {
            guard let cell = byCode[item.attribute] else {
                result.outcomes.append(CellOutcome(
                    key: CellKey(subject: request.subject, descriptor: item.attribute, dimension: CellDimension("unknown")),
                    status: .unasked, value: item.value, confidence: item.confidence, rationale: item.rationale,
                    detail: "an answer for attribute \"\(item.attribute)\", which was not asked", model: model,
                    requestID: requestID, promptHash: hash, at: at, runID: runID, fromCache: fromCache))
                continue
            }
            guard answeredCodes.insert(item.attribute).inserted else {
                result.outcomes.append(outcome(cell, .unasked, detail: "a second answer for \(item.attribute); the first was kept",
                                               requestID: requestID, at: at, fromCache: fromCache, item: item))
                continue
            }
            if let problem = Self.violation(item, cell: cell) {
                violations.append((cell, item, problem))
                continue
            }
            let key = CellKey(subject: request.subject, descriptor: cell.descriptorCode, dimension: cell.dimension)
            var metadata = [
                "model": releasedModel, "requested_model": model, "run": runID, "prompt_hash": hash,
                "scale": cell.scale.rangeText, "scale_meaning": cell.scale.label,
            ]
            if let requestID { metadata["request_id"] = requestID }
            if fromCache { metadata["from_cache"] = "true" }
            result.candidates.append(Candidate(
                key: key, value: item.value, source: .llm, method: Self.method, sourceLevel: request.subject.level,
                sourceIDs: [requestID ?? hash], confidence: item.confidence, rationale: item.rationale,
                release: releasedModel, observedAt: at, metadata: metadata, askedContext: request.askedContext))
            result.outcomes.append(outcome(cell, .answered, detail: nil, requestID: requestID, at: at, fromCache: fromCache, item: item))
        }

        // Off the scale or confidence outside 0...1: a schema violation, retried once, never clamped.
        if !violations.isEmpty {
            if !retry.schemaRetried {
                var again = retry
                again.schemaRetried = true
                let reasons = violations.map { "\($0.0.descriptorCode): \($0.2)" }.joined(separator: "; ")
                result.merge(try await resolve(request, violations.map(\.0),
                                               note: "The previous answer broke the rules: \(reasons). Answer these attributes again.",
                                               retry: again))
            } else {
                for (cell, item, problem) in violations {
                    result.outcomes.append(outcome(cell, .invalid, detail: problem + ", after one retry", requestID: requestID,
                                                   at: at, fromCache: fromCache, item: item))
                }
            }
        }

        // Asked but not answered: asked once more, in a smaller batch.
        let missing = cells.filter { !answeredCodes.contains($0.descriptorCode) }
        if !missing.isEmpty {
            if !retry.missingRetried {
                var again = retry
                again.missingRetried = true
                let parts: [[MissingCell]]
                if missing.count == cells.count && missing.count > 1 {
                    let half = (missing.count + 1) / 2
                    parts = [Array(missing[..<half]), Array(missing[half...])]
                } else {
                    parts = [missing]
                }
                for part in parts {
                    result.merge(try await resolve(request, part,
                                                   note: "These attributes were asked before and not answered. Answer each of them.",
                                                   retry: again))
                }
            } else {
                result.outcomes += missing.map {
                    outcome($0, .missing, detail: "asked, not answered, even when asked again in a smaller batch",
                            requestID: requestID, at: at, fromCache: fromCache)
                }
            }
        }
        return result
    }

    /// Whether an answer may be cached and replayed: a refusal (an answer in itself), or content
    /// that follows the schema and answers every attribute asked exactly once, on its scale, with
    /// a confidence within 0-1. Truncated, unreadable, partial or off-scale answers are not.
    static func isValidAnswer(_ response: ChatCompletionResponse, cells: [MissingCell]) -> Bool {
        guard let choice = response.choices.first else { return false }
        if let refusal = choice.message.refusal, !refusal.isEmpty { return true }
        if choice.finishReason == "content_filter" { return true }
        guard choice.finishReason != "length", let content = choice.message.content,
              let answer = try? JSONDecoder().decode(ImputationAnswer.self, from: Data(content.utf8)) else { return false }
        let byCode = Dictionary(cells.map { ($0.descriptorCode, $0) }, uniquingKeysWith: { first, _ in first })
        var answered = Set<String>()
        for item in answer.answers {
            guard let cell = byCode[item.attribute], answered.insert(item.attribute).inserted,
                  violation(item, cell: cell) == nil else { return false }
        }
        return answered.count == byCode.count
    }

    /// Why an answer cannot be kept as a value, or nil when it can.
    static func violation(_ item: ImputedAttribute, cell: MissingCell) -> String? {
        if !cell.scale.contains(item.value) {
            return "value \(JSONValue.format(item.value)) is off the \(cell.scale.rangeText) scale"
        }
        if !item.confidence.isFinite || item.confidence < 0 || item.confidence > 1 {
            return "confidence \(JSONValue.format(item.confidence)) is outside 0-1"
        }
        return nil
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing \"\(key.stringValue)\"" + (context.codingPath.isEmpty ? "" : " in \(path(context.codingPath))")
        case DecodingError.typeMismatch(let type, let context):
            return "\(path(context.codingPath)) is not a \(type)"
        case DecodingError.valueNotFound(let type, let context):
            return "\(path(context.codingPath)) is null, expected \(type)"
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "\(path(context.codingPath)): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }

    private static func path(_ codingPath: [CodingKey]) -> String {
        codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}
