import Foundation
import JobForgeCore
import Testing

@Suite("Level calibration and tier evaluation")
struct LevelCalibrationTests {
    /// 40 unit groups, 3 profiles each, rule values 1...5.
    static func samples(_ truth: (Double) -> Double) -> [CalibrationSample] {
        (0..<40).flatMap { group in
            (0..<3).map { profile in
                let rule = 1 + Double((group * 3 + profile) % 9) / 2
                return CalibrationSample(group: "G\(group)", ruleValue: rule, truth: truth(rule), codes: 1 + group % 4)
            }
        }
    }

    @Test("a truth that is a linear map of the rule value: the fit finds it, wins on held-out folds, every value is right")
    func fitsALinearTruth() throws {
        let fit = try #require(LevelCalibration.fit(Self.samples { 0.5 + 0.6 * $0 }, minimum: 1, maximum: 5))
        #expect(fit.usesFit)
        #expect(abs(fit.slope - 0.6) < 1e-9 && abs(fit.intercept - 0.5) < 1e-9)
        #expect(fit.fittedHeldOutError < 1e-9 && fit.ruleHeldOutError > 0.3)
        #expect(fit.confidence(codes: 1) == 1 && fit.confidence(codes: 7) == 1)
        #expect(abs(fit.convert(2) - 1.7) < 1e-9)
        #expect(fit.convert(0) == 0, "Not Relevant stays 0")
        #expect(fit.convert(100) == 5, "clamped to the scale")
    }

    @Test("a truth equal to the rule value: the rule is kept (the fit does not beat it)")
    func keepsTheRuleWhenItIsRight() throws {
        let fit = try #require(LevelCalibration.fit(Self.samples { $0 }, minimum: 1, maximum: 5))
        #expect(!fit.usesFit)
        #expect(fit.convert(3.3) == 3.3)
        #expect(fit.heldOutError == 0)
    }

    @Test("the confidence is the held-out share within half a point, per number of codes")
    func confidenceIsTheMeasuredShare() throws {
        // Groups with one code are off by one point, the others are right: the rule is kept (a
        // line cannot fix an error that depends on the codes), and the shares say so.
        let samples = Self.samples { $0 }.map { sample in
            var copy = sample
            if sample.codes == 1 { copy.truth = min(5, sample.ruleValue + 1) }
            return copy
        }
        let fit = try #require(LevelCalibration.fit(samples, minimum: 1, maximum: 5))
        let oneCode = samples.filter { $0.codes == 1 }
        let right = oneCode.filter { abs(fit.convert($0.ruleValue) - $0.truth) <= 0.5 }.count
        #expect(!fit.usesFit)
        #expect(fit.confidence(codes: 1) == Double(right) / Double(oneCode.count))
        #expect(fit.confidence(codes: 1) < fit.confidence(codes: 3))
    }

    @Test("too few samples or unit groups: nothing is measured")
    func tooLittleData() {
        #expect(LevelCalibration.fit(Array(Self.samples { $0 }.prefix(20)), minimum: 1, maximum: 5) == nil)
        let fourGroups = (0..<60).map { CalibrationSample(group: "G\($0 % 4)", ruleValue: 2, truth: 3, codes: 1) }
        #expect(LevelCalibration.fit(fourGroups, minimum: 1, maximum: 5) == nil)
    }

    @Test("evaluation figures on a hand-made set")
    func evaluationFigures() throws {
        func value(_ d: String, _ truth: Double, _ predicted: Double, _ confidence: Double) -> EvaluatedValue {
            EvaluatedValue(descriptorCode: d, descriptorName: d, category: "Skills", truth: truth, predicted: predicted, statedConfidence: confidence)
        }
        let evaluation = TierEvaluation([value("A", 1, 1.4, 0.85), value("A", 3, 2.4, 0.81), value("B", 2, 4, 0.5), value("B", 4, 4, 0.55)])
        // Errors 0.4, 0.6, 2, 0: MAE 0.75; rounded right: 1.4 -> 1, 4 -> 4; within one: 3; within half: 2.
        #expect(abs(evaluation.overall.meanAbsoluteError - 0.75) < 1e-12)
        #expect(evaluation.overall.exactShare == 0.5)
        #expect(evaluation.overall.withinOneShare == 0.75)
        #expect(evaluation.overall.withinHalfShare == 0.5)
        // Baseline: A's mean 2 (errors 1, 1), B's mean 3 (errors 1, 1).
        #expect(evaluation.overall.baselineMeanAbsoluteError == 1)
        #expect(evaluation.calibration.map(\.count) == [2, 2])
        #expect(evaluation.calibration.map(\.lower) == [0.5, 0.8])
        #expect(abs(evaluation.calibration[1].meanAbsoluteError - 0.5) < 1e-12)
        #expect(evaluation.descriptors.map(\.code) == ["A", "B"])
        #expect(TierEvaluation.pearson([1, 2, 3], [2, 4, 6]).map { abs($0 - 1) < 1e-12 } == true)
        #expect(TierEvaluation.pearson([1, 1, 1], [2, 4, 6]) == nil)
    }
}
