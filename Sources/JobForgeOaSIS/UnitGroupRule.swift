import Foundation
import JobForgeCore

/// How a NOC unit group (L5) gets its cells from its OaSIS profiles (L6).
///
/// - One profile: the unit group takes its values as they are (method `single_profile`,
///   confidence 1).
/// - Several profiles: the mean of the profiles' values (method `profile_mean`), with the count,
///   minimum and maximum kept; OaSIS `0` (not applicable) counts as a value. Confidence falls
///   with disagreement: 1 - 0.5 x (max - min) / scale maximum, so profiles that agree give 1.
/// - Holland interests are ranks, which do not average: the unit group takes its main
///   profile's code (the lowest profile code, `.00` when it exists; method `main_profile`).
///
/// Every derived cell names the profiles it comes from in `sourceIDs`.
public enum UnitGroupRule {
    public static func candidates(from profileRatings: [Candidate], scales: [DescriptorScale],
                                  observedAt: Date) -> [Candidate] {
        var scaleMaximum: [String: Double] = [:]
        for scale in scales { scaleMaximum["\(scale.descriptorCode)/\(scale.dimension.rawValue)"] = scale.maximum }

        struct Key: Hashable { var unitGroup: String; var descriptor: String; var dimension: CellDimension }
        var groups: [Key: [Candidate]] = [:]
        var order: [Key] = []
        var profilesByUnitGroup: [String: Set<String>] = [:]
        for candidate in profileRatings where candidate.key.subject.kind == .profile {
            let unitGroup = Codes.unitGroup(ofProfile: candidate.key.subject.code)
            profilesByUnitGroup[unitGroup, default: []].insert(candidate.key.subject.code)
            let key = Key(unitGroup: unitGroup, descriptor: candidate.key.descriptor, dimension: candidate.key.dimension)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(candidate)
        }
        let mainProfile = profilesByUnitGroup.mapValues { $0.min()! }

        var result: [Candidate] = []
        result.reserveCapacity(order.count)
        for key in order {
            let members = groups[key]!.sorted { $0.key.subject.code < $1.key.subject.code }
            let cell = CellKey(subject: .unitGroup(key.unitGroup), descriptor: key.descriptor, dimension: key.dimension)
            let profileCount = profilesByUnitGroup[key.unitGroup]!.count
            let first = members[0]
            if key.dimension == .interestRank {
                guard let main = members.first(where: { $0.key.subject.code == mainProfile[key.unitGroup] }) else { continue }
                result.append(Candidate(key: cell, value: main.value, text: main.text, source: .authoritative,
                                        method: profileCount == 1 ? "single_profile" : "main_profile", sourceLevel: .l6,
                                        sourceIDs: [main.key.subject.code], confidence: main.confidence,
                                        release: main.release, observedAt: observedAt,
                                        metadata: ["profiles": String(profileCount)]))
                continue
            }
            if members.count == 1 && profileCount == 1 {
                result.append(Candidate(key: cell, value: first.value, text: first.text, source: .authoritative,
                                        method: "single_profile", sourceLevel: .l6, sourceIDs: [first.key.subject.code],
                                        confidence: first.confidence, release: first.release, observedAt: observedAt))
                continue
            }
            let values = members.map(\.value)
            let mean = values.reduce(0, +) / Double(values.count)
            let low = values.min()!, high = values.max()!
            let maximum = scaleMaximum["\(key.descriptor)/\(key.dimension.rawValue)"] ?? 5
            let confidence = max(0, 1 - 0.5 * (high - low) / maximum)
            result.append(Candidate(key: cell, value: (mean * 1000).rounded() / 1000, source: .authoritative,
                                    method: "profile_mean", sourceLevel: .l6, sourceIDs: members.map(\.key.subject.code),
                                    confidence: confidence, release: first.release, observedAt: observedAt,
                                    metadata: ["count": String(values.count), "min": format(low), "max": format(high)]))
        }
        return result
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
