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

    public static let importanceTruth = "O*NET importances of unit groups with two or more O*NET-SOC codes: each code's "
        + "importance hidden in turn and predicted by the mean of the others (leave-one-SOC-out)"

    /// The importances compared: for each unit group's newest O*NET importance of two or more
    /// codes (their values kept in its `native_values`), each code hidden in turn and predicted
    /// by the mean of the others, with the confidence the tier states for a value of that many
    /// codes. In unit group and descriptor order.
    public static func importanceValues(store: SQLiteStore) throws -> [EvaluatedValue] {
        struct Offer {
            var name: String
            var category: String
            var natives: [Double]
            var matchKind: ONetMatchKind
            var observedAt: Date
        }
        var offers: [CellKey: Offer] = [:]
        try store.forEachCandidate(filter: CellFilter(sources: [.onet]), subjectKinds: [.unitGroup]) { cell, _ in
            guard cell.dimension == .importance else { return }
            let key = CellKey(subject: cell.subject, descriptor: cell.descriptorCode, dimension: cell.dimension)
            // After a new O*NET load the older offers stay as lower candidates: the newest counts.
            if let known = offers[key], known.observedAt > cell.observedAt { return }
            offers[key] = Offer(name: cell.descriptorName, category: cell.category.rawValue,
                                natives: nativeValues(cell.metadata["native_values"] ?? ""),
                                matchKind: ONetMatchKind(rawValue: cell.metadata["match_kind"] ?? "") ?? ONetMatchKind.none,
                                observedAt: cell.observedAt)
        }
        let keys = offers.keys.sorted { ($0.subject.code, $0.descriptor) < ($1.subject.code, $1.descriptor) }
        var predictions: [(offer: Offer, prediction: ONetImportanceCalibration.Prediction)] = []
        for key in keys {
            let offer = offers[key]!
            for prediction in ONetImportanceCalibration.predictions(descriptorCode: key.descriptor, values: offer.natives) {
                predictions.append((offer, prediction))
            }
        }
        let calibration = ONetImportanceCalibration(predictions: predictions.map(\.prediction))
        return predictions.map { offer, prediction in
            // What the tier states for a value of that many codes (the documented figure where
            // too little was measured), as stored: to thousandths.
            let stated = calibration.share(descriptor: prediction.descriptorCode, codes: prediction.codes)?.share
                ?? ONetConfidence.value(match: offer.matchKind, codes: prediction.codes, suppressed: 0, total: prediction.codes)
            return EvaluatedValue(descriptorCode: prediction.descriptorCode, descriptorName: offer.name, category: offer.category,
                                  truth: prediction.truth, predicted: prediction.predicted,
                                  statedConfidence: (stated * 1000).rounded() / 1000)
        }
    }

    /// The values of an O*NET offer's `native_values` (`11-1011.00=4.12; 11-1021.00=3.88`).
    static func nativeValues(_ text: String) -> [Double] {
        text.split(separator: ";").compactMap { pair in
            pair.split(separator: "=").last.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        }
    }

    /// Evaluates the store's O*NET values and keeps the result in the store (the latest is what
    /// a report shows).
    public static func run(store: SQLiteStore, now: Date = Date()) throws -> ONetEvaluationReport {
        let values = try values(store: store)
        guard !values.isEmpty else {
            throw EvaluationError("no profile cell has both an OaSIS and an O*NET level: run `jobforge build` first")
        }
        let importance = try importanceValues(store: store)
        let archive = ONetArchive(store)
        var report = ONetEvaluationReport(evaluatedAt: now, release: try archive.latestReleaseName(), truth: truth,
                                          figures: TierEvaluation(values))
        if !importance.isEmpty {
            report.importance = ONetEvaluationReport.Importance(truth: importanceTruth, figures: TierEvaluation(importance))
        }
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
