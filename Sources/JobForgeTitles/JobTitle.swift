import Foundation
import JobForgeCore

/// One title of a job architecture, as the user's spreadsheet gives it.
public struct JobTitle: Sendable, Codable, Equatable {
    /// The id column's value, or, without one, a key derived from the title and its code
    /// (`t-` + 12 hex digits) so that a re-import finds the same row.
    public var id: String
    public var title: String
    public var titleFR: String?
    public var function: String?
    public var family: String?
    public var managerialLevel: String?
    /// The NOC 2021 unit group as given (normalized to five digits).
    public var noc2021: String?
    /// The NOC 2016 unit group as given (normalized to four digits).
    public var noc2016: String?
    /// Every column the mapping does not name, by header, kept as-is.
    public var extra: [String: String]
    public var sourceFile: String
    public var sourceLine: Int
    /// The file's `profile` column as given: the import pins the title to it (`title_pin`).
    public var profile: String?

    public init(id: String, title: String, titleFR: String? = nil, function: String? = nil, family: String? = nil,
                managerialLevel: String? = nil, noc2021: String? = nil, noc2016: String? = nil,
                extra: [String: String] = [:], sourceFile: String = "", sourceLine: Int = 0, profile: String? = nil) {
        self.id = id
        self.title = title
        self.titleFR = titleFR
        self.function = function
        self.family = family
        self.managerialLevel = managerialLevel
        self.noc2021 = noc2021
        self.noc2016 = noc2016
        self.extra = extra
        self.sourceFile = sourceFile
        self.sourceLine = sourceLine
        self.profile = profile
    }

    /// The key of a title without an id column: stable across imports of the same file.
    public static func derivedID(title: String, noc2021: String?, noc2016: String?) -> String {
        let key = [title.matchKey, noc2021 ?? "", noc2016 ?? ""].joined(separator: "|")
        return "t-" + SHA256.hex(key).prefix(12)
    }

    public var hasCode: Bool { noc2021 != nil || noc2016 != nil }
}

/// How a title's NOC 2021 unit group was found.
public enum UnitGroupSource: String, Sendable, Codable, Equatable {
    /// The NOC 2021 column.
    case noc2021 = "noc2021"
    /// The NOC 2016 column through the shipped concordance, one-to-one.
    case noc2016Concordance = "noc2016_concordance"
    /// No code was given; an LLM proposed the unit group (`jobforge suggest-noc --apply`). Never
    /// used for a title with a code of the user's.
    case llmSuggestion = "llm_suggestion"
    /// A person settled it: `jobforge titles pin ID --noc CODE`, or a pin to a profile.
    case manual = "manual"
}

/// How a title was resolved to an OaSIS profile, strongest first.
public enum ResolutionMethod: String, Sendable, Codable, CaseIterable, Equatable {
    /// A person pinned the title to a profile (`jobforge titles pin ID PROFILE`, or the file's
    /// `profile` column): it outranks every automatic method.
    case manual = "manual"
    case exactLabel = "exact_label"
    case exactTitle = "exact_title"
    case singleProfile = "single_profile"
    case fuzzy = "fuzzy"
    case unitGroupFallback = "unit_group_fallback"
    /// No NOC code at all: nothing to resolve against.
    case noCode = "no_code"
    /// A NOC 2016 code that the concordance maps to several 2021 unit groups.
    case ambiguousNOC2016 = "noc2016_ambiguous"
    /// A valid unit group with no OaSIS profile in the store.
    case noProfile = "no_profile"
    /// A code that is not a NOC 2021 unit group, or a NOC 2016 code the concordance does not know.
    case unknownCode = "unknown_code"

    /// The confidence the method gives the title -> profile link.
    public var confidence: Double {
        switch self {
        case .manual, .exactLabel: 1.00
        case .exactTitle: 0.95
        case .singleProfile: 0.85
        case .fuzzy: 0.60
        case .unitGroupFallback: 0.40
        case .noCode, .ambiguousNOC2016, .noProfile, .unknownCode: 0
        }
    }

    public var isResolved: Bool { confidence > 0 }

    /// Accepts the raw value, dashes for underscores, and a few short names (`exact`, `fallback`).
    public init?(userInput: String) {
        let key = userInput.lowercased().replacingOccurrences(of: "-", with: "_").trimmingCharacters(in: .whitespaces)
        if let method = ResolutionMethod(rawValue: key) { self = method; return }
        switch key {
        case "label": self = .exactLabel
        case "title", "example_title": self = .exactTitle
        case "single": self = .singleProfile
        case "fallback", "unit_group": self = .unitGroupFallback
        case "unresolved_no_code", "none": self = .noCode
        case "ambiguous": self = .ambiguousNOC2016
        case "pinned", "pin": self = .manual
        default: return nil
        }
    }
}

/// One profile the resolver considered, with why.
public struct ResolutionCandidate: Sendable, Codable, Equatable {
    /// The OaSIS profile code, or for an ambiguous NOC 2016 code the 2021 unit group.
    public var code: String
    /// What matched: the profile label or the OaSIS title.
    public var matched: String
    /// `label`, `example_title` (with its type), or `unit_group`.
    public var kind: String
    /// The WRatio score (0...100) of the title against `matched`, when one was computed.
    public var score: Double?

    public init(code: String, matched: String, kind: String, score: Double?) {
        self.code = code
        self.matched = matched
        self.kind = kind
        self.score = score
    }
}

/// Where a title landed: its unit group, its profile, how and how sure.
public struct TitleResolution: Sendable, Codable, Equatable {
    public var unitGroup: String?
    public var unitGroupSource: UnitGroupSource?
    public var profileCode: String?
    public var profileLabel: String?
    public var method: ResolutionMethod
    public var confidence: Double
    /// The best WRatio score, kept for fuzzy matches (and shown for the others that computed one).
    public var fuzzyScore: Double?
    /// The best candidates considered, best first.
    public var candidates: [ResolutionCandidate]
    /// A sentence for the user: what happened and, when unresolved, what to do.
    public var note: String

    public init(unitGroup: String?, unitGroupSource: UnitGroupSource?, profileCode: String?, profileLabel: String?,
                method: ResolutionMethod, confidence: Double, fuzzyScore: Double?, candidates: [ResolutionCandidate],
                note: String) {
        self.unitGroup = unitGroup
        self.unitGroupSource = unitGroupSource
        self.profileCode = profileCode
        self.profileLabel = profileLabel
        self.method = method
        self.confidence = confidence
        self.fuzzyScore = fuzzyScore
        self.candidates = candidates
        self.note = note
    }

    /// The resolution as the engine's inheritance rule takes it; nil when there is no profile.
    public func inheritance(titleID: String) -> TitleInheritanceRule.Resolution? {
        profileCode.map {
            TitleInheritanceRule.Resolution(titleID: titleID, profileCode: $0, method: method.rawValue, confidence: confidence,
                                            unitGroupSource: unitGroupSource?.rawValue, fuzzyScore: fuzzyScore)
        }
    }

    /// Whether the title inherits its profile's cells (`TitleInheritanceRule.Resolution.isResolved`).
    public var isResolved: Bool { inheritance(titleID: "")?.isResolved ?? false }
}
