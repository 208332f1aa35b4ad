import Foundation

/// What a tier's stated confidence is worth, measured: per stated bucket (tenths), the share of
/// values that were right (within half a point of the truth). A value stated at 0.9 by a model
/// whose 0.9s were right 55% of the time is given 0.55.
///
/// ```swift
/// let calibration = ConfidenceCalibration(TierEvaluation(values))
/// calibration.calibrated(0.9)    // the 0.9-1.0 bucket's measured within-half share, e.g. 0.55
/// calibration.calibrated(0.15)   // a bucket with fewer than 20 values: the overall share
/// ```
public struct ConfidenceCalibration: Sendable, Codable, Equatable {
    public struct Bucket: Sendable, Codable, Equatable {
        public var lower: Double
        public var upper: Double
        public var count: Int
        /// Share of the bucket's values within half a point of the truth.
        public var withinHalfShare: Double

        enum CodingKeys: String, CodingKey {
            case lower, upper, count, withinHalfShare = "within_half_share"
        }
    }

    public var buckets: [Bucket]
    /// The share over every value evaluated: what a sparse bucket falls back on.
    public var withinHalfShare: Double
    public var count: Int

    /// A bucket with fewer values than this says too little: the overall share stands in.
    public static let minimumPerBucket = 20

    enum CodingKeys: String, CodingKey {
        case buckets, withinHalfShare = "within_half_share", count
    }

    public init(buckets: [Bucket], withinHalfShare: Double, count: Int) {
        self.buckets = buckets
        self.withinHalfShare = withinHalfShare
        self.count = count
    }

    public init(_ evaluation: TierEvaluation) {
        self.init(buckets: evaluation.calibration.map {
                      Bucket(lower: $0.lower, upper: $0.upper, count: $0.count, withinHalfShare: $0.withinHalfShare)
                  },
                  withinHalfShare: evaluation.overall.withinHalfShare, count: evaluation.overall.count)
    }

    /// The measured accuracy of a value stated at `stated`, rounded to thousandths (as stored).
    public func calibrated(_ stated: Double) -> Double {
        let index = TierEvaluation.bucket(of: stated)
        let bucket = buckets.first { TierEvaluation.bucket(of: $0.lower) == index && $0.count >= Self.minimumPerBucket }
        return ((bucket?.withinHalfShare ?? withinHalfShare) * 1000).rounded() / 1000
    }
}

/// A reproducible order: the same items and seed always give the same permutation, on any
/// machine (SplitMix64 drives a Fisher-Yates shuffle). A sample is its first N items.
///
/// ```swift
/// SeededSample.shuffled(["a", "b", "c", "d"], seed: 7).prefix(2)   // the same two every time
/// ```
public enum SeededSample {
    public static func shuffled<Item>(_ items: [Item], seed: UInt64) -> [Item] {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var items = items
        guard items.count > 1 else { return items }
        for index in 0..<(items.count - 1) {
            items.swapAt(index, index + Int(next() % UInt64(items.count - index)))
        }
        return items
    }
}
