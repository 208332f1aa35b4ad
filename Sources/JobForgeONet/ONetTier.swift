import Foundation
import JobForgeCore

/// A subject the O*NET tier fills. Unit groups and profiles use their own unit group; a title
/// (L7) uses the unit group it resolved to, with the resolution's confidence as `confidenceFactor`.
public struct ONetSubject: Sendable, Equatable {
    public var subject: Subject
    public var unitGroup: String
    public var confidenceFactor: Double
    public var sourceLevel: SourceLevel

    public init(subject: Subject, unitGroup: String, confidenceFactor: Double = 1, sourceLevel: SourceLevel? = nil) {
        self.subject = subject
        self.unitGroup = unitGroup
        self.confidenceFactor = confidenceFactor
        self.sourceLevel = sourceLevel ?? subject.level
    }
}

/// What the tier produced: candidates for the cascade, and the unit groups O*NET cannot describe.
public struct ONetTierResult: Sendable {
    public var candidates: [Candidate]
    /// Unit groups of the subjects with no O*NET data at all, with the reason ("no O*NET data":
    /// the LLM tier asks for these).
    public var gaps: [ONetUnitGroupGap]
    /// Subjects that got nothing because their unit group is a gap.
    public var subjectsWithoutData: [Subject]
    /// Rated O*NET elements absent from the mapping table (kept as O*NET-only descriptors):
    /// a newer release added them; review the mapping.
    public var unmappedElements: [String]
}

/// The value of one O*NET element on one scale for one unit group, aggregated over its
/// crosswalked O*NET-SOC codes: what every subject of the unit group is offered.
public struct ONetAggregate: Sendable {
    public var descriptorCode: String
    public var dimension: CellDimension
    /// On the descriptor's scale (converted for OaSIS descriptors, native for O*NET-only ones).
    public var value: Double
    public var elementID: String
    public var elementName: String
    public var matchKind: ONetMatchKind
    /// `LV` or `IM`.
    public var scaleID: String
    public var nativeMean: Double
    /// (O*NET-SOC code, native value) of every value used, in crosswalk order.
    public var nativeValues: [ONetNativeValue]
    /// Population standard deviation of the native values (0 for one code).
    public var spread: Double
    /// Values used that O*NET recommends suppressing (all were suppressed, nothing else was there).
    public var suppressedUsed: Int
    /// Suppressed values left out because unsuppressed ones were there.
    public var suppressedExcluded: Int
    public var notRelevant: Int
    /// Confidence before the subject's own factor.
    public var confidence: Double
    public var conversion: String
    /// The held-out mean absolute error of the conversion used, when it was measured.
    public var conversionHeldOutError: Double?
    /// How an importance's confidence was measured (leave-one-SOC-out), when it was.
    public var importanceShare: ONetImportanceCalibration.Share?
    /// The offer's audit details (a candidate's metadata), sorted by key.
    public var details: [(key: String, value: String)] = []
    public var sourceIDs: [String] = []
}

public struct ONetNativeValue: Sendable, Equatable {
    public var soc: String
    public var value: Double
}

/// What the tier offers unit groups, for the O*NET layer.
public struct ONetTierOffers: Sendable {
    public var offers: [UnitGroupOffer]
    /// Unit groups with no O*NET data at all, with the reason ("no O*NET data": the LLM tier asks for these).
    public var gaps: [ONetUnitGroupGap]
    /// Rated O*NET elements absent from the mapping table (kept as O*NET-only descriptors).
    public var unmappedElements: [String]
}

/// Ratings grouped by O*NET-SOC code, for fast lookups during the tier.
public struct ONetRatingIndex: Sendable {
    private let bySOC: [String: [ONetRating]]
    /// Every (element, scale) rated, numbered: the tier groups a unit group's ratings by these
    /// numbers instead of hashing two strings per rating.
    let keys: [(element: String, scale: String)]
    /// For each code, the number of each of its ratings' (element, scale), in the same order.
    private let keyNumbers: [String: [Int]]
    /// For each code, where each (element, scale) number sits among its ratings (-1: not rated).
    private let positions: [String: [Int32]]

