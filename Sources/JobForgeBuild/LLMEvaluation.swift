import Foundation
import GRDB
import JobForgeCore
import JobForgeLLM
import JobForgeNet
import JobForgeStore
import JobForgeTitles

/// `jobforge evaluate llm`: the LLM tier measured on cells whose truth is known. A sample of
/// subjects is drawn from a seed; their known cells (OaSIS levels of profiles, O*NET importances
/// of unit groups) are hidden from the prompt and asked exactly as the tier asks a title's empty
/// cells (same prompt, schema and batching); the answers are compared with the truth.
///
/// ```swift
/// let plan = try LLMEvaluation.plan(store: store, sample: 5, seed: 1)
/// let report = try await LLMEvaluation.run(store: store, configuration: configuration, plan: plan, runID: runID)
/// report.figures.overall.meanAbsoluteError
/// report.confidenceCalibration.calibrated(0.9)   // what the model's 0.9 is worth
/// ```
public enum LLMEvaluation {
    public static let truth = "OaSIS levels of profiles (not applicable, 0, left in the prompt) and O*NET importances of unit groups"

    /// A cell asked and its truth.
    public struct TruthCell: Sendable {
        public var key: CellKey
        public var name: String
        public var category: String
        public var truth: Double
    }

    /// What an evaluation asks: the sampled subjects' requests (hidden cells as the missing ones,
    /// the other winners as known values) and the truth of every hidden cell.
    public struct Plan: Sendable {
        public var sample: Int
        public var seed: UInt64
        public var subjects: [Subject]
        public var requests: [ImputationRequest]
        public var cells: [TruthCell]
    }

    /// Whether a winner is a cell of known truth that the evaluation hides and asks.
    static func isTruth(_ cell: CellValue) -> Bool {
        switch cell.subject.kind {
        case .profile: cell.source == .authoritative && cell.dimension == .level && cell.value != 0
        case .unitGroup: cell.source == .onet && cell.dimension == .importance
        case .title: false
        }
    }

    /// Draws `sample` subjects with truth, in the order `seed` shuffles the profiles and unit
    /// groups, and builds their requests. Throws `SampleTooLarge` (with how many have truth) when
    /// fewer subjects have truth; only then is every subject read.
    public static func plan(store: SQLiteStore, sample: Int, seed: UInt64) throws -> Plan {
        // Counted in the published model first: a sample too large is refused at once, without
        // reading every subject (the walk below still checks what it finds).
        let available = try subjectsWithTruthCount(store: store)
        if available > 0, sample > available { throw SampleTooLarge(requested: sample, available: available) }
        let pool = try store.subjects(of: .profile) + store.subjects(of: .unitGroup)
        var scales: [String: (DescriptorInfo, DescriptorScale)] = [:]
        for info in try store.descriptors(category: nil) {
            for scale in info.scales { scales[info.descriptor.code + "/" + scale.dimension.rawValue] = (info, scale) }
        }
        var subjects: [Subject] = []
        var requests: [ImputationRequest] = []
        var cells: [TruthCell] = []
        for subject in SeededSample.shuffled(pool, seed: seed) where subjects.count < sample {
            var missing: [MissingCell] = []
            var known: [KnownValue] = []
            var truths: [TruthCell] = []
            for cell in try store.winners(of: subject, filter: CellFilter()) {
                if isTruth(cell), let (info, scale) = scales[cell.descriptorCode + "/" + cell.dimension.rawValue] {
                    missing.append(MissingCell(descriptorCode: info.descriptor.code, name: info.descriptor.name, dimension: scale.dimension,
                                               definition: info.descriptor.definition, scale: RatingScale(scale)))
                    let importance = cell.dimension == .level ? "" : " (\(cell.dimension.rawValue))"
                    truths.append(TruthCell(key: CellKey(subject: subject, descriptor: cell.descriptorCode, dimension: cell.dimension),
                                            name: cell.descriptorName + importance, category: cell.category.rawValue + importance,
                                            truth: cell.value))
                } else if !isTruth(cell), cell.dimension != .interestRank {
                    known.append(KnownValue(descriptorCode: cell.descriptorCode, name: cell.descriptorName, dimension: cell.dimension,
                                            value: cell.value))
                }
            }
            guard !missing.isEmpty else { continue }
            subjects.append(subject)
            cells += truths
            requests.append(ImputationRequest(subject: subject, context: try context(of: subject, store: store, known: known),
                                              missing: missing))
        }
        guard !subjects.isEmpty else {
            throw EvaluationError("no profile has an OaSIS level and no unit group an O*NET importance: run `jobforge build` first")
        }
        guard subjects.count == sample else { throw SampleTooLarge(requested: sample, available: subjects.count) }
        return Plan(sample: sample, seed: seed, subjects: subjects, requests: requests, cells: cells)
    }

