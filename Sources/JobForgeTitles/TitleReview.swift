import Foundation
import JobForgeCore

/// A unit group proposed for a title by some coder (an offline NOC coder, say), with its evidence.
public struct SuggestedUnitGroupRanking: Sendable, Codable, Equatable {
    public var unitGroup: String
    /// The coder's score for it (0...1).
    public var score: Double
    /// Why, in the coder's words (the matched words, the example title).
    public var evidence: String

    public init(unitGroup: String, score: Double, evidence: String) {
        self.unitGroup = unitGroup
        self.score = score
        self.evidence = evidence
    }
}

/// The seam where a provider of "suggested unit groups for a title" plugs into the review: the
/// composition root (CLI, Build) hands one in; the Titles source never imports its module. The
/// review asks it twice over: for a title without a usable code (which groups to pin it to) and
/// for a title whose NOC 2021 code was given (is that code in doubt).
///
/// ```swift
/// struct Coder: UnitGroupSuggesting {
///     func suggestions(for title: JobTitle) throws -> [SuggestedUnitGroupRanking] { ... best first ... }
/// }
/// let queue = try TitleReview(suggester: Coder()).queue(records, pins: pins)
/// ```
public protocol UnitGroupSuggesting: Sendable {
    /// The unit groups that fit the title, best first: for a title without a NOC 2021 unit group
    /// of its own (no code, an unknown one), the best ones; for a title with one, those that fit
    /// clearly better than its code, or none when its code fits.
    func suggestions(for title: JobTitle) throws -> [SuggestedUnitGroupRanking]
}

/// Why a title needs a person, with its evidence.
public enum ReviewReason: Sendable, Equatable {
    /// No NOC code at all; the unit groups a coder suggests for the title, if any.
    case noCode(suggested: [SuggestedUnitGroupRanking])
    /// A code that is not a NOC 2021 unit group (or an unknown NOC 2016 code), as given; the unit
    /// groups a coder suggests for the title, if any.
    case unknownCode(given: String, suggested: [SuggestedUnitGroupRanking])
    /// A NOC 2016 code that maps to several NOC 2021 unit groups.
    case ambiguousNOC2016(code: String, unitGroups: [ResolutionCandidate])
    /// A unit group without an OaSIS profile in the store.
    case noProfile(unitGroup: String)
    /// Several profiles within `TitleReview.tieMargin` of the best score: the choice was arbitrary.
    case tie(profiles: [ResolutionCandidate])
    /// A fuzzy match or the unit group's main profile: a guess.
    case lowConfidence(method: ResolutionMethod, confidence: Double, candidates: [ResolutionCandidate])
    /// The title's unit group is not among what a coder suggests for it (`UnitGroupSuggesting`).
    case codeInDoubt(unitGroup: String, suggested: [SuggestedUnitGroupRanking])

    /// The reason's name in `--json` and on the terminal.
    public var kind: String {
        switch self {
        case .noCode: "no_code"
        case .unknownCode: "unknown_code"
        case .ambiguousNOC2016: "ambiguous_noc2016"
        case .noProfile: "no_profile"
        case .tie: "tie"
        case .lowConfidence: "low_confidence"
        case .codeInDoubt: "code_in_doubt"
        }
    }
}

/// A title that needs a person: why, and the exact commands that settle it (the first is the
/// likeliest).
public struct ReviewItem: Sendable, Equatable {
    public var titleID: String
    public var title: String
    public var unitGroup: String?
    public var profileCode: String?
    public var method: ResolutionMethod
    public var confidence: Double
    public var reason: ReviewReason
    /// One sentence: what is wrong, with the evidence.
    public var detail: String
    public var actions: [String]
}

/// The review queue: every title that needs a person. Pinned titles never appear (a person
/// decided); a title appears once, for its most pressing reason (unresolved, then a tie, then a
/// low-confidence method, then a code in doubt).
public struct TitleReview: Sendable {
    /// Profiles scoring within this many points of the best score are tied.
    public static let tieMargin: Double = 1
    /// How many suggestions a code in doubt, or a title without a usable code, keeps as evidence.
    static let keptSuggestions = 3

    public var suggester: (any UnitGroupSuggesting)?

    public init(suggester: (any UnitGroupSuggesting)? = nil) {
        self.suggester = suggester
    }

    /// The candidates tied with the best one (itself included), in their order; empty when
    /// fewer than two distinct profiles are within `tieMargin` of the best score.
    ///
    ///     tied([a 90.0, b 90.0, c 89.5, d 80]) // [a, b, c]
    ///     tied([a 100, b 85])                  // []
    public static func tied(_ candidates: [ResolutionCandidate]) -> [ResolutionCandidate] {
        let scored = candidates.filter { $0.score != nil && $0.kind != "unit_group" }
        guard let best = scored.map({ $0.score! }).max() else { return [] }
        var seen: Set<String> = []
        let tied = scored.filter { best - $0.score! <= tieMargin && seen.insert($0.code).inserted }
        return tied.count > 1 ? tied : []
    }

    /// The queue for these titles, in their order.
    public func queue(_ records: [JobTitleRecord], pins: [String: TitlePin]) throws -> [ReviewItem] {
        try records.compactMap { record in
            guard pins[record.id] == nil else { return nil }
            return try item(record)
        }
    }

