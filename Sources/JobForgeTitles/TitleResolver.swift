import Foundation
import JobForgeCore

/// Resolves a job title to one OaSIS profile of its NOC 2021 unit group, with a method and a
/// confidence:
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
/// Normalized strings are computed once per unit group, the first time a title of the group is
/// resolved, and token sets the first time one needs fuzzy matching; resolving a title then costs
/// a dictionary look-up, or one WRatio per choice of its group.
public struct TitleResolver: Sendable {
    /// The WRatio score a fuzzy match needs.
    public static let fuzzyThreshold: Double = 70
    /// How many candidates a resolution keeps for the record.
    public static let keptCandidates = 5

    /// A label or OaSIS title that fuzzy matching compares titles with.
    struct Choice: Sendable {
        var profile: Int
        var text: String
        /// The normalized text: what is scored.
        var key: String
        /// `label` or `example_title`.
        var kind: String
        /// The OaSIS title type (`Example`, `Index`, `Inclusion`) for titles.
        var type: String?
    }

    struct Group: Sendable {
        var profiles: [ProfileReference.Entry]
        /// Normalized label -> profile index.
        var labels: [String: Int]
        /// Normalized OaSIS title -> profile indexes, best title type first.
        var titles: [String: [(profile: Int, type: String)]]
        var choices: [Choice]

        /// Normalizes the labels and titles of a unit group's profiles (sorted by code).
        init(profiles: [ProfileReference.Entry]) {
            self.profiles = profiles
            let titleCount = profiles.reduce(0) { $0 + $1.titles.count }
            labels = Dictionary(minimumCapacity: profiles.count)
            titles = Dictionary(minimumCapacity: titleCount)
            choices = []
            choices.reserveCapacity(profiles.count + titleCount)
            for (index, profile) in profiles.enumerated() {
                let label = profile.label.matchKey
                if labels[label] == nil { labels[label] = index }
                choices.append(Choice(profile: index, text: profile.label, key: label, kind: "label", type: nil))
                for title in profile.titles {
                    let key = title.text.matchKey
                    // A title repeated within the profile was appended last to its key's list.
                    guard !key.isEmpty, titles[key]?.last?.profile != index else { continue }
                    titles[key, default: []].append((index, title.type))
                    choices.append(Choice(profile: index, text: title.text, key: key, kind: "example_title", type: title.type))
                }
            }
            for (key, matches) in titles where matches.count > 1 {
                titles[key] = matches.sorted { lhs, rhs in
                    let l = TitleResolver.typeRank(lhs.type), r = TitleResolver.typeRank(rhs.type)
                    return l != r ? l < r : lhs.profile < rhs.profile
                }
            }
        }
    }

    /// Values per unit group, built the first time they are needed and shared by the resolver's
    /// copies: a job architecture touches a fraction of the 516 unit groups, and fuzzy matching
    /// a fraction of those. The lock makes it safe to share across threads.
    final class LazyTable<Value: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [String: Value] = [:]