    /// Keeps IM and LV ratings of the tables the tier uses (work context is stored, not tiered:
    /// OaSIS rates work context on per-descriptor scales no rule converts to).
    public init(_ ratings: [ONetRating]) {
        struct Key: Hashable { var element: String; var scale: String }
        var bySOC: [String: [ONetRating]] = [:]
        var keyNumbers: [String: [Int]] = [:]
        var numbers: [Key: Int] = [:]
        var keys: [(element: String, scale: String)] = []
        for rating in ratings where rating.table != .workContext && (rating.scaleID == "IM" || rating.scaleID == "LV") {
            let key = Key(element: rating.elementID, scale: rating.scaleID)
            let number: Int
            if let known = numbers[key] {
                number = known
            } else {
                number = keys.count
                numbers[key] = number
                keys.append((rating.elementID, rating.scaleID))
            }
            bySOC[rating.soc, default: []].append(rating)
            keyNumbers[rating.soc, default: []].append(number)
        }
        self.bySOC = bySOC
        self.keys = keys
        self.keyNumbers = keyNumbers
        var positions: [String: [Int32]] = [:]
        for (soc, numbers) in keyNumbers {
            var table = [Int32](repeating: -1, count: keys.count)
            // A code rates an (element, scale) once; should a file repeat one, the first row counts.
            for (position, number) in numbers.enumerated().reversed() { table[number] = Int32(position) }
            positions[soc] = table
        }
        self.positions = positions
    }

    public func ratings(for soc: String) -> [ONetRating] { bySOC[soc] ?? [] }
    func keyNumbers(for soc: String) -> [Int] { keyNumbers[soc] ?? [] }
    func positions(for soc: String) -> [Int32] { positions[soc] ?? [] }
    public func hasRatings(_ soc: String) -> Bool { !(bySOC[soc]?.isEmpty ?? true) }
    public var socCodes: [String] { bySOC.keys.sorted() }
}

/// The documented conversion from O*NET's scales to the descriptor's scale.
///
/// - `LV` (level, 0-7) to an OaSIS level scale `min...max` (1-5, knowledge 1-3), linearly:
///   `min + (max - min) * LV / 7`; an element O*NET rated *Not Relevant* becomes OaSIS's `0`
///   ("not applicable"), which is a value, not a gap.
/// - `IM` (importance, 1-5) is kept as it is: OaSIS has no importance dimension, so the cell's
///   scale is O*NET's own.
/// - O*NET-only descriptors keep their native scales (level 0-7, importance 1-5).
/// The native value is always kept beside the converted one.
public enum ONetScaleConversion {
    public static let levelMaximum = 7.0

    public static func level(_ native: Double, notRelevant: Bool, minimum: Double, maximum: Double) -> Double {
        if notRelevant { return 0 }
        let clamped = min(max(native, 0), levelMaximum)
        return minimum + (maximum - minimum) * clamped / levelMaximum
    }

    /// Several codes: when more than half rated the element Not Relevant the cell is `0`; otherwise
    /// the mean of the relevant codes' converted values (so the result stays on the OaSIS scale:
    /// `0` or `min...max`, never in between).
    public static func aggregateLevel(_ values: [(native: Double, notRelevant: Bool)], minimum: Double, maximum: Double) -> Double {
        let relevant = values.filter { !$0.notRelevant }
        if relevant.isEmpty || Double(values.count - relevant.count) > Double(values.count) / 2 { return 0 }
        return relevant.map { level($0.native, notRelevant: false, minimum: minimum, maximum: maximum) }.reduce(0, +) / Double(relevant.count)
    }

    public static func describeLevel(minimum: Double, maximum: Double) -> String {
        // The tier describes ~70,000 values on a handful of scales.
        switch (minimum, maximum) {
        case (1, 5): oneToFive
        case (1, 3): oneToThree
        default: spellLevel(minimum: minimum, maximum: maximum)
        }
    }

