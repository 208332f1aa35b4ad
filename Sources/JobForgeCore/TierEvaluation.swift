import Foundation

/// One value a tier gave for a cell whose truth is known (an OaSIS level, say), with the
/// confidence the tier stated for it.
public struct EvaluatedValue: Sendable, Equatable {
    public var descriptorCode: String
    public var descriptorName: String
    public var category: String
    public var truth: Double
    public var predicted: Double
    public var statedConfidence: Double

    public init(descriptorCode: String, descriptorName: String, category: String, truth: Double, predicted: Double,
                statedConfidence: Double) {
        self.descriptorCode = descriptorCode
        self.descriptorName = descriptorName
        self.category = category
        self.truth = truth
        self.predicted = predicted
        self.statedConfidence = statedConfidence
    }
}

/// How far a set of values is from the truth.
public struct ErrorFigures: Sendable, Codable, Equatable {
    public var count: Int
    /// Mean of |predicted - truth|.
    public var meanAbsoluteError: Double
    /// Share whose prediction, rounded to a whole point, equals the truth.
    public var exactShare: Double
    /// Share within one point of the truth (|error| <= 1).
    public var withinOneShare: Double
    /// Share within half a point of the truth (|error| <= 0.5): what a confidence promises.
    public var withinHalfShare: Double
    /// Pearson correlation of predicted and truth; nil when either side does not vary.
    public var correlation: Double?
    /// The error of a trivial guess: each descriptor's mean truth over the same values.
    public var baselineMeanAbsoluteError: Double

    enum CodingKeys: String, CodingKey {
        case count, meanAbsoluteError = "mae", exactShare = "exact_share", withinOneShare = "within_one_share"
        case withinHalfShare = "within_half_share", correlation, baselineMeanAbsoluteError = "baseline_mae"
    }
}

/// A tier measured against the truth, overall, per category and per descriptor, with its
/// calibration: what error the values stated at each confidence really have.
///
/// ```swift
/// let evaluation = TierEvaluation(values)
/// evaluation.overall.meanAbsoluteError          // 0.62
/// evaluation.calibration.first { $0.lower == 0.8 }?.withinHalfShare   // ~0.8 when calibrated
/// ```
public struct TierEvaluation: Sendable, Codable, Equatable {
    public struct Group: Sendable, Codable, Equatable {
        public var name: String
        public var figures: ErrorFigures
    }

    public struct DescriptorGroup: Sendable, Codable, Equatable {
        public var code: String
        public var name: String
        public var category: String
        public var figures: ErrorFigures
    }

    /// Values whose stated confidence is in `lower..<upper` (the last bucket includes 1).
    public struct CalibrationBucket: Sendable, Codable, Equatable {
        public var lower: Double
        public var upper: Double
        public var count: Int
        public var meanStatedConfidence: Double
        public var meanAbsoluteError: Double
        public var withinHalfShare: Double

        enum CodingKeys: String, CodingKey {
            case lower, upper, count, meanStatedConfidence = "mean_stated_confidence", meanAbsoluteError = "mae"
            case withinHalfShare = "within_half_share"
        }
    }

    public var overall: ErrorFigures
    public var categories: [Group]
    public var descriptors: [DescriptorGroup]
    public var calibration: [CalibrationBucket]

    /// Width of a calibration bucket.
    public static let bucketWidth = 0.1

    public init(overall: ErrorFigures, categories: [Group], descriptors: [DescriptorGroup], calibration: [CalibrationBucket]) {
        self.overall = overall
        self.categories = categories
        self.descriptors = descriptors
        self.calibration = calibration
    }

