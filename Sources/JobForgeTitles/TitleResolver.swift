import Foundation
import JobForgeCore

/// Resolves a job title to one OaSIS profile of its NOC 2021 unit group, with a method and a
/// confidence (DESIGN.md, "Resolve"):
///
/// | method                | confidence | when                                                      |
/// |-----------------------|-----------:|-----------------------------------------------------------|
/// | `exact_label`         | 1.00 | the title equals a profile label (ignoring case, spacing, punctuation) |
/// | `exact_title`         | 0.95 | the title equals an OaSIS title of a profile                |
/// | `single_profile`      | 0.85 | the unit group has one profile                              |
/// | `fuzzy`               | 0.60 | best WRatio against labels and OaSIS titles >= 70 (score kept) |
/// | `unit_group_fallback` | 0.40 | otherwise: the unit group's main profile (lowest code)      |
///
/// Exact matches are tried before the single-profile shortcut, so they always win it.
/// Normalized strings and token sets are computed once per unit group when the resolver is
/// built; resolving a title then costs a dictionary look-up, or one WRatio per choice of its group.
public struct TitleResolver: Sendable {
    /// The WRatio score a fuzzy match needs.
    public static let fuzzyThreshold: Double = 70
    /// How many candidates a resolution keeps for the record.
    public static let keptCandidates = 5

    struct Choice: Sendable {
        var profile: Int
        var text: String
        /// `label` or `example_title`.
        var kind: String
        /// The OaSIS title type (`Example`, `Index`, `Inclusion`) for titles.
        var type: String?
        var prepared: FuzzyScorer.Prepared
    }

    struct Group: Sendable {
        var profiles: [ProfileReference.Entry]
        /// Normalized label -> profile index.
        var labels: [String: Int]
        /// Normalized OaSIS title -> profile indexes, best title type first.
        var titles: [String: [(profile: Int, type: String)]]
        var choices: [Choice]
    }

    let groups: [String: Group]
    public let unitGroups: Set<String>
    public let concordance: NOCConcordance

    public init(reference: ProfileReference, concordance: NOCConcordance) {
        self.concordance = concordance
        unitGroups = reference.unitGroups
        var byGroup: [String: [ProfileReference.Entry]] = [:]
        for entry in reference.profiles { byGroup[entry.unitGroup, default: []].append(entry) }
        var groups: [String: Group] = [:]
        for (unitGroup, entries) in byGroup {
            let profiles = entries.sorted { $0.code < $1.code }
            var labels: [String: Int] = [:]
            var titles: [String: [(profile: Int, type: String)]] = [:]
            var choices: [Choice] = []
            for (index, profile) in profiles.enumerated() {
                let label = profile.label.matchKey
                if labels[label] == nil { labels[label] = index }
                choices.append(Choice(profile: index, text: profile.label, kind: "label", type: nil,
                                      prepared: FuzzyScorer.Prepared(label)))
                var seen: Set<String> = []
                for title in profile.titles {
                    let key = title.text.matchKey
                    guard !key.isEmpty, seen.insert(key).inserted else { continue }
                    titles[key, default: []].append((index, title.type))
                    choices.append(Choice(profile: index, text: title.text, kind: "example_title", type: title.type,
                                          prepared: FuzzyScorer.Prepared(key)))
                }
            }
            for key in titles.keys {
                titles[key]!.sort { lhs, rhs in
                    let l = Self.typeRank(lhs.type), r = Self.typeRank(rhs.type)
                    return l != r ? l < r : lhs.profile < rhs.profile
                }
            }
            groups[unitGroup] = Group(profiles: profiles, labels: labels, titles: titles, choices: choices)
        }
        self.groups = groups
    }

    /// `Example` titles are the ones OaSIS shows; they win a tie over index titles.
    static func typeRank(_ type: String) -> Int {
        switch type.lowercased() {
        case "example": 0
        case "inclusion": 1
        default: 2
        }
    }

    /// The profiles of a unit group, sorted by code.
    public func profiles(ofUnitGroup unitGroup: String) -> [ProfileReference.Entry] {
        groups[unitGroup]?.profiles ?? []
    }

    public func isUnitGroup(_ code: String) -> Bool { unitGroups.contains(code) }