        func value(_ unitGroup: String, build: () -> Value) -> Value {
            if let value = lock.withLock({ values[unitGroup] }) { return value }
            let built = build()
            return lock.withLock {
                if let value = values[unitGroup] { return value }
                values[unitGroup] = built
                return built
            }
        }
    }

    /// The profiles of each unit group, sorted by code.
    let profilesByUnitGroup: [String: [ProfileReference.Entry]]
    let groups = LazyTable<Group>()
    /// Each group's choices tokenized for WRatio, in `Group.choices` order.
    let preparedChoices = LazyTable<FuzzyScorer.PreparedBatch>()
    public let unitGroups: Set<String>
    public let concordance: NOCConcordance

    public init(reference: ProfileReference, concordance: NOCConcordance) {
        self.concordance = concordance
        unitGroups = reference.unitGroups
        var byGroup: [String: [ProfileReference.Entry]] = [:]
        for entry in reference.profiles { byGroup[entry.unitGroup, default: []].append(entry) }
        profilesByUnitGroup = byGroup.mapValues { $0.sorted { $0.code < $1.code } }
    }

    /// The match index of a unit group with profiles.
    func group(_ unitGroup: String) -> Group? {
        guard let profiles = profilesByUnitGroup[unitGroup] else { return nil }
        return groups.value(unitGroup) { Group(profiles: profiles) }
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
        profilesByUnitGroup[unitGroup] ?? []
    }

    public func isUnitGroup(_ code: String) -> Bool { unitGroups.contains(code) }

    /// Whether any profile is known (false before OaSIS is loaded).
    public var hasProfiles: Bool { !profilesByUnitGroup.isEmpty }

    /// Resolves an imported title. `explain` scores every choice of the unit group even when an
    /// exact match decides, so that `jobforge resolve` can show what else was close.
    public func resolve(_ title: JobTitle, explain: Bool = false) -> TitleResolution {
        resolve(title: title.title, noc2021: title.noc2021, noc2016: title.noc2016, explain: explain)
    }

    /// Resolves a title given its codes (normalized or as typed).
    public func resolve(title: String, noc2021: String?, noc2016: String?, explain: Bool = false) -> TitleResolution {
        if let raw = noc2021, !Self.isBlank(raw) {
            guard let code = Codes.unitGroup(raw), unitGroups.contains(code) else {
                return unresolved(.unknownCode, unitGroup: nil, source: nil, candidates: [],
                                  note: "\"\(raw)\" is not a NOC 2021 unit group; correct the code")
            }
            return resolve(title: title, unitGroup: code, source: .noc2021, explain: explain)
        }
        if let raw = noc2016, !Self.isBlank(raw) {
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
                    ResolutionCandidate(code: $0, matched: profilesByUnitGroup[$0]?.first?.label ?? $0, kind: "unit_group", score: nil)
                }
                return unresolved(.ambiguousNOC2016, unitGroup: nil, source: .noc2016Concordance, candidates: candidates,
                                  note: "NOC 2016 \(old) maps to \(targets.count) NOC 2021 unit groups (\(targets.joined(separator: ", "))); give the NOC 2021 code")
            }
        }
        return unresolved(.noCode, unitGroup: nil, source: nil, candidates: [],
                          note: "no NOC code: add a NOC 2021 (or 2016) code to resolve this title")
    }

    /// Whether `raw` is only spaces and tabs (Foundation's `.whitespaces`), without bridging to
    /// Foundation when an ASCII character that is neither shows it is not.
    static func isBlank(_ raw: String) -> Bool {
        if raw.utf8.contains(where: { $0 < 0x80 && $0 != 0x20 && $0 != 0x09 }) { return false }
        return raw.trimmingCharacters(in: .whitespaces).isEmpty
    }

    /// Resolves a title within a known NOC 2021 unit group.
    public func resolve(title: String, unitGroup: String, source: UnitGroupSource = .noc2021,
                        explain: Bool = false) -> TitleResolution {
        guard let group = group(unitGroup), !group.profiles.isEmpty else {
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

        if !key.isEmpty, let index = group.labels[key] {
            let exact = ResolutionCandidate(code: group.profiles[index].code, matched: group.profiles[index].label,
                                            kind: "label", score: 100)
            let others = explain ? score(key, in: group, of: unitGroup, excluding: [index], limit: Self.keptCandidates - 1) : []
            return finish(.exactLabel, profile: index, candidates: [exact] + others,
                          score: nil, note: "the title is the label of \(group.profiles[index].code)")
        }
        if !key.isEmpty, let matches = group.titles[key], let first = matches.first {
            let exact = matches.map { match in
                ResolutionCandidate(code: group.profiles[match.profile].code, matched: title,
                                    kind: "example_title:\(match.type)", score: 100)
            }
            let others = explain ? score(key, in: group, of: unitGroup, excluding: matches.map(\.profile),
                                         limit: Self.keptCandidates - exact.count) : []
            let shared = matches.count > 1 ? "; \(matches.count) profiles list it, the \(first.type) title of the lowest code wins" : ""
            return finish(.exactTitle, profile: first.profile, candidates: Array((exact + others).prefix(Self.keptCandidates)),
                          score: nil, note: "the title is an OaSIS \(first.type.lowercased()) title of \(group.profiles[first.profile].code)\(shared)")
        }
        if group.profiles.count == 1 {
            let candidates = explain ? score(key, in: group, of: unitGroup, limit: Self.keptCandidates) : [
                ResolutionCandidate(code: group.profiles[0].code, matched: group.profiles[0].label, kind: "label", score: nil),
            ]
            return finish(.singleProfile, profile: 0, candidates: candidates,
                          score: nil, note: "unit group \(unitGroup) has a single profile")
        }
        let candidates = score(key, in: group, of: unitGroup, limit: Self.keptCandidates)
        if let best = candidates.first, let score = best.score, score >= Self.fuzzyThreshold,
           let index = group.profiles.firstIndex(where: { $0.code == best.code }) {
            return finish(.fuzzy, profile: index, candidates: candidates, score: score,
                          note: "closest match \"\(best.matched)\" (\(best.kind)), WRatio \(Self.format(score)) >= \(Int(Self.fuzzyThreshold))")
        }
        let bestScore = candidates.first?.score
        let why = bestScore.map { "best WRatio \(Self.format($0)) < \(Int(Self.fuzzyThreshold))" } ?? "nothing to compare"
        return finish(.unitGroupFallback, profile: 0, candidates: candidates,
                      score: bestScore, note: "\(why): the unit group's main profile")
    }

    /// The best-scoring choice of each profile, best first (ties: labels first, then code order),
    /// leaving out the profiles in `excluded`: the first `limit`.
    func score(_ key: String, in group: Group, of unitGroup: String, excluding excluded: [Int] = [],
               limit: Int) -> [ResolutionCandidate] {
        guard limit > 0 else { return [] }
        let query = FuzzyScorer.Prepared(key, query: true)
        var best: [(score: Double, choice: Int)?] = Array(repeating: nil, count: group.profiles.count)
        if !query.scalars.isEmpty {
            let choices = preparedChoices.value(unitGroup) { FuzzyScorer.PreparedBatch(group.choices.map(\.key)) }
            var workspace = FuzzyScorer.Workspace()
            query.withView { queryText in
                choices.withViews { choiceTexts in
                    for index in 0..<choiceTexts.count {
                        // Only a score above the profile's best so far changes anything, and those are exact.
                        let profile = group.choices[index].profile
                        let current = best[profile]
                        let score = FuzzyScorer.wRatio(queryText, query.masks, choiceTexts[index], above: current?.score ?? -1,
                                                       workspace: &workspace)
                        if let current, current.score >= score { continue }
                        best[profile] = (score, index)
                    }
                }
            }
        } else {
            for (index, choice) in group.choices.enumerated() where best[choice.profile] == nil { best[choice.profile] = (0, index) }
        }
        var ranked: [(profile: Int, score: Double, choice: Choice)] = []
        for (profile, entry) in best.enumerated() where !excluded.contains(profile) {
            guard let entry else { continue }
            ranked.append((profile, entry.score, group.choices[entry.choice]))
        }
        ranked.sort { lhs, rhs in
            if lhs.score != rhs.score { return lhs.score > rhs.score }
            if (lhs.choice.kind == "label") != (rhs.choice.kind == "label") { return lhs.choice.kind == "label" }
            return lhs.profile < rhs.profile
        }
        return ranked.prefix(limit).map { item in
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

    /// `%.1f` without Foundation's formatter (costly on Linux, and every fuzzy resolution writes
    /// a score), except next to a rounding tie, where only the exact binary value decides the digit.
    static func format(_ score: Double) -> String {
        let tenths = score * 10
        guard score >= 0, score <= 1_000, abs(tenths - tenths.rounded(.down) - 0.5) > 1e-6 else {
            return String(format: "%.1f", score)
        }
        let rounded = Int(tenths.rounded())
        return "\(rounded / 10).\(rounded % 10)"
    }
}