    private static let oneToFive = spellLevel(minimum: 1, maximum: 5)
    private static let oneToThree = spellLevel(minimum: 1, maximum: 3)

    private static func spellLevel(minimum: Double, maximum: Double) -> String {
        "OaSIS = \(format(minimum)) + \(format(maximum - minimum)) * LV / 7 (LV 0-7 -> \(format(minimum))-\(format(maximum))), mean over relevant codes; Not Relevant for most codes -> 0"
    }

    public static let importanceRule = "IM 1-5 kept as is (OaSIS has no importance scale)"
    public static let nativeRule = "native O*NET scale (O*NET-only descriptor)"

    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// The documented confidence of an O*NET value: how strong the mapping from O*NET to this
/// NOC unit group and OaSIS descriptor is. Used only where nothing was measured: levels get
/// ``ONetCalibration``'s measured share, importances ``ONetImportanceCalibration``'s.
///
/// `confidence = subject factor * 0.80 * match * codes * suppression`, where
/// - 0.80: O*NET describes U.S. occupations, reached through a crosswalk, not Canadian ones;
/// - match: exact name 1.00, normalized name 0.95, manual (reviewed) 0.85, O*NET-only 1.00
///   (the descriptor *is* the O*NET element);
/// - codes: one O*NET-SOC code 1.00, minus 0.05 per extra code, at least 0.80 (a unit group
///   spread over several O*NET occupations is described less precisely by their mean);
/// - suppression: `1 - 0.5 * (share of the values used that O*NET recommends suppressing)`.
public enum ONetConfidence {
    public static let base = 0.80

    public static func matchFactor(_ kind: ONetMatchKind) -> Double {
        switch kind {
        case .exact: 1.00
        case .normalized: 0.95
        case .manual: 0.85
        case .none: 1.00
        }
    }

    public static func codesFactor(_ count: Int) -> Double {
        max(0.80, 1 - 0.05 * Double(max(0, count - 1)))
    }

    public static func suppressionFactor(suppressed: Int, of total: Int) -> Double {
        guard total > 0 else { return 0 }
        return 1 - 0.5 * Double(suppressed) / Double(total)
    }

    public static func value(match: ONetMatchKind, codes: Int, suppressed: Int, total: Int) -> Double {
        base * matchFactor(match) * codesFactor(codes) * suppressionFactor(suppressed: suppressed, of: total)
    }
}

/// The O*NET tier: a pure function from subjects to candidates (precedence 2). The cascade
/// owner submits them; this type touches no store.
public struct ONetTier: Sendable {
    public static let method = CandidateMethod.onetMean
    public static let singleCodeMethod = CandidateMethod.onetRating

    public let crosswalk: Crosswalk
    public let ratings: ONetRatingIndex
    public let mapping: ONetDescriptorMapping
    public let oasisScales: OaSISLevelScales
    /// `O*NET 29.3`.
    public let release: String
    /// The measured conversion and confidence of levels, and the measured confidence of
    /// importances (nil: the documented rule and confidence).
    public private(set) var calibration: ONetCalibration?

    public init(crosswalk: Crosswalk, ratings: ONetRatingIndex, mapping: ONetDescriptorMapping,
                oasisScales: OaSISLevelScales, release: String) {
        self.crosswalk = crosswalk
        self.ratings = ratings
        self.mapping = mapping
        self.oasisScales = oasisScales
        self.release = release
    }

    /// This tier with levels converted, and their confidence measured, by `calibration`.
    public func calibrated(by calibration: ONetCalibration?) -> ONetTier {
        var tier = self
        tier.calibration = calibration
        return tier
    }