    public init(_ values: [EvaluatedValue]) {
        // The baseline guesses each descriptor's mean truth, over all the values evaluated.
        var sums: [String: (total: Double, count: Int)] = [:]
        for value in values { sums[value.descriptorCode, default: (0, 0)].total += value.truth; sums[value.descriptorCode]!.count += 1 }
        let means = sums.mapValues { $0.total / Double($0.count) }
        func figures(_ subset: [EvaluatedValue]) -> ErrorFigures { Self.figures(subset, baseline: means) }

        overall = figures(values)
        var byCategory: [String: [EvaluatedValue]] = [:]
        var byDescriptor: [String: [EvaluatedValue]] = [:]
        for value in values {
            byCategory[value.category, default: []].append(value)
            byDescriptor[value.descriptorCode, default: []].append(value)
        }
        categories = byCategory.keys.sorted().map { Group(name: $0, figures: figures(byCategory[$0]!)) }
        descriptors = byDescriptor.keys.sorted().map { code in
            let subset = byDescriptor[code]!
            return DescriptorGroup(code: code, name: subset[0].descriptorName, category: subset[0].category, figures: figures(subset))
        }
        var buckets: [Int: [EvaluatedValue]] = [:]
        for value in values { buckets[Self.bucket(of: value.statedConfidence), default: []].append(value) }
        calibration = buckets.keys.sorted().map { index in
            let subset = buckets[index]!
            let n = Double(subset.count)
            return CalibrationBucket(
                lower: Double(index) * Self.bucketWidth, upper: Double(index + 1) * Self.bucketWidth, count: subset.count,
                meanStatedConfidence: subset.map(\.statedConfidence).reduce(0, +) / n,
                meanAbsoluteError: subset.map { abs($0.predicted - $0.truth) }.reduce(0, +) / n,
                withinHalfShare: Double(subset.filter { abs($0.predicted - $0.truth) <= Self.halfPoint }.count) / n)
        }
    }

    /// The calibration bucket of a confidence: tenths, 1.0 in the last one.
    public static func bucket(of confidence: Double) -> Int {
        min(9, max(0, Int((confidence / bucketWidth + 1e-9).rounded(.down))))
    }

    /// "Right" for a confidence: within half a point of the truth. A hair of tolerance keeps an
    /// error of exactly 0.5 (1.5 against 1, written in thousandths) on the right side.
    public static let halfPoint = 0.5 + 1e-9

    static func figures(_ values: [EvaluatedValue], baseline means: [String: Double]) -> ErrorFigures {
        let n = Double(values.count)
        guard !values.isEmpty else {
            return ErrorFigures(count: 0, meanAbsoluteError: 0, exactShare: 0, withinOneShare: 0, withinHalfShare: 0,
                                correlation: nil, baselineMeanAbsoluteError: 0)
        }
        var absolute = 0.0, exact = 0, withinOne = 0, withinHalf = 0, baseline = 0.0
        for value in values {
            let error = abs(value.predicted - value.truth)
            absolute += error
            if value.predicted.rounded() == value.truth { exact += 1 }
            if error <= 1 + 1e-9 { withinOne += 1 }
            if error <= halfPoint { withinHalf += 1 }
            baseline += abs((means[value.descriptorCode] ?? value.truth) - value.truth)
        }
        return ErrorFigures(count: values.count, meanAbsoluteError: absolute / n, exactShare: Double(exact) / n,
                            withinOneShare: Double(withinOne) / n, withinHalfShare: Double(withinHalf) / n,
                            correlation: pearson(values.map(\.predicted), values.map(\.truth)),
                            baselineMeanAbsoluteError: baseline / n)
    }

    /// Pearson's r, or nil when either series is constant (or shorter than two).
    public static func pearson(_ xs: [Double], _ ys: [Double]) -> Double? {
        guard xs.count == ys.count, xs.count > 1 else { return nil }
        let n = Double(xs.count)
        let mx = xs.reduce(0, +) / n, my = ys.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (x, y) in zip(xs, ys) {
            sxy += (x - mx) * (y - my)
            sxx += (x - mx) * (x - mx)
            syy += (y - my) * (y - my)
        }
        guard sxx > 0, syy > 0 else { return nil }
        return sxy / (sxx * syy).squareRoot()
    }
}
