import Foundation

/// One cell where a tier's converted level and the truth are both known, for fitting.
public struct CalibrationSample: Sendable, Equatable {
    /// What keeps folds apart: the unit group (a profile and its unit group's offer share it).
    public var group: String
    /// The value by the documented rule, on the truth's scale.
    public var ruleValue: Double
    public var truth: Double
    /// How many codes the value aggregates (O*NET-SOC codes of the unit group).
    public var codes: Int

    public init(group: String, ruleValue: Double, truth: Double, codes: Int) {
        self.group = group
        self.ruleValue = ruleValue
        self.truth = truth
        self.codes = codes
    }
}

/// The conversion a descriptor uses and what it measured on held-out folds.
///
/// ```swift
/// let fit = LevelCalibration.fit(samples, minimum: 1, maximum: 5)
/// fit.usesFit                         // true when the fit beat the rule on held-out unit groups
/// fit.convert(3.2)                    // intercept + slope * 3.2, clamped to 1...5
/// fit.confidence(codes: 2)            // share of held-out values within half a point
/// ```
public struct DescriptorCalibration: Sendable, Codable, Equatable {
    public var intercept: Double
    public var slope: Double
    public var minimum: Double
    public var maximum: Double
    /// Samples fitted on (all folds).
    public var count: Int
    /// Held-out mean absolute error of the documented rule and of the fitted map.
    public var ruleHeldOutError: Double
    public var fittedHeldOutError: Double
    /// The fit is used only where it beat the rule on the held-out folds.
    public var usesFit: Bool
    /// Share of held-out values (of the conversion used) within half a point of the truth, for
    /// values of 1, 2 and 3 or more codes (index 0, 1, 2), and over all of them.
    public var withinHalfByCodes: [Double?]
    public var withinHalf: Double

    /// The held-out error of the conversion used.
    public var heldOutError: Double { usesFit ? fittedHeldOutError : ruleHeldOutError }

    /// A value by the documented rule, through the conversion used. `0` (not applicable, or Not
    /// Relevant in O*NET) is not a point on the scale and stays `0`.
    public func convert(_ ruleValue: Double) -> Double {
        guard usesFit, ruleValue != 0 else { return ruleValue }
        return LevelCalibration.clamp(intercept + slope * ruleValue, minimum, maximum)
    }

    /// The measured confidence of a value aggregating `codes` codes.
    public func confidence(codes: Int) -> Double {
        withinHalfByCodes[LevelCalibration.codesBucket(codes)] ?? withinHalf
    }
}

/// Fits, per descriptor, a linear map from a tier's converted level to the truth, and judges it
/// against the documented rule on held-out folds. Folds are by group (unit group), so no group
/// is judged by a fit that saw it; groups go to folds by their sorted position, so the same
/// samples always give the same result.
public enum LevelCalibration {
    public static let folds = 5
    /// Fewer samples than this (or fewer groups than folds): the rule stays, nothing is measured.
    public static let minimumSamples = 30
    /// A codes bucket with fewer held-out values than this takes the descriptor's overall share.
    public static let minimumPerCodesBucket = 20

    static func codesBucket(_ codes: Int) -> Int { min(2, max(1, codes) - 1) }

    static func clamp(_ value: Double, _ low: Double, _ high: Double) -> Double { min(high, max(low, value)) }

    /// The calibration of one descriptor, or nil when there is too little to measure.
    /// Samples whose rule value is `0` are not fitted (the map leaves `0` alone).
    public static func fit(_ samples: [CalibrationSample], minimum: Double, maximum: Double) -> DescriptorCalibration? {
        let points = samples.filter { $0.ruleValue != 0 }
        let groups = Array(Set(points.map(\.group))).sorted()
        guard points.count >= minimumSamples, groups.count >= folds else { return nil }
        var foldOf: [String: Int] = [:]
        for (position, group) in groups.enumerated() { foldOf[group] = position % folds }

        var fitted = [Double](repeating: 0, count: points.count)
        for fold in 0..<folds {
            let training = points.indices.filter { foldOf[points[$0].group] != fold }
            let (a, b) = leastSquares(training.map { points[$0].ruleValue }, training.map { points[$0].truth })
            for index in points.indices where foldOf[points[index].group] == fold {
                fitted[index] = clamp(a + b * points[index].ruleValue, minimum, maximum)
            }
        }
        let n = Double(points.count)
        let ruleError = points.map { abs($0.ruleValue - $0.truth) }.reduce(0, +) / n
        let fittedError = zip(points, fitted).map { abs($1 - $0.truth) }.reduce(0, +) / n
        let usesFit = fittedError < ruleError
        let heldOut = usesFit ? fitted : points.map(\.ruleValue)
        var right = [Int](repeating: 0, count: 3), total = [Int](repeating: 0, count: 3)
        for (point, predicted) in zip(points, heldOut) {
            let bucket = codesBucket(point.codes)
            total[bucket] += 1
            if abs(predicted - point.truth) <= TierEvaluation.halfPoint { right[bucket] += 1 }
        }
        let (a, b) = leastSquares(points.map(\.ruleValue), points.map(\.truth))
        return DescriptorCalibration(
            intercept: a, slope: b, minimum: minimum, maximum: maximum, count: points.count,
            ruleHeldOutError: ruleError, fittedHeldOutError: fittedError, usesFit: usesFit,
            withinHalfByCodes: (0..<3).map { total[$0] >= minimumPerCodesBucket ? Double(right[$0]) / Double(total[$0]) : nil },
            withinHalf: Double(right.reduce(0, +)) / n)
    }

    /// Ordinary least squares `y = a + b x`; a constant `x` gives `b = 0`, `a = mean(y)`.
    public static func leastSquares(_ xs: [Double], _ ys: [Double]) -> (intercept: Double, slope: Double) {
        guard !xs.isEmpty else { return (0, 1) }
        let n = Double(xs.count)
        let mx = xs.reduce(0, +) / n, my = ys.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0
        for (x, y) in zip(xs, ys) {
            sxy += (x - mx) * (y - my)
            sxx += (x - mx) * (x - mx)
        }
        guard sxx > 1e-12 else { return (my, 0) }
        let slope = sxy / sxx
        return (my - slope * mx, slope)
    }
}