    /// Candidates for every subject whose unit group has O*NET ratings; gaps for the others.
    public func candidates(for subjects: [ONetSubject], observedAt: Date = Date()) -> ONetTierResult {
        // The same offers the build stores, handed to each subject as the store does.
        var unitGroups: [String] = []
        var seen = Set<String>()
        for subject in subjects where seen.insert(subject.unitGroup).inserted { unitGroups.append(subject.unitGroup) }
        let offered = offers(forUnitGroups: unitGroups, observedAt: observedAt)
        var offersOf: [String: [UnitGroupOffer]] = [:]
        for offer in offered.offers { offersOf[offer.unitGroup, default: []].append(offer) }
        var candidates: [Candidate] = []
        var without: [Subject] = []
        for subject in subjects {
            guard let offers = offersOf[subject.unitGroup] else { without.append(subject.subject); continue }
            for offer in offers {
                candidates.append(offer.candidate(for: subject.subject, sourceLevel: subject.sourceLevel,
                                                  confidenceFactor: subject.confidenceFactor))
            }
        }
        return ONetTierResult(candidates: candidates, gaps: offered.gaps, subjectsWithoutData: without,
                              unmappedElements: offered.unmappedElements)
    }

    /// Why a unit group has no O*NET data, or nil when it has some.
    public func gap(forUnitGroup unitGroup: String) -> ONetUnitGroupGap? {
        let codes = crosswalk.socCodes(forUnitGroup: unitGroup)
        if codes.isEmpty {
            return ONetUnitGroupGap(unitGroup: unitGroup, socCodes: [], reason: "no O*NET-SOC code in the NOC 2021 -> O*NET crosswalk")
        }
        if codes.contains(where: ratings.hasRatings) { return nil }
        return ONetUnitGroupGap(unitGroup: unitGroup, socCodes: codes,
                                reason: "its O*NET-SOC code(s) \(codes.joined(separator: ", ")) have no ratings in \(release)")
    }

    /// The aggregated O*NET values of a unit group, one per (descriptor, dimension).
    public func aggregates(forUnitGroup unitGroup: String) -> [ONetAggregate] {
        var unmapped = Set<String>()
        return aggregates(forUnitGroup: unitGroup, unmapped: &unmapped)
    }

