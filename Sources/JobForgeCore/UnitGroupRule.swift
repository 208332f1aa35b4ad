import Foundation

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
    /// The scale maximum of each descriptor and dimension, looked up once per cell.
    public struct ScaleMaxima: Sendable {
        struct Key: Hashable { var descriptor: String; var dimension: CellDimension }
        private var maxima: [Key: Double] = [:]

        public init(_ scales: [DescriptorScale]) {
            for scale in scales { maxima[Key(descriptor: scale.descriptorCode, dimension: scale.dimension)] = scale.maximum }
        }

        public func maximum(_ descriptor: String, _ dimension: CellDimension) -> Double? {
            maxima[Key(descriptor: descriptor, dimension: dimension)]
        }
    }

    /// The cells `candidates` gives a unit group, without computing their values (to count
    /// them): every cell of its profiles, except that interest ranks come from the main profile.
    /// `profileCells` holds each profile's authoritative cells (descriptor, dimension).
    public static func cellKeys<Cell: Hashable>(profileCells: [String: Set<Cell>], isInterestRank: (Cell) -> Bool) -> Set<Cell> {
        guard let main = profileCells.keys.min() else { return [] }
        var keys: Set<Cell> = []
        for (profile, cells) in profileCells {
            for cell in cells where profile == main || !isInterestRank(cell) { keys.insert(cell) }
        }
        return keys
    }

    /// `observedAt` nil: each cell takes the time of its newest profile value.
    public static func candidates(from profileRatings: [Candidate], scales: [DescriptorScale],
                                  observedAt: Date?) -> [Candidate] {
        candidates(from: profileRatings, maxima: ScaleMaxima(scales), observedAt: observedAt)
    }

    public static func candidates(from profileRatings: [Candidate], maxima: ScaleMaxima, observedAt: Date?) -> [Candidate] {
        struct Key: Hashable { var unitGroup: String; var descriptor: String; var dimension: CellDimension }
        var groups: [Key: [Candidate]] = [:]
        var order: [Key] = []
        var profilesByUnitGroup: [String: Set<String>] = [:]
        var lastProfile = "", unitGroup = ""
        for candidate in profileRatings where candidate.key.subject.kind == .profile {
            // Ratings come profile by profile: work out the unit group once per profile.
            if candidate.key.subject.code != lastProfile {
                lastProfile = candidate.key.subject.code
                unitGroup = Codes.unitGroup(ofProfile: lastProfile)
                profilesByUnitGroup[unitGroup, default: []].insert(lastProfile)
            }
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
            let observedAt = observedAt ?? members.map(\.observedAt).max()!
            if key.dimension == .interestRank {
                guard let main = members.first(where: { $0.key.subject.code == mainProfile[key.unitGroup] }) else { continue }
                result.append(Candidate(key: cell, value: main.value, text: main.text, source: .authoritative,
                                        method: profileCount == 1 ? .singleProfile : .mainProfile, sourceLevel: .l6,
                                        sourceIDs: [main.key.subject.code], confidence: main.confidence,
                                        release: main.release, observedAt: observedAt,
                                        metadata: ["profiles": String(profileCount)]))
                continue
            }
            if members.count == 1 && profileCount == 1 {
                result.append(Candidate(key: cell, value: first.value, text: first.text, source: .authoritative,
                                        method: .singleProfile, sourceLevel: .l6, sourceIDs: [first.key.subject.code],
                                        confidence: first.confidence, release: first.release, observedAt: observedAt))
                continue
            }
            let values = members.map(\.value)
            let mean = values.reduce(0, +) / Double(values.count)
            let low = values.min()!, high = values.max()!
            let maximum = maxima.maximum(key.descriptor, key.dimension) ?? 5
            let confidence = max(0, 1 - 0.5 * (high - low) / maximum)
            result.append(Candidate(key: cell, value: (mean * 1000).rounded() / 1000, source: .authoritative,
                                    method: .profileMean, sourceLevel: .l6, sourceIDs: members.map(\.key.subject.code),
                                    confidence: confidence, release: first.release, observedAt: observedAt,
                                    metadata: ["count": String(values.count), "min": format(low), "max": format(high)]))
        }
        return result
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
