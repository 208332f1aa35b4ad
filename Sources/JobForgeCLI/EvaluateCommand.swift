import ArgumentParser
import Foundation
import JobForgeBuild
import JobForgeCore
import JobForgeONet
import JobForgeStore

/// `jobforge evaluate`: how good each tier's values and confidences are, measured on held-out truth.
public struct EvaluateCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Measure a tier's values and confidences against known truth (OaSIS levels).",
        subcommands: [EvaluateONetCommand.self]
    )

    public init() {}
}

/// `jobforge evaluate onet`: the O*NET tier against OaSIS on every profile cell both describe.
public struct EvaluateONetCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "onet",
        abstract: "The O*NET tier against OaSIS: error, exact and within-one shares, correlation, a per-descriptor-mean baseline, calibration.",
        discussion: """
            Compares, on every profile cell where OaSIS and the O*NET tier both give a level, the \
            O*NET value (kept below OaSIS's) with OaSIS's, per category and per descriptor. The \
            result is kept in the store: a report reads the latest one.
            """
    )

    @OptionGroup public var store: StoreOptions
    @OptionGroup public var output: OutputOptions

    public init() {}

    public func run() async throws {
        let db = try store.openExistingStore()
        let report: ONetEvaluationReport
        do {
            report = try ONetEvaluation.run(store: db)
        } catch let error as EvaluationError {
            throw CommandFailure(error.description)
        }
        if output.json {
            try Terminal.printJSON(report)
            return
        }
        print("O*NET tier (\(report.release ?? "O*NET")) against \(report.truth)")
        print(EvaluationText.figuresTable([("all", report.figures.overall)] + report.figures.categories.map { ($0.name, $0.figures) }))
        print("\nCalibration: stated confidence -> measured")
        print(EvaluationText.calibrationTable(report.figures.calibration))
        print("\nPer descriptor")
        print(EvaluationText.figuresTable(report.figures.descriptors.map { ("\($0.code) \($0.name)", $0.figures) }))
    }
}

/// The tables `evaluate` prints.
enum EvaluationText {
    static func figuresTable(_ rows: [(String, ErrorFigures)]) -> String {
        let width = min(44, max(12, rows.map(\.0.count).max() ?? 12))
        var lines = ["  " + "".padding(toLength: width, withPad: " ", startingAt: 0)
                     + "       n    MAE  baseline  exact  within 1  within .5      r"]
        for (name, f) in rows {
            lines.append("  " + Formatting.fit(name, width).padding(toLength: width, withPad: " ", startingAt: 0)
                         + pad(String(f.count), 8) + pad(fixed(f.meanAbsoluteError), 7) + pad(fixed(f.baselineMeanAbsoluteError), 10)
                         + pad(percent(f.exactShare), 7) + pad(percent(f.withinOneShare), 10) + pad(percent(f.withinHalfShare), 11)
                         + pad(f.correlation.map(fixed) ?? "-", 7))
        }
        return lines.joined(separator: "\n")
    }

    static func calibrationTable(_ buckets: [TierEvaluation.CalibrationBucket]) -> String {
        var lines = ["  confidence        n  mean stated    MAE  within .5"]
        for b in buckets {
            lines.append("  " + "\(fixed(b.lower, 1))-\(fixed(b.upper, 1))".padding(toLength: 10, withPad: " ", startingAt: 0)
                         + pad(String(b.count), 9) + pad(fixed(b.meanStatedConfidence), 13) + pad(fixed(b.meanAbsoluteError), 7)
                         + pad(percent(b.withinHalfShare), 11))
        }
        return lines.joined(separator: "\n")
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? " " + text : String(repeating: " ", count: width - text.count) + text
    }

    static func fixed(_ value: Double) -> String { fixed(value, 3) }
    static func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
    static func percent(_ share: Double) -> String { String(format: "%.1f%%", share * 100) }
}