    private func aggregates(forUnitGroup unitGroup: String, unmapped: inout Set<String>) -> [ONetAggregate] {
        let codes = crosswalk.socCodes(forUnitGroup: unitGroup)
        let ratingsOfCode = codes.map(ratings.ratings(for:))
        let positionsOfCode = codes.map(ratings.positions(for:))
        // Each (element, scale) the unit group's codes rate, in the order first met.
        var seen = [Bool](repeating: false, count: ratings.keys.count)
        var order: [Int] = []
        for (code, soc) in codes.enumerated() {
            for (position, key) in ratings.keyNumbers(for: soc).enumerated()
            where !seen[key] && ratingsOfCode[code][position].value != nil {
                seen[key] = true
                order.append(key)
            }
        }
        var result: [ONetAggregate] = []
        result.reserveCapacity(order.count)
        // (code, rating) positions of one key's values: reused from key to key.
        var all: [(code: Int, rating: Int)] = []
        var used: [(code: Int, rating: Int)] = []
        for key in order {
            all.removeAll(keepingCapacity: true)
            for code in codes.indices {
                // A code without ratings has no table.
                guard key < positionsOfCode[code].count else { continue }
                let position = Int(positionsOfCode[code][key])
                if position >= 0, ratingsOfCode[code][position].value != nil { all.append((code, position)) }
            }
            func rating(_ at: (code: Int, rating: Int)) -> ONetRating { ratingsOfCode[at.code][at.rating] }
            // Suppressed values count only when nothing else is there.
            used.removeAll(keepingCapacity: true)
            for at in all where ratingsOfCode[at.code][at.rating].recommendSuppress != true { used.append(at) }
            let suppressedUsed = used.isEmpty ? all.count : 0
            if used.isEmpty { used = all }
            let (element, scaleID) = ratings.keys[key]
            let row = mapping.mapping(forElement: element)
            if row == nil { unmapped.insert(element) }
            let kind = row?.matchKind ?? .none
            let descriptorCode = row?.descriptorCode ?? ONetElementMapping.onetOnlyCode(element)
            var natives: [ONetNativeValue] = []
            natives.reserveCapacity(used.count)
            var sum = 0.0, notRelevant = 0
            for at in used {
                let value = ratingsOfCode[at.code][at.rating].value!
                natives.append(ONetNativeValue(soc: codes[at.code], value: value))
                sum += value
                if ratingsOfCode[at.code][at.rating].notRelevant == true { notRelevant += 1 }
            }
            let nativeMean = sum / Double(natives.count)
            var squares = 0.0
            for native in natives { squares += (native.value - nativeMean) * (native.value - nativeMean) }
            let variance = squares / Double(natives.count)
            let dimension: CellDimension = scaleID == "LV" ? .level : .importance
            var value: Double
            var conversion: String
            var heldOutError: Double?
            var measuredConfidence: Double?
            var importanceShare: ONetImportanceCalibration.Share?
            if scaleID == "LV", let code = row?.oasisCode, let scale = oasisScales.scale(for: code) {
                value = ONetScaleConversion.aggregateLevel(used.map { (rating($0).value!, rating($0).notRelevant == true) },
                                                           minimum: scale.minimum, maximum: scale.maximum)
                conversion = ONetScaleConversion.describeLevel(minimum: scale.minimum, maximum: scale.maximum)
                if let fit = calibration?.descriptors[descriptorCode] {
                    value = fit.convert(value)
                    conversion = ONetCalibration.describe(fit, rule: conversion)
                    heldOutError = fit.heldOutError
                    measuredConfidence = value == 0 ? calibration?.notRelevantWithinHalf : fit.confidence(codes: natives.count)
                } else if let calibration, let pooled = calibration.pooledRuleWithinHalf {
                    // Too few profile cells to fit this descriptor: the rule, measured with the others like it.
                    heldOutError = calibration.pooledRuleError
                    measuredConfidence = value == 0 ? calibration.notRelevantWithinHalf : pooled
                    conversion += " (too few OaSIS cells to fit; measured with the other such descriptors)"
                }
            } else if scaleID == "IM" {
                value = nativeMean
                conversion = ONetScaleConversion.importanceRule
                importanceShare = calibration?.importance?.share(descriptor: descriptorCode, codes: natives.count)
            } else {
                value = nativeMean
                conversion = ONetScaleConversion.nativeRule
            }
            // Measured levels are kept to hundredths, as `show` and `export` write them, so that
            // an evaluation from an export sees the very values the store holds.
            value = measuredConfidence != nil ? (value * 100).rounded() / 100 : (value * 1000).rounded() / 1000
            // The crosswalk lists a code once per unit group: the values are one per code.
            var aggregate = ONetAggregate(
                descriptorCode: descriptorCode, dimension: dimension, value: value, elementID: element,
                elementName: rating(used[0]).elementName, matchKind: kind, scaleID: scaleID,
                nativeMean: (nativeMean * 1000).rounded() / 1000, nativeValues: natives,
                spread: (variance.squareRoot() * 1000).rounded() / 1000, suppressedUsed: suppressedUsed,
                suppressedExcluded: all.count - used.count, notRelevant: notRelevant,
                confidence: measuredConfidence ?? importanceShare?.share
                    ?? ONetConfidence.value(match: kind, codes: natives.count, suppressed: suppressedUsed, total: used.count),
                conversion: conversion)
            aggregate.conversionHeldOutError = heldOutError
            aggregate.importanceShare = importanceShare
            aggregate.sourceIDs = natives.map(\.soc)
            aggregate.details = Self.details(aggregate)
            result.append(aggregate)
        }
        return result
    }

    private func offer(_ aggregate: ONetAggregate, unitGroup: String, observedAt: Date) -> UnitGroupOffer {
        var offer = UnitGroupOffer(unitGroup: unitGroup, descriptor: aggregate.descriptorCode, dimension: aggregate.dimension,
                                   value: aggregate.value, confidence: (min(1, max(0, aggregate.confidence)) * 1000).rounded() / 1000,
                                   source: .onet, method: aggregate.sourceIDs.count > 1 ? Self.method : Self.singleCodeMethod,
                                   sourceIDs: aggregate.sourceIDs, release: release, observedAt: observedAt)
        offer.details = aggregate.details
        return offer
    }

