import ArgumentParser
import Foundation
import JobForgeBuild
import JobForgeCore
import JobForgeLLM
import JobForgeONet
import JobForgeStore

/// `jobforge evaluate`: how good each tier's values and confidences are, measured on held-out truth.
public struct EvaluateCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Measure a tier's values and confidences against known truth (OaSIS levels).",
        subcommands: [EvaluateONetCommand.self, EvaluateLLMCommand.self]
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
            O*NET value (kept below OaSIS's) with OaSIS's, per category and per descriptor. \
            Importances, which OaSIS does not rate, are measured against O*NET itself: in each unit \
            group of two or more O*NET-SOC codes, each code's importance is hidden in turn and \
            predicted by the mean of the others (leave-one-SOC-out), with the confidence the tier \
            states for a value of that many codes. The result is kept in the store: a report reads \
            the latest one.
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
        if let importance = report.importance {
            print("\nImportance (OaSIS rates none): against \(importance.truth)")
            print(EvaluationText.figuresTable([("all", importance.figures.overall)] + importance.figures.categories.map { ($0.name, $0.figures) }))
            print("\nImportance calibration: stated confidence -> measured")
            print(EvaluationText.calibrationTable(importance.figures.calibration))
            print("\nImportance per descriptor")
            print(EvaluationText.figuresTable(importance.figures.descriptors.map { ("\($0.code) \($0.name)", $0.figures) }))
        }
    }
}

/// `jobforge evaluate llm`: the LLM tier against cells of known truth, hidden from its prompts.
public struct EvaluateLLMCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "llm",
        abstract: "The LLM tier against cells of known truth hidden from its prompts: error, baseline, calibration of its confidence, tokens and cost.",
        discussion: """
            Draws --sample subjects (OaSIS profiles and NOC unit groups) from --seed, hides the cells whose \
            truth is known (the OaSIS levels of a profile, the O*NET importances of a unit group) and asks the \
            model for them as `impute` asks a title's empty cells: same prompt, schema and batching, the \
            subject's other values as known values. An answer off the scale (after one retry) is invalid, never \
            a value. Answers are kept in the store per model: a run interrupted or killed resumes without \
            asking again what it has. The evaluation is kept per model; from then on the model's answers get \
            their measured confidence (the share of its answers stated in the same tenth that were within half a \
            point of the truth), their own kept as raw_confidence, and its stored answers are recalibrated, \
            each change logged in the override log.

              jobforge evaluate llm --sample 20 --seed 7 --dry-run   # what it would ask and cost; sends nothing
              OPENAI_API_KEY=... jobforge evaluate llm --sample 20 --seed 7 --json
            """
    )

    @Option(name: .long, help: "How many subjects (profiles and unit groups) to evaluate.")
    public var sample: Int

    @Option(name: .long, help: "The seed that picks the subjects: the same seed picks the same ones.")
    public var seed: UInt64 = 1

    @OptionGroup public var llm: ImputeOptions
    @OptionGroup public var store: StoreOptions
    @OptionGroup public var output: OutputOptions

    public init() {}

    public func validate() throws {
        guard sample >= 1 else { throw ValidationError("--sample must be at least 1") }
    }

    public func run() async throws {
        let db = llm.dryRun ? try store.openStoreForReading() : try store.openExistingStore()
        let plan: LLMEvaluation.Plan
        do {
            plan = try LLMEvaluation.plan(store: db, sample: sample, seed: seed)
        } catch let error as SampleTooLarge {
            // A usage error (64, with the usage), as a bad value on the command line is.
            FileHandle.standardError.write(Data(("Error: \(error.description)\n"
                                                 + "Usage: \(JobForgeCommand.usageString(for: Self.self))\n"
                                                 + "  See 'jobforge evaluate llm --help' for more information.\n").utf8))
            throw ExitCode.validationFailure
        } catch let error as EvaluationError {
            throw CommandFailure(error.description)
        }
        let configuration: LLMConfiguration
        switch try llm.resolve() {
        case .skipped(let reason):
            throw CommandFailure("evaluate llm needs a model to ask: \(reason)")
        case .ready(let ready):
            configuration = ready
        }
        if llm.dryRun {
            let planned = try await LLMEvaluation.dryRun(plan, store: db, configuration: configuration)
            let categoryOf = Dictionary(try db.descriptors(category: nil).map { ($0.descriptor.code, $0.descriptor.category.rawValue) }) { first, _ in first }
            print("evaluate llm: \(plan.subjects.count) subjects (seed \(seed)): \(plan.subjects.map(\.description).joined(separator: ", "))")
            print("\(plan.cells.count) cells of known truth, hidden from the prompts; \(planned.cells) not answered yet")
            for line in LLMReport.planLines(planned, configuration: configuration, categoryOf: categoryOf) { print(line) }
            return
        }
        let (line, progress) = LLMReport.progress(total: plan.cells.count)
        defer { line.finish() }
        let report = try await db.withRun(command: "evaluate llm") { runID in
            var report = try await LLMEvaluation.run(store: db, configuration: configuration, plan: plan, runID: runID, progress: progress)
            report.recalibratedAnswers = try LLMConfidence.recalibrateStored(store: db, model: configuration.model, runID: runID).overridden
            return report
        }
        line.finish()
        if output.json {
            try Terminal.printJSON(report)
            return
        }
        let cells = report.cells
        print("LLM tier (\(report.model)) against \(report.truth)")
        print("sample: \(report.subjects.count) subjects (seed \(report.seed)): \(report.subjects.joined(separator: ", "))")
        print("cells: \(cells.asked) asked (\(cells.keptFromEarlierRuns) answered in an earlier run): \(cells.answered) answered, "
              + "\(cells.invalid) invalid, \(cells.refused) refused, \(cells.missing) missing, \(cells.failed) failed")
        print(EvaluationText.figuresTable([("all", report.figures.overall)] + report.figures.categories.map { ($0.name, $0.figures) }))
        print("\nCalibration: stated confidence -> measured (later answers of \(report.model) get the measured share)")
        print(EvaluationText.calibrationTable(report.figures.calibration))
        print("\nPer descriptor")
        print(EvaluationText.figuresTable(report.figures.descriptors.map { ("\($0.code) \($0.name)", $0.figures) }))
        print("\n\(report.requests) requests (\(report.cacheHits) answers from the cache), \(report.tokensIn) tokens in "
              + "(\(report.tokensCachedIn) from the provider's prompt cache), \(report.tokensOut) out, estimated cost "
              + (report.estimatedCost.map { String(format: "$%.4f", $0) } ?? "unknown (give --price-in/--price-out)"))
        if report.recalibratedAnswers > 0 {
            print("\(report.recalibratedAnswers) stored answers of \(report.model) recalibrated (each logged in the override log)")
        }
        if report.cellsLeft > 0 {
            print("stopped at --max-cost: \(report.cellsLeft) cells left unasked; run again with a higher limit to ask them.")
        }
        if cells.failed > 0 {
            print("\(cells.failed) cells got no answer (service errors): run again to ask them; answered cells are not asked twice.")
        }
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
