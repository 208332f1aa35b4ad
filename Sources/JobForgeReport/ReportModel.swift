import Foundation
import JobForgeStore

/// Everything the report shows, with typed values: what `jobforge report --json` prints and the
/// HTML page renders. Sections that need data this store lacks are nil, never invented.
public struct ReportModel: Sendable, Codable {
    public var generatedAt: String
    public var store: String
    public var coverage: Coverage
    /// What filling the empty cells with the LLM would take (`impute --dry-run`'s estimate).
    public var cost: CostEstimate?
    /// Titles a person should look at, with the action for each.
    public var review: [ReviewItem]
    /// Each tier's measured error and calibration; nil until an evaluation has been run.
    public var quality: [TierQuality]?
    public var releases: [LoadedRelease]
    public var steps: [StepSummary]
    public var runs: [RunRecord]
    /// How many titles have a profile sheet in the page (all of them up to the limit).
    public var sheetCount: Int
}

public struct CostEstimate: Sendable, Codable, Equatable {
    public var model: String
    /// The cells the LLM would be asked for (every empty title cell but interests, which it does not rank).
    public var cells: Int
    public var requests: Int
    public var cachedRequests: Int
    public var estimatedInputTokens: Int
    public var estimatedOutputTokens: Int
    /// US dollars; nil when the model's price is unknown.
    public var estimatedCostUSD: Double?
}

public struct ReviewItem: Sendable, Codable, Equatable {
    public var id: String
    public var title: String
    /// Why it needs a person, as `titles review` names it: `no_code`, `unknown_code`, `ambiguous_noc2016`,
    /// `no_profile`, `tie`, `low_confidence`, `code_in_doubt`.
    public var reason: String
    public var method: String
    public var confidence: Double
    public var note: String
    /// What to do, as a command or a step.
    public var action: String
}

/// A tier's latest evaluation: `onet` (O*NET levels against OaSIS) and `onet-importance` (O*NET
/// importances against O*NET itself, leave-one-SOC-out), both from `evaluate onet`, or `llm` once
/// per model evaluated (`evaluate llm`), the only one with a model, invalid answers, tokens and cost.
public struct TierQuality: Sendable, Codable, Equatable {
    public var tier: String
    public var meanAbsoluteError: Double?
    /// The figures in one line: values measured, baseline, calibration per stated confidence.
    public var calibration: String?
    public var model: String?
    public var evaluatedAt: String?
    /// Values measured (valid answers of cells whose truth is known).
    public var values: Int?
    public var exactShare: Double?
    public var withinOneShare: Double?
    /// Answers off the scale or unreadable: never counted as values.
    public var invalid: Int?
    /// Stated confidence against measured accuracy, per tenth of stated confidence that has values.
    public var calibrationTable: [CalibrationRow]?
    public var tokensIn: Int?
    public var tokensOut: Int?
    /// US dollars the evaluation's requests cost; nil when the model's price is unknown.
    public var costUSD: Double?
}

/// Values stated at a confidence in `lower..<upper`: how confident they said they were, and how
/// often they really were within half a point of the truth.
public struct CalibrationRow: Sendable, Codable, Equatable {
    public var lower: Double
    public var upper: Double
    public var count: Int
    public var meanStatedConfidence: Double
    public var withinHalfShare: Double
}

public struct StepSummary: Sendable, Codable, Equatable {
    public var name: String
    public var completedAt: String
    public var runID: String
    public var summary: String
}
