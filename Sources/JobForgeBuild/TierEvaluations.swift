import Foundation
import JobForgeCore
import JobForgeONet
import JobForgeStore

/// `jobforge evaluate onet`: the O*NET tier measured against OaSIS on every profile cell where
/// both give a level. The O*NET value there is a lower candidate the store keeps; it is compared
/// with the authoritative winner, with the confidence the tier stated for it.
public enum ONetEvaluation {
    public static let truth = "OaSIS levels of profiles (every profile cell where OaSIS and O*NET both give a level, 0 = not applicable excluded)"

    /// The values compared, in profile and descriptor order.
    public static func values(store: SQLiteStore) throws -> [EvaluatedValue] {
        struct Cell {
            var name: String
            var category: String
            var truth: Double?
            var onet: (value: Double, confidence: Double, observedAt: Date)?
        }
        var cells: [CellKey: Cell] = [:]
        try store.forEachCandidate(filter: CellFilter(sources: [.authoritative, .onet]), subjectKinds: [.profile]) { cell, isWinner in
            guard cell.dimension == .level else { return }
            let key = CellKey(subject: cell.subject, descriptor: cell.descriptorCode, dimension: cell.dimension)
            var entry = cells[key] ?? Cell(name: cell.descriptorName, category: cell.category.rawValue)
            if cell.source == .authoritative, isWinner {
                entry.truth = cell.value
            } else if cell.source == .onet, entry.onet.map({ $0.observedAt <= cell.observedAt }) ?? true {
                // After a new O*NET load the older offers stay as lower candidates: the newest counts.
                entry.onet = (cell.value, cell.confidence, cell.observedAt)
            }
            cells[key] = entry
        }
        return cells.keys.sorted { ($0.subject.code, $0.descriptor) < ($1.subject.code, $1.descriptor) }.compactMap { key in
            let cell = cells[key]!
            // `0` is "not applicable" (OaSIS) or Not Relevant (O*NET): not a point on the scale.
            guard let truth = cell.truth, let onet = cell.onet, truth != 0, onet.value != 0 else { return nil }
            return EvaluatedValue(descriptorCode: key.descriptor, descriptorName: cell.name, category: cell.category,
                                  truth: truth, predicted: onet.value, statedConfidence: onet.confidence)
        }
    }

    /// Evaluates the store's O*NET values and keeps the result in the store (the latest is what
    /// a report shows).
    public static func run(store: SQLiteStore, now: Date = Date()) throws -> ONetEvaluationReport {
        let values = try values(store: store)
        guard !values.isEmpty else {
            throw EvaluationError("no profile cell has both an OaSIS and an O*NET level: run `jobforge build` first")
        }
        let archive = ONetArchive(store)
        let report = ONetEvaluationReport(evaluatedAt: now, release: try archive.latestReleaseName(), truth: truth,
                                          figures: TierEvaluation(values))
        try archive.recordEvaluation(report)
        return report
    }
}

/// An evaluation that cannot run, with what to do.
public struct EvaluationError: Error, CustomStringConvertible, LocalizedError {
    public var description: String
    public init(_ description: String) { self.description = description }
    public var errorDescription: String? { description }
}