    /// How many subjects have a cell of known truth on a stated scale, from the published model
    /// (`fact_cell`, `dim_descriptor`): the same rule as `isTruth`.
    static func subjectsWithTruthCount(store: SQLiteStore) throws -> Int {
        try store.dbQueue.read { db in
            try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM (
                    SELECT DISTINCT f.subject_kind, f.subject_code FROM fact_cell f
                    JOIN dim_descriptor d ON d.descriptor_code = f.descriptor_code AND d.dimension = f.dimension
                    WHERE (f.subject_kind = 'profile' AND f.source = 'authoritative' AND f.dimension = 'level' AND f.value != 0)
                       OR (f.subject_kind = 'unit_group' AND f.source = 'onet' AND f.dimension = 'importance'))
                """) ?? 0
        }
    }

    /// A profile or unit group described as the tier describes a title: its label as the title,
    /// its unit group and lead statement.
    static func context(of subject: Subject, store: SQLiteStore, known: [KnownValue]) throws -> TitleContext {
        let header = try store.subjectHeader(subject)
        let unitGroup = subject.kind == .unitGroup ? subject.code : Codes.unitGroup(ofProfile: subject.code)
        let unitGroupHeader = subject.kind == .unitGroup ? header : try store.subjectHeader(.unitGroup(unitGroup))
        return TitleContext(title: header?.label ?? subject.code, unitGroupCode: unitGroup, unitGroupTitle: unitGroupHeader?.label,
                            leadStatement: header?.leadStatement ?? unitGroupHeader?.leadStatement, knownValues: known)
    }

    /// The plan's requests less the cells `model` already answered (kept from an earlier run).
    public static func pending(_ plan: Plan, store: SQLiteStore, model: String) throws -> [ImputationRequest] {
        let answered = try LLMLog(store).evaluationAnswers(model: model)
        return plan.requests.compactMap { request in
            var request = request
            request.missing = request.missing.filter {
                answered[CellKey(subject: request.subject, descriptor: $0.descriptorCode, dimension: $0.dimension)] == nil
            }
            return request.missing.isEmpty ? nil : request
        }
    }

    /// What a run would send (the pending requests), with tokens and cost; sends nothing.
    public static func dryRun(_ plan: Plan, store: SQLiteStore, configuration: LLMConfiguration) async throws -> LLMPlan {
        let tier = LLMTier(client: OpenAIClient(configuration: configuration), recorder: LLMEvaluationRecorder(LLMLog(store)),
                           runID: "dry-run")
        return try await tier.plan(try pending(plan, store: store, model: configuration.model))
    }

    /// Asks what is pending, compares every answer kept for the plan's cells with the truth, and
    /// keeps the evaluation (and the calibration it measured) for the model.
    public static func run(store: SQLiteStore, configuration: LLMConfiguration, plan: Plan, runID: String,
                           transport: any HTTPTransport = URLSessionTransport(),
                           progress: (@Sendable (LLMProgress) -> Void)? = nil, now: Date = Date()) async throws -> LLMEvaluationReport {
        let log = LLMLog(store)
        let pending = try pending(plan, store: store, model: configuration.model)
        let keptBefore = plan.cells.count - pending.reduce(0) { $0 + $1.missing.count }
        let tier = LLMTier(client: OpenAIClient(configuration: configuration, transport: transport),
                           recorder: LLMEvaluationRecorder(log), runID: runID)
        let result = try await tier.run(pending, progress: progress)
        if result.summary.cellsAsked > 0, result.summary.failed == result.summary.cellsAsked {
            let detail = result.outcomes.last { $0.status == .failed }?.detail ?? "no answer"
            throw LLMError.everyRequestFailed(count: result.summary.cellsAsked, items: "cells", detail: detail)
        }

        let answers = try log.evaluationAnswers(model: configuration.model)
        var values: [EvaluatedValue] = []
        var counts = LLMEvaluationReport.Cells(asked: plan.cells.count, keptFromEarlierRuns: keptBefore)
        for cell in plan.cells {
            guard let answer = answers[cell.key] else { counts.failed += 1; continue }
            switch answer.status {
            case "answered":
                guard let value = answer.value, let confidence = answer.confidence else { counts.invalid += 1; continue }
                counts.answered += 1
                values.append(EvaluatedValue(descriptorCode: cell.key.descriptor + (cell.key.dimension == .level ? "" : "/" + cell.key.dimension.rawValue),
                                             descriptorName: cell.name, category: cell.category, truth: cell.truth,
                                             predicted: value, statedConfidence: confidence))
            case "invalid": counts.invalid += 1
            case "refused": counts.refused += 1
            default: counts.missing += 1
            }
        }
        let figures = TierEvaluation(values)
        let summary = result.summary
        let report = LLMEvaluationReport(
            model: configuration.model, evaluatedAt: now, sample: plan.sample, seed: plan.seed, truth: truth,
            subjects: plan.subjects.map(\.description), cells: counts, figures: figures,
            confidenceCalibration: ConfidenceCalibration(figures), requests: summary.requests, cacheHits: summary.cacheHits,
            tokensIn: summary.tokensIn, tokensCachedIn: summary.tokensCachedIn, tokensOut: summary.tokensOut,
            estimatedCost: summary.estimatedCost, cellsLeft: summary.cellsLeft, recalibratedAnswers: 0)
        // No valid answer measures nothing: such an evaluation is printed, not kept to calibrate.
        if !values.isEmpty {
            try log.recordEvaluation(model: configuration.model, at: now, sample: plan.sample, seed: plan.seed,
                                     report: try report.storedText(), calibration: report.confidenceCalibration)
        }
        return report
    }
}

/// The result of `evaluate llm`, as `--json` prints it and the store keeps it.
public struct LLMEvaluationReport: Sendable, Codable {
    /// What became of the cells of known truth asked.
    public struct Cells: Sendable, Codable, Equatable {
        public var asked: Int
        /// Of `asked`, answered in an earlier (interrupted) run and not asked again.
        public var keptFromEarlierRuns: Int
        public var answered = 0
        /// Off the scale (or unreadable) even after one retry: never counted as a value.
        public var invalid = 0
        public var refused = 0
        public var missing = 0
        /// No answer (service errors, or left by --max-cost): a rerun asks them.
        public var failed = 0

        enum CodingKeys: String, CodingKey {
            case asked, keptFromEarlierRuns = "kept_from_earlier_runs", answered, invalid, refused, missing, failed
        }
    }

    public var model: String
    public var evaluatedAt: Date
    public var sample: Int
    public var seed: UInt64
    public var truth: String
    /// `profile:21211.00`, `unit_group:21211`.
    public var subjects: [String]
    public var cells: Cells
    public var figures: TierEvaluation
    /// Stated confidence (tenths) -> share measured within half a point: what later answers of
    /// the model are given as their confidence.
    public var confidenceCalibration: ConfidenceCalibration
    public var requests: Int
    public var cacheHits: Int
    public var tokensIn: Int
    public var tokensCachedIn: Int
    public var tokensOut: Int
    /// US dollars for the requests of this run; nil when the model's price is unknown.
    public var estimatedCost: Double?
    public var cellsLeft: Int
    /// Stored answers of the model whose confidence the evaluation changed (`evaluate llm` fills it).
    public var recalibratedAnswers = 0

    enum CodingKeys: String, CodingKey {
        case model, evaluatedAt = "evaluated_at", sample, seed, truth, subjects, cells, figures
        case confidenceCalibration = "confidence_calibration", requests, cacheHits = "cache_hits", tokensIn = "tokens_in"
        case tokensCachedIn = "tokens_cached_in", tokensOut = "tokens_out", estimatedCost = "estimated_cost", cellsLeft = "cells_left"
        case recalibratedAnswers = "recalibrated_answers"
    }
}

extension LLMEvaluationReport {
    /// The report as the store keeps it (`llm_evaluation.report`): sorted keys, ISO 8601 times.
    func storedText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// The report of a stored evaluation (`LLMLog.latestEvaluations()`), as `evaluate llm` kept it.
    public init(stored record: LLMEvaluationRecord) throws {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            self = try decoder.decode(Self.self, from: Data(record.report.utf8))
        } catch {
            throw StoreError.corrupt(table: "llm_evaluation", column: "report", value: String(record.report.prefix(80)))
        }
    }
}

/// `--sample` asks for more subjects than have truth.
public struct SampleTooLarge: Error, CustomStringConvertible {
    public var requested: Int
    public var available: Int
    public var description: String {
        "--sample \(requested) is more than the \(available) subjects whose truth is known (profiles with OaSIS levels, unit groups with O*NET importances): give --sample \(available) or less"
    }
}