    /// Whether any profile is known (false before OaSIS is loaded).
    public var hasProfiles: Bool { !groups.isEmpty }

    /// Resolves an imported title. `explain` scores every choice of the unit group even when an
    /// exact match decides, so that `jobforge resolve` can show what else was close.
    public func resolve(_ title: JobTitle, explain: Bool = false) -> TitleResolution {
        resolve(title: title.title, noc2021: title.noc2021, noc2016: title.noc2016, explain: explain)
    }

    /// Resolves a title given its codes (normalized or as typed).
    public func resolve(title: String, noc2021: String?, noc2016: String?, explain: Bool = false) -> TitleResolution {
        if let raw = noc2021, !raw.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let code = Codes.unitGroup(raw), unitGroups.contains(code) else {
                return unresolved(.unknownCode, unitGroup: nil, source: nil, candidates: [],
                                  note: "\"\(raw)\" is not a NOC 2021 unit group; correct the code")
            }
            return resolve(title: title, unitGroup: code, source: .noc2021, explain: explain)
        }
        if let raw = noc2016, !raw.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let old = NOCConcordance.noc2016(raw) else {
                return unresolved(.unknownCode, unitGroup: nil, source: nil, candidates: [],
                                  note: "\"\(raw)\" is not a NOC 2016 code (one to four digits)")
            }
            let targets = concordance.unitGroups(forNOC2016: old)
            switch targets.count {
            case 0:
                return unresolved(.unknownCode, unitGroup: nil, source: nil, candidates: [],
                                  note: "NOC 2016 \(old) is not in the NOC 2016 -> 2021 concordance; give the NOC 2021 code")
            case 1:
                return resolve(title: title, unitGroup: targets[0], source: .noc2016Concordance, explain: explain)
            default:
                let candidates = targets.map {
                    ResolutionCandidate(code: $0, matched: groups[$0]?.profiles.first?.label ?? $0, kind: "unit_group", score: nil)
                }
                return unresolved(.ambiguousNOC2016, unitGroup: nil, source: .noc2016Concordance, candidates: candidates,
                                  note: "NOC 2016 \(old) maps to \(targets.count) NOC 2021 unit groups (\(targets.joined(separator: ", "))); give the NOC 2021 code")
            }
        }
        return unresolved(.noCode, unitGroup: nil, source: nil, candidates: [],
                          note: "no NOC code: add a NOC 2021 (or 2016) code to resolve this title")
    }

    /// Resolves a title within a known NOC 2021 unit group.
    public func resolve(title: String, unitGroup: String, source: UnitGroupSource = .noc2021,
                        explain: Bool = false) -> TitleResolution {
        guard let group = groups[unitGroup], !group.profiles.isEmpty else {
            return unresolved(.noProfile, unitGroup: unitGroup, source: source, candidates: [],
                              note: "unit group \(unitGroup) has no OaSIS profile in the store; run `jobforge build` to load OaSIS")
        }
        let key = title.matchKey
        let via = source == .noc2016Concordance ? " (unit group from NOC 2016 via the concordance)" : ""

        func finish(_ method: ResolutionMethod, profile: Int, candidates: [ResolutionCandidate], score: Double?,
                    note: String) -> TitleResolution {
            let entry = group.profiles[profile]
            return TitleResolution(unitGroup: unitGroup, unitGroupSource: source, profileCode: entry.code,
                                   profileLabel: entry.label, method: method, confidence: method.confidence,
                                   fuzzyScore: score, candidates: candidates, note: note + via)
        }

        var scored: [ResolutionCandidate]?
        func scoredCandidates() -> [ResolutionCandidate] {
            if let scored { return scored }
            let result = score(key, in: group)
            scored = result
            return result
        }

        if !key.isEmpty, let index = group.labels[key] {
            let exact = ResolutionCandidate(code: group.profiles[index].code, matched: group.profiles[index].label,
                                            kind: "label", score: 100)
            let others = explain ? scoredCandidates().filter { $0.code != exact.code } : []
            return finish(.exactLabel, profile: index, candidates: [exact] + others.prefix(Self.keptCandidates - 1),
                          score: nil, note: "the title is the label of \(group.profiles[index].code)")
        }
        if !key.isEmpty, let matches = group.titles[key], let first = matches.first {
            let exact = matches.map { match in
                ResolutionCandidate(code: group.profiles[match.profile].code, matched: title,
                                    kind: "example_title:\(match.type)", score: 100)
            }
            let others = explain ? scoredCandidates().filter { c in !exact.contains { $0.code == c.code } } : []
            let shared = matches.count > 1 ? "; \(matches.count) profiles list it, the \(first.type) title of the lowest code wins" : ""
            return finish(.exactTitle, profile: first.profile, candidates: Array((exact + others).prefix(Self.keptCandidates)),
                          score: nil, note: "the title is an OaSIS \(first.type.lowercased()) title of \(group.profiles[first.profile].code)\(shared)")
        }
        if group.profiles.count == 1 {
            let candidates = explain ? scoredCandidates() : [
                ResolutionCandidate(code: group.profiles[0].code, matched: group.profiles[0].label, kind: "label", score: nil),
            ]
            return finish(.singleProfile, profile: 0, candidates: Array(candidates.prefix(Self.keptCandidates)),
                          score: nil, note: "unit group \(unitGroup) has a single profile")
        }
        let candidates = scoredCandidates()
        if let best = candidates.first, let score = best.score, score >= Self.fuzzyThreshold,
           let index = group.profiles.firstIndex(where: { $0.code == best.code }) {
            return finish(.fuzzy, profile: index, candidates: Array(candidates.prefix(Self.keptCandidates)), score: score,
                          note: "closest match \"\(best.matched)\" (\(best.kind)), WRatio \(Self.format(score)) >= \(Int(Self.fuzzyThreshold))")
        }
        let bestScore = candidates.first?.score
        let why = bestScore.map { "best WRatio \(Self.format($0)) < \(Int(Self.fuzzyThreshold))" } ?? "nothing to compare"
        return finish(.unitGroupFallback, profile: 0, candidates: Array(candidates.prefix(Self.keptCandidates)),
                      score: bestScore, note: "\(why): the unit group's main profile")
    }

    /// The best-scoring choice of each profile, best first (ties: labels first, then code order).
    func score(_ key: String, in group: Group) -> [ResolutionCandidate] {
        let query = FuzzyScorer.Prepared(key, query: true)
        var best: [(score: Double, choice: Int)?] = Array(repeating: nil, count: group.profiles.count)
        if !query.scalars.isEmpty {
            group.choices.withUnsafeBufferPointer { choices in
                for index in choices.indices {
                    let score = FuzzyScorer.wRatio(query, choices[index].prepared)
                    let profile = choices[index].profile
                    if let current = best[profile], current.score >= score { continue }
                    best[profile] = (score, index)
                }
            }
        } else {
            for (index, choice) in group.choices.enumerated() where best[choice.profile] == nil { best[choice.profile] = (0, index) }
        }
        var ranked: [(profile: Int, score: Double, choice: Choice)] = []
        for (profile, entry) in best.enumerated() {
            guard let entry else { continue }
            ranked.append((profile, entry.score, group.choices[entry.choice]))
        }
        ranked.sort { lhs, rhs in
            if lhs.score != rhs.score { return lhs.score > rhs.score }
            if (lhs.choice.kind == "label") != (rhs.choice.kind == "label") { return lhs.choice.kind == "label" }
            return lhs.profile < rhs.profile
        }
        return ranked.map { item in
            let kind = item.choice.type.map { "example_title:\($0)" } ?? item.choice.kind
            return ResolutionCandidate(code: group.profiles[item.profile].code, matched: item.choice.text,
                                       kind: kind, score: (item.score * 10_000).rounded() / 10_000)
        }
    }

    private func unresolved(_ method: ResolutionMethod, unitGroup: String?, source: UnitGroupSource?,
                            candidates: [ResolutionCandidate], note: String) -> TitleResolution {
        TitleResolution(unitGroup: unitGroup, unitGroupSource: source, profileCode: nil, profileLabel: nil,
                        method: method, confidence: 0, fuzzyScore: nil, candidates: candidates, note: note)
    }

    static func format(_ score: Double) -> String { String(format: "%.1f", score) }
}