    /// What O*NET offers each of these unit groups (and so their profiles and titles), and the
    /// unit groups it has nothing for.
    public func offers(forUnitGroups unitGroups: [String], observedAt: Date = Date()) -> ONetTierOffers {
        var offers: [UnitGroupOffer] = []
        var gaps: [ONetUnitGroupGap] = []
        var unmapped = Set<String>()
        for unitGroup in unitGroups {
            let aggregates = self.aggregates(forUnitGroup: unitGroup, unmapped: &unmapped)
            if aggregates.isEmpty, let gap = gap(forUnitGroup: unitGroup) { gaps.append(gap) }
            for aggregate in aggregates { offers.append(offer(aggregate, unitGroup: unitGroup, observedAt: observedAt)) }
        }
        return ONetTierOffers(offers: offers, gaps: gaps.sorted { $0.unitGroup < $1.unitGroup }, unmappedElements: unmapped.sorted())
    }

    /// What a reader needs to audit an O*NET value beside its SOC codes (`sourceIDs`): the element,
    /// how it was matched, the native scale and values, and how it was converted. Facts that
    /// another field already holds (the unit group, the number of codes) and counters at zero are
    /// left out: the tier makes about 70,000 of these per build.
    static func details(_ aggregate: ONetAggregate) -> [(key: String, value: String)] {
        // Written in key order: no dictionary and no sorting for each of ~70,000 values.
        var details: [(key: String, value: String)] = []
        details.reserveCapacity(10)
        let native = String(aggregate.nativeMean)
        if let measured = aggregate.importanceShare {
            details.append(("confidence_heldout_share", String((measured.share * 1000).rounded() / 1000)))
            details.append(("confidence_measure", measured.measure))
        }
        details.append(("conversion", aggregate.conversion))
        if let error = aggregate.conversionHeldOutError {
            details.append(("conversion_heldout_mae", String((error * 1000).rounded() / 1000)))
        }
        details.append(("match_kind", aggregate.matchKind.rawValue))
        details.append(("native_scale", aggregate.scaleID == "LV" ? "LV 0-7" : "IM 1-5"))
        details.append(("native_value", native))
        let values = aggregate.nativeValues.count == 1 && aggregate.nativeValues[0].value == aggregate.nativeMean
            ? aggregate.nativeValues[0].soc + "=" + native
            : aggregate.nativeValues.map { "\($0.soc)=\($0.value)" }.joined(separator: "; ")
        details.append(("native_values", values))
        if aggregate.notRelevant > 0 { details.append(("not_relevant", String(aggregate.notRelevant))) }
        details.append(("onet_element", aggregate.elementID))
        if aggregate.nativeValues.count > 1 { details.append(("spread", String(aggregate.spread))) }
        if aggregate.suppressedExcluded > 0 { details.append(("suppressed_excluded", String(aggregate.suppressedExcluded))) }
        if aggregate.suppressedUsed > 0 { details.append(("suppressed_used", String(aggregate.suppressedUsed))) }
        return details
    }

    /// Coverage of the crosswalk: unit groups (of `allUnitGroups`, e.g. the NOC structure) with no
    /// O*NET code, and those whose O*NET codes have no ratings.
    public func coverage(allUnitGroups: [String]) -> (withoutCode: [String], withoutRatings: [ONetUnitGroupGap]) {
        var withoutCode: [String] = []
        var withoutRatings: [ONetUnitGroupGap] = []
        for unitGroup in Set(allUnitGroups + crosswalk.unitGroups).sorted() {
            guard let gap = gap(forUnitGroup: unitGroup) else { continue }
            if gap.socCodes.isEmpty { withoutCode.append(unitGroup) } else { withoutRatings.append(gap) }
        }
        return (withoutCode, withoutRatings)
    }
}
