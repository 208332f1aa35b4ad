import Foundation
import JobForgeCore
import JobForgeLLM
import JobForgeStore
import JobForgeTitles

/// A model's answers carry the confidence its evaluation measured (`evaluate llm`), not the one
/// it stated: the stated one is kept beside it as `raw_confidence`, and `confidence_calibration`
/// says which evaluation mapped it. A model never evaluated keeps its stated confidence.
///
/// ```swift
/// let calibrated = try LLMConfidence.calibrate(result.candidates, model: "gpt-4o", store: store)
/// calibrated[0].metadata["raw_confidence"]   // "0.9", the model's word; calibrated[0].confidence: 0.55
/// ```
public enum LLMConfidence {
    /// The metadata key of the model's own confidence, when the candidate's is calibrated.
    public static let rawKey = "raw_confidence"
    public static let calibrationKey = "confidence_calibration"

    /// `candidates` with `model`'s latest calibration applied (unchanged when it has none).
    public static func calibrate(_ candidates: [Candidate], model: String, store: SQLiteStore) throws -> [Candidate] {
        guard let evaluation = try LLMLog(store).latestEvaluation(model: model) else { return candidates }
        return candidates.map { calibrated($0, by: evaluation) }
    }

    static func calibrated(_ candidate: Candidate, by evaluation: LLMEvaluationRecord) -> Candidate {
        var candidate = candidate
        let raw = candidate.metadata[rawKey].flatMap(Double.init) ?? candidate.confidence
        candidate.metadata[rawKey] = JSONValue.format(raw)
        candidate.metadata[calibrationKey] = "evaluate llm \(Timestamp.string(evaluation.evaluatedAt)) "
            + "(\(evaluation.calibration.count) answers of known truth)"
        candidate.confidence = evaluation.calibration.calibrated(raw)
        return candidate
    }

    /// Gives the stored answers of `model` that win their cells (job titles) the confidence of its
    /// latest evaluation. Each changed confidence is a new candidate (the same answer, calibrated)
    /// that replaces the old one, logged in the override log with `confidence a -> b`; the old
    /// candidate stays below it. Answers already at their calibrated confidence are left alone.
    @discardableResult
    public static func recalibrateStored(store: SQLiteStore, model: String, runID: String, now: Date = Date()) throws -> SubmitSummary {
        guard let evaluation = try LLMLog(store).latestEvaluation(model: model) else { return SubmitSummary() }
        let contexts = Dictionary(try TitleCatalog(store).titles().map { ($0.id, $0.askedContext) }) { first, _ in first }
        var changed: [Candidate] = []
        try store.forEachWinner(filter: CellFilter(sources: [.llm]), subjectKinds: [.title]) { cell in
            guard cell.candidateID != 0, (cell.metadata["requested_model"] ?? cell.release) == model else { return }
            var candidate = Candidate(
                key: CellKey(subject: cell.subject, descriptor: cell.descriptorCode, dimension: cell.dimension), value: cell.value,
                text: cell.text, source: cell.source, method: cell.method, sourceLevel: cell.sourceLevel, sourceIDs: cell.sourceIDs,
                confidence: cell.confidence, rationale: cell.rationale, release: cell.release, observedAt: now,
                metadata: cell.metadata, askedContext: contexts[cell.subject.code])
            candidate = calibrated(candidate, by: evaluation)
            if candidate.confidence != cell.confidence { changed.append(candidate) }
        }
        return try store.submit(changed, runID: runID)
    }
}
