import Foundation
import JobForgeCore

/// A profile's authoritative level of one descriptor: the truth the O*NET tier is fitted to.
public struct ProfileLevel: Sendable, Equatable {
    public var profile: String
    public var descriptorCode: String
    public var value: Double

    public init(profile: String, descriptorCode: String, value: Double) {
        self.profile = profile
        self.descriptorCode = descriptorCode
        self.value = value
    }
}

/// The O*NET tier's level conversion and confidence, measured against OaSIS where both describe
/// a profile: per OaSIS descriptor, the documented rule or a fitted linear map (whichever did
/// better on held-out unit groups), and the share of held-out values within half a point.
///
/// ```swift
/// let calibration = ONetCalibration.measure(tier: tier, truth: levels)
/// let calibrated = tier.calibrated(by: calibration)   // its offers carry the conversion used
/// ```
public struct ONetCalibration: Sendable, Equatable {
    /// Changes whenever the way of fitting or measuring changes: part of the O*NET step's fingerprint.
    public static let version = "calibration v1: per-descriptor OLS on the rule value, 5 folds by unit group, within 0.5; "
        + "importance v1: leave-one-SOC-out within unit groups, within 0.5, by descriptor and codes (1, 2, 3+), at least 20"

    public var descriptors: [String: DescriptorCalibration]
    /// Share of Not Relevant values (`0`) whose truth is within half a point, over all descriptors.
    public var notRelevantWithinHalf: Double?

    /// Descriptors with too few profile cells to fit keep the rule; their values are measured
    /// together: share within half a point and mean absolute error of all of them.
    public var pooledRuleWithinHalf: Double?
    public var pooledRuleError: Double?

    /// The measured confidence of importances (leave-one-SOC-out; nil: the documented confidence).
    public var importance: ONetImportanceCalibration?

    public init(descriptors: [String: DescriptorCalibration], notRelevantWithinHalf: Double?,
                pooledRuleWithinHalf: Double? = nil, pooledRuleError: Double? = nil,
                importance: ONetImportanceCalibration? = nil) {
        self.descriptors = descriptors
        self.notRelevantWithinHalf = notRelevantWithinHalf
        self.pooledRuleWithinHalf = pooledRuleWithinHalf
        self.pooledRuleError = pooledRuleError
        self.importance = importance
    }

    /// Fits each OaSIS descriptor the tier converts, on the profiles of the unit groups it offers
    /// values to: a profile's OaSIS level against its unit group's O*NET level by the rule. In the
    /// same pass, importances are measured against O*NET itself (``ONetImportanceCalibration``).
    public static func measure(tier: ONetTier, unitGroups: [String], truth: [ProfileLevel]) -> ONetCalibration {
        struct Key: Hashable { var unitGroup: String; var descriptor: String }
        var profilesOf: [Key: [Double]] = [:]
        for level in truth { profilesOf[Key(unitGroup: Codes.unitGroup(ofProfile: level.profile), descriptor: level.descriptorCode), default: []].append(level.value) }
        var samples: [String: [CalibrationSample]] = [:]
        var scales: [String: OaSISLevelScales.Scale] = [:]
        var zeroRight = 0, zeroTotal = 0
        let rule = tier.calibrated(by: nil)
        var importance = ONetImportanceCalibration(predictions: [])
        for unitGroup in unitGroups {
            for aggregate in rule.aggregates(forUnitGroup: unitGroup) {
                if aggregate.scaleID == "IM" {
                    for prediction in ONetImportanceCalibration.predictions(descriptorCode: aggregate.descriptorCode,
                                                                            values: aggregate.nativeValues.map(\.value)) {
                        importance.add(prediction)
                    }
                    continue
                }
                guard aggregate.scaleID == "LV" else { continue }
                guard let scale = tier.oasisScales.scale(for: aggregate.descriptorCode),
                      let truths = profilesOf[Key(unitGroup: unitGroup, descriptor: aggregate.descriptorCode)] else { continue }
                scales[aggregate.descriptorCode] = scale
                for truth in truths {
                    // An O*NET Not Relevant (0) is right where OaSIS says not applicable (0).
                    if aggregate.value == 0 {
                        zeroTotal += 1
                        if abs(truth) <= TierEvaluation.halfPoint { zeroRight += 1 }
                    }
                    // OaSIS `0` is not a level to fit a map to.
                    guard truth != 0 else { continue }
                    samples[aggregate.descriptorCode, default: []].append(
                        CalibrationSample(group: unitGroup, ruleValue: aggregate.value, truth: truth, codes: aggregate.nativeValues.count))
                }
            }
        }
        var descriptors: [String: DescriptorCalibration] = [:]
        var pooled: [CalibrationSample] = []
        for code in samples.keys.sorted() {
            let scale = scales[code]!
            if let fit = LevelCalibration.fit(samples[code]!, minimum: scale.minimum, maximum: scale.maximum) {
                descriptors[code] = fit
            } else {
                pooled += samples[code]!.filter { $0.ruleValue != 0 }
            }
        }
        let enoughPooled = pooled.count >= LevelCalibration.minimumSamples
        return ONetCalibration(
            descriptors: descriptors,
            notRelevantWithinHalf: zeroTotal >= LevelCalibration.minimumSamples ? Double(zeroRight) / Double(zeroTotal) : nil,
            pooledRuleWithinHalf: enoughPooled
                ? Double(pooled.filter { abs($0.ruleValue - $0.truth) <= TierEvaluation.halfPoint }.count) / Double(pooled.count) : nil,
            pooledRuleError: enoughPooled ? pooled.map { abs($0.ruleValue - $0.truth) }.reduce(0, +) / Double(pooled.count) : nil,
            importance: importance.count > 0 ? importance : nil)
    }

    /// How a calibrated descriptor's values were converted, for the value's provenance.
    static func describe(_ fit: DescriptorCalibration, rule: String) -> String {
        if fit.usesFit {
            return "calibrated on OaSIS: OaSIS = \(round3(fit.intercept)) + \(round3(fit.slope)) * rule value, clamped to "
                + "\(ONetScaleConversion.format(fit.minimum))-\(ONetScaleConversion.format(fit.maximum)) (fitted on \(fit.count) profile cells; "
                + "held-out MAE \(round3(fit.fittedHeldOutError)) vs rule \(round3(fit.ruleHeldOutError))); rule value: \(rule)"
        }
        return "\(rule) (kept: held-out MAE \(round3(fit.ruleHeldOutError)) vs fitted map \(round3(fit.fittedHeldOutError)))"
    }

    static func round3(_ value: Double) -> String { String((value * 1000).rounded() / 1000) }
}