    func item(_ record: JobTitleRecord) throws -> ReviewItem? {
        let resolution = TitleImporter.resolution(record)
        let id = Self.shellWord(record.id)
        let why = #"--reason "...""#
        func make(_ reason: ReviewReason, _ detail: String, _ actions: [String]) -> ReviewItem {
            ReviewItem(titleID: record.id, title: record.title, unitGroup: record.unitGroup, profileCode: record.profileCode,
                       method: record.method, confidence: record.confidence, reason: reason, detail: detail, actions: actions)
        }
        // A title without a usable code: the coder's groups, best first, are the likeliest pins.
        func uncoded(_ detail: String, _ reason: ([SuggestedUnitGroupRanking]) -> ReviewReason) throws -> ReviewItem {
            var title = TitleImporter.jobTitle(record)
            title.noc2021 = nil
            title.noc2016 = nil
            let suggested = Array(try suggester?.suggestions(for: title).prefix(Self.keptSuggestions) ?? [])
            let evidence = suggested.isEmpty ? "" : "; suggested: " + Self.describe(suggested)
            return make(reason(suggested), detail + evidence,
                        suggested.map { "jobforge titles pin \(id) --noc \($0.unitGroup) \(why)" }
                            + ["jobforge titles pin \(id) --noc UNIT_GROUP \(why)"])
        }
        switch record.method {
        case .noCode:
            return try uncoded("no NOC code") { .noCode(suggested: $0) }
        case .unknownCode:
            let given = record.noc2021 ?? record.noc2016 ?? ""
            return try uncoded(record.note) { .unknownCode(given: given, suggested: $0) }
        case .ambiguousNOC2016:
            let groups = resolution.candidates
            return make(.ambiguousNOC2016(code: record.noc2016 ?? "", unitGroups: groups),
                        "NOC 2016 \(record.noc2016 ?? "") maps to \(groups.count) NOC 2021 unit groups: "
                            + groups.map { "\($0.code) \($0.matched)" }.joined(separator: "; "),
                        groups.map { "jobforge titles pin \(id) --noc \($0.code) \(why)" })
        case .noProfile:
            let group = record.unitGroup ?? ""
            return make(.noProfile(unitGroup: group), record.note, ["jobforge build"])
        case .manual, .exactLabel, .exactTitle, .singleProfile, .fuzzy, .unitGroupFallback:
            break
        }
        // A code in doubt comes first: while the unit group is wrong, choosing a profile within it is
        // moot. Only a given NOC 2021 code is audited (a unit group from NOC 2016 or a pin is not).
        if let suggester, let unitGroup = record.unitGroup, record.noc2021 != nil {
            let suggested = try suggester.suggestions(for: TitleImporter.jobTitle(record)).prefix(Self.keptSuggestions)
            if let best = suggested.first, !suggested.contains(where: { $0.unitGroup == unitGroup }) {
                return make(.codeInDoubt(unitGroup: unitGroup, suggested: Array(suggested)),
                            "unit group \(unitGroup) is not among the suggested ones: " + Self.describe(Array(suggested)),
                            ["jobforge titles pin \(id) --noc \(best.unitGroup) \(why)", "jobforge titles pin \(id) --noc \(unitGroup) \(why)"])
            }
        }
        let tied = Self.tied(resolution.candidates)
        if !tied.isEmpty {
            let score = tied[0].score.map { String(format: "%.1f", $0) } ?? "-"
            return make(.tie(profiles: tied),
                        "\(tied.count) profiles within \(Int(Self.tieMargin)) point of the best score (\(score)): "
                            + tied.map { "\($0.code) \"\($0.matched)\" \($0.score.map { String(format: "%.1f", $0) } ?? "-")" }
                            .joined(separator: ", ") + "; \(record.profileCode ?? "-") was taken",
                        tied.map { "jobforge titles pin \(id) \($0.code) \(why)" })
        }
        if record.method == .fuzzy || record.method == .unitGroupFallback {
            let others = resolution.candidates.filter { $0.code != record.profileCode }.prefix(2)
            let score = record.fuzzyScore.map { String(format: ", best score %.1f", $0) } ?? ""
            return make(.lowConfidence(method: record.method, confidence: record.confidence, candidates: resolution.candidates),
                        "\(record.method.rawValue) (confidence \(String(format: "%.2f", record.confidence))\(score)): \(record.note)",
                        ["jobforge titles pin \(id) \(record.profileCode ?? "PROFILE") \(why)"]
                            + others.map { "jobforge titles pin \(id) \($0.code) \(why)" })
        }
        return nil
    }

    /// Suggestions as evidence: `31301 (0.82: Registered nurses; matched "nurse"); ...`.
    static func describe(_ suggested: [SuggestedUnitGroupRanking]) -> String {
        suggested.map { "\($0.unitGroup) (\(String(format: "%.2f", $0.score)): \($0.evidence))" }.joined(separator: "; ")
    }

    /// `word` as one shell word: unchanged when it is plain, else in single quotes.
    static func shellWord(_ word: String) -> String {
        let plain = !word.isEmpty && word.unicodeScalars.allSatisfy {
            CharacterSet.alphanumerics.contains($0) || "-_.:/+@".unicodeScalars.contains($0)
        }
        return plain ? word : "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}
