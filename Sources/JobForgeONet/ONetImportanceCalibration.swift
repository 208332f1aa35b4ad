import Foundation
import JobForgeCore

/// The measured confidence of O*NET importances. OaSIS rates no importance, so there is no
/// outside truth: the truth is O*NET itself, one occupation at a time (leave-one-SOC-out).
///
/// A unit group's importance is the mean of its O*NET-SOC codes' importances. For every unit
/// group with k >= 2 codes rating a descriptor, each code in turn is hidden and predicted by the
/// tier's combination (the mean) of the other k - 1; the prediction is right when it is within
/// half a point of the hidden code's importance. A value aggregating n codes gets the share of
/// right predictions made from n codes (1, 2, 3 or more) for its descriptor: the chance that it
/// is within half a point of the importance O*NET gives one more occupation of its unit group. A
/// value from one code (most unit groups) so gets how well one code predicts another of the same
/// unit group, measured on the unit groups of two codes.
///
/// ```swift
/// let shares = ONetImportanceCalibration(predictions: predictions)
/// shares.share(descriptor: "2.A.1.a", codes: 1)?.share   // e.g. 0.71: right 71% of the time
/// ```
public struct ONetImportanceCalibration: Sendable, Equatable {
    /// A bucket (this descriptor at these codes) with fewer predictions than this says too little:
    /// a share of 20 has a standard error of at most 0.11, about one calibration tenth. It falls
    /// back to the descriptor's share over all its predictions, then to every descriptor's share
    /// at these codes.
    public static let minimumPerBucket = 20

    /// One hidden code's importance and the mean of the others of its unit group.
    public struct Prediction: Sendable, Equatable {
        public var descriptorCode: String
        public var predicted: Double
        public var truth: Double
        /// How many codes predicted it (k - 1).
        public var codes: Int

        public var isRight: Bool { abs(predicted - truth) <= TierEvaluation.halfPoint }
    }

    /// What a value's confidence was measured on.
    public enum Basis: String, Sendable, Equatable {
        /// This descriptor's predictions from the same number of codes.
        case descriptorAtCodes
        /// All of this descriptor's predictions (too few from the same number of codes).
        case descriptor
        /// Every descriptor's predictions from the same number of codes (too few of this descriptor).
        case allDescriptorsAtCodes
    }

    /// The measured share for a value, and what it was measured on.
    public struct Share: Sendable, Equatable {
        public var share: Double
        public var count: Int
        public var basis: Basis
        /// The codes bucket: 0, 1, 2 for 1, 2, 3 or more codes.
        public var codesBucket: Int

        /// How the share was measured, for the value's provenance (`confidence_measure`).
        public var measure: String {
            let codes = ["1 code", "2 codes", "3 or more codes"][codesBucket]
            switch basis {
            case .descriptorAtCodes:
                return "leave-one-SOC-out: \(count) held-out importances of this descriptor predicted from \(codes), within 0.5"
            case .descriptor:
                return "leave-one-SOC-out: \(count) held-out importances of this descriptor (under \(minimumPerBucket) predicted from \(codes)), within 0.5"
            case .allDescriptorsAtCodes:
                return "leave-one-SOC-out: \(count) held-out importances of all descriptors predicted from \(codes) (under \(minimumPerBucket) of this one), within 0.5"
            }
        }
    }

    struct Tally: Sendable, Equatable {
        var right = 0
        var total = 0
        var share: Double { Double(right) / Double(total) }
    }

    private var byDescriptor: [String: [Tally]] = [:]
    private var pooled = [Tally](repeating: Tally(), count: 3)
    /// Every prediction measured.
    public private(set) var count = 0

    public init(predictions: [Prediction]) {
        for prediction in predictions { add(prediction) }
    }

    mutating func add(_ prediction: Prediction) {
        let bucket = Self.codesBucket(prediction.codes)
        let right = prediction.isRight ? 1 : 0
        var tallies = byDescriptor[prediction.descriptorCode] ?? [Tally](repeating: Tally(), count: 3)
        tallies[bucket].right += right
        tallies[bucket].total += 1
        byDescriptor[prediction.descriptorCode] = tallies
        pooled[bucket].right += right
        pooled[bucket].total += 1
        count += 1
    }

    /// 0, 1, 2 for 1, 2, 3 or more codes.
    public static func codesBucket(_ codes: Int) -> Int { min(2, max(1, codes) - 1) }

    /// The leave-one-out predictions of one unit group's importances of one descriptor (the
    /// values the tier averages, one per code): none for fewer than two codes.
    public static func predictions(descriptorCode: String, values: [Double]) -> [Prediction] {
        guard values.count >= 2 else { return [] }
        let sum = values.reduce(0, +)
        let others = Double(values.count - 1)
        return values.map { hidden in
            Prediction(descriptorCode: descriptorCode, predicted: (sum - hidden) / others, truth: hidden, codes: values.count - 1)
        }
    }

    /// The measured share of a value of this descriptor aggregating `codes` codes, or nil when
    /// too little was measured (the documented confidence stays).
    public func share(descriptor: String, codes: Int) -> Share? {
        let bucket = Self.codesBucket(codes)
        if let tallies = byDescriptor[descriptor] {
            if tallies[bucket].total >= Self.minimumPerBucket {
                return Share(share: tallies[bucket].share, count: tallies[bucket].total, basis: .descriptorAtCodes, codesBucket: bucket)
            }
            let all = Tally(right: tallies.map(\.right).reduce(0, +), total: tallies.map(\.total).reduce(0, +))
            if all.total >= Self.minimumPerBucket {
                return Share(share: all.share, count: all.total, basis: .descriptor, codesBucket: bucket)
            }
        }
        if pooled[bucket].total >= Self.minimumPerBucket {
            return Share(share: pooled[bucket].share, count: pooled[bucket].total, basis: .allDescriptorsAtCodes, codesBucket: bucket)
        }
        return nil
    }
}
