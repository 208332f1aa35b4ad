import Foundation

/// What a cell describes: a NOC unit group (L5), an OaSIS profile (L6) or a job title (L7).
public struct Subject: Hashable, Sendable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case unitGroup = "unit_group"
        case profile
        case title
    }

    public var kind: Kind
    /// `21211` for a unit group, `21211.00` for a profile, the title's id for a title.
    public var code: String

    public init(kind: Kind, code: String) {
        self.kind = kind
        self.code = code
    }

    public static func unitGroup(_ code: String) -> Subject { Subject(kind: .unitGroup, code: code) }
    public static func profile(_ code: String) -> Subject { Subject(kind: .profile, code: code) }
    public static func title(_ id: String) -> Subject { Subject(kind: .title, code: id) }

    public var description: String { "\(kind.rawValue):\(code)" }

    /// The hierarchy level of the subject itself.
    public var level: SourceLevel {
        switch kind {
        case .unitGroup: .l5
        case .profile: .l6
        case .title: .l7
        }
    }
}

/// The measure a value is on. OaSIS rates most descriptors on one measure; work context
/// descriptors can carry two (`Time Pressure`: frequency and importance), and O*NET adds
/// importance beside level. Open-ended so that new sources can add measures.
public struct CellDimension: RawRepresentable, Hashable, Sendable, Codable, Comparable, CustomStringConvertible,
                             ExpressibleByStringLiteral {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    /// `"importance"` where a dimension is expected: `cell.dimension == "importance"`.
    public init(stringLiteral value: String) { self.rawValue = value }

    /// Proficiency / knowledge / complexity level: OaSIS's main rating, O*NET's `LV`.
    public static let level = CellDimension("level")
    /// Importance: O*NET's `IM`; OaSIS personal attributes and some work context.
    public static let importance = CellDimension("importance")
    /// Work context: how often.
    public static let frequency = CellDimension("frequency")
    /// Work context: how long.
    public static let duration = CellDimension("duration")
    /// Work context measured on its own scale (degree of automation, hours, ...).
    public static let context = CellDimension("context")
    /// Holland interest: the rank (1, 2, 3) at which the interest appears in the profile's code.
    public static let interestRank = CellDimension("interest_rank")

    public var description: String { rawValue }
    public static func < (lhs: CellDimension, rhs: CellDimension) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One cell of a profile: a subject, a descriptor and a dimension. It holds one winning value
/// and any number of lower candidates.
public struct CellKey: Hashable, Sendable, Codable, CustomStringConvertible {
    public var subject: Subject
    /// The descriptor's code: an OaSIS guide code (`A01a02`) or an O*NET-only element id.
    public var descriptor: String
    public var dimension: CellDimension

    public init(subject: Subject, descriptor: String, dimension: CellDimension) {
        self.subject = subject
        self.descriptor = descriptor
        self.dimension = dimension
    }

    public var description: String { "\(subject) \(descriptor) \(dimension)" }
}

/// How a candidate's value was obtained. A struct rather than an enum because a source (or a
/// user's submission) may name its own method; the ones JobForge writes are named here.
///
///     candidate.method == .oasisRating       // read from an OaSIS rating file
///     CandidateMethod("expert_panel")        // a method a submitter names
public struct CandidateMethod: RawRepresentable, Hashable, Sendable, Codable, Comparable, CustomStringConvertible,
                               ExpressibleByStringLiteral {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    /// A profile's value as its OaSIS rating file gives it.
    public static let oasisRating = CandidateMethod("oasis_rating")
    /// A unit group's value taken from its only profile.
    public static let singleProfile = CandidateMethod("single_profile")
    /// A unit group's value taken from its main (`.00`) profile.
    public static let mainProfile = CandidateMethod("main_profile")
    /// A unit group's value as the mean of its profiles.
    public static let profileMean = CandidateMethod("profile_mean")
    /// A job title's value inherited from its resolved profile.
    public static let inherited = CandidateMethod("inherited")
    /// O*NET: one crosswalked occupation's rating, rescaled.
    public static let onetRating = CandidateMethod("onet_rating")
    /// O*NET: the mean over several crosswalked occupations, rescaled.
    public static let onetMean = CandidateMethod("onet_mean")
    /// An LLM's answer.
    public static let llmImputation = CandidateMethod("llm_imputation")

    public var description: String { rawValue }
    public static func < (lhs: CandidateMethod, rhs: CandidateMethod) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A value offered for a cell by one source, with everything needed to audit it.
public struct Candidate: Sendable, Codable, Equatable {
    public var key: CellKey
    /// The value on the descriptor's own scale. OaSIS `0` ("not applicable") is a value.
    public var value: Double
    /// The value as the source wrote it when it is not just the number (`E` for a Holland code).
    public var text: String?
    public var source: Source
    /// How the value was obtained: `.oasisRating`, `.inherited`, `.profileMean`, `.onetMean`, ...
    public var method: CandidateMethod
    /// The hierarchy level the value was taken from.
    public var sourceLevel: SourceLevel
    /// What the value was read from: profile codes, O*NET-SOC codes, a request id.
    public var sourceIDs: [String]
    /// 0...1: how sure we are that this value describes this subject.
    public var confidence: Double
    public var rationale: String?
    /// The release the value belongs to (`OaSIS 2023 v1.0`, `O*NET 29.3`, a model name).
    public var release: String?
    /// When the value was produced.
    public var observedAt: Date
    /// Source-specific facts kept for audit: native scale and value, count and spread, model.
    public var metadata: [String: String]
    /// The subject's context the value was produced for: an LLM answer is tied to the title as
    /// it was asked (its text, codes and profile). Nil for a value that holds whatever the
    /// subject's context. See ``CascadeGraph/counts(askedContext:currentContext:)``.
    public var askedContext: String?

    public init(key: CellKey, value: Double, text: String? = nil, source: Source, method: CandidateMethod,
                sourceLevel: SourceLevel, sourceIDs: [String], confidence: Double, rationale: String? = nil,
                release: String?, observedAt: Date, metadata: [String: String] = [:], askedContext: String? = nil) {
        self.key = key
        self.value = value
        self.text = text
        self.source = source
        self.method = method
        self.sourceLevel = sourceLevel
        self.sourceIDs = sourceIDs
        self.confidence = confidence
        self.rationale = rationale
        self.release = release
        self.observedAt = observedAt
        self.metadata = metadata
        self.askedContext = askedContext
    }

    public var precedence: Int { source.precedence }
}
