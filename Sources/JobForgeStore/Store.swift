import Foundation
import JobForgeCore

/// What a `submit` did.
public struct SubmitSummary: Sendable, Codable, Equatable {
    /// New candidates stored.
    public var inserted = 0
    /// Candidates identical to one already stored (same source, method, release, value): skipped.
    public var unchanged = 0
    /// Cells that had no value and got one.
    public var filled = 0
    /// Cells whose winner changed (each one an override event).
    public var overridden = 0
    /// Candidates kept below a better winner.
    public var keptBelow = 0

    public init() {}

    public static func + (lhs: SubmitSummary, rhs: SubmitSummary) -> SubmitSummary {
        var sum = lhs
        sum.inserted += rhs.inserted
        sum.unchanged += rhs.unchanged
        sum.filled += rhs.filled
        sum.overridden += rhs.overridden
        sum.keptBelow += rhs.keptBelow
        return sum
    }
}

/// Filters shared by `show`, `export` and the API.
public struct CellFilter: Sendable {
    public var categories: Set<Category>?
    public var sources: Set<Source>?
    public var minimumConfidence: Double?

    public init(categories: Set<Category>? = nil, sources: Set<Source>? = nil, minimumConfidence: Double? = nil) {
        self.categories = categories
        self.sources = sources
        self.minimumConfidence = minimumConfidence
    }
}

/// The heading of a profile: code, label, lead statement, and for a title its resolution.
public struct SubjectHeader: Sendable, Codable {
    public var subject: Subject
    public var label: String
    public var leadStatement: String?
    /// For a profile: its unit group; for a unit group: its profiles; for a title: its profile.
    public var related: [String]
    public var details: [String: String]

    public init(subject: Subject, label: String, leadStatement: String?, related: [String], details: [String: String]) {
        self.subject = subject
        self.label = label
        self.leadStatement = leadStatement
        self.related = related
        self.details = details
    }
}

/// A cell's winning value, with what a reader needs beside it.
public struct CellValue: Sendable, Codable {
    public var subject: Subject
    public var descriptorCode: String
    public var descriptorName: String
    public var category: Category
    public var dimension: CellDimension
    public var value: Double
    public var text: String?
    public var scale: String?
    public var source: Source
    public var precedence: Int
    public var method: CandidateMethod
    public var sourceLevel: SourceLevel
    public var sourceIDs: [String]
    public var confidence: Double
    public var rationale: String?
    public var release: String?
    public var observedAt: Date
    public var runID: String
    public var metadata: [String: String]
    /// The `candidate` row's id, 0 for a derived value (the wire form of ``origin``).
    public var candidateID: Int64
    public var isWinner: Bool
    /// The position of the cell's dimension among the descriptor's scales (1 = main); nil when
    /// the descriptor has no stated scale for it (O*NET importance of a skill, for one).
    public var scalePosition: Int?

    /// Whether this is the descriptor's main measure, which readers print without a qualifier.
    public var isMainDimension: Bool { scalePosition == 1 }
}

/// Where a cell's candidate is kept: a row of `candidate`, or derived from a layer when the
/// subject is read (`UnitGroupRule`, `TitleInheritanceRule`, the packed OaSIS and O*NET layers;
/// the candidate's method says which).
public enum CandidateOrigin: Sendable, Hashable, Comparable {
    case derived
    case stored(id: Int64)

    /// The `candidate` row's id; nil for a derived value.
    public var rowID: Int64? {
        if case .stored(let id) = self { return id }
        return nil
    }

    /// Derived values first, then rows in the order they were stored.
    public static func < (lhs: CandidateOrigin, rhs: CandidateOrigin) -> Bool { (lhs.rowID ?? 0) < (rhs.rowID ?? 0) }
}

/// A candidate of a cell, winning or not: a stored row, or a value the store derives.
public struct StoredCandidate: Sendable, Codable {
    public var origin: CandidateOrigin
    public var candidate: Candidate
    public var runID: String
    public var isWinner: Bool

    public init(origin: CandidateOrigin, candidate: Candidate, runID: String, isWinner: Bool) {
        self.origin = origin
        self.candidate = candidate
        self.runID = runID
        self.isWinner = isWinner
    }

    // JSON keeps the shape readers know: `id`, 0 for a derived value.
    private enum CodingKeys: String, CodingKey { case id, candidate, runID, isWinner }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let id = try container.decode(Int64.self, forKey: .id)
        origin = id == 0 ? .derived : .stored(id: id)
        candidate = try container.decode(Candidate.self, forKey: .candidate)
        runID = try container.decode(String.self, forKey: .runID)
        isWinner = try container.decode(Bool.self, forKey: .isWinner)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(origin.rowID ?? 0, forKey: .id)
        try container.encode(candidate, forKey: .candidate)
        try container.encode(runID, forKey: .runID)
        try container.encode(isWinner, forKey: .isWinner)
    }
}

/// One change of a cell's winner, as logged.
public struct OverrideEvent: Sendable, Codable {
    public var id: Int64
    public var key: CellKey
    public var oldCandidateID: Int64?
    /// nil when the new winner is derived (a unit group or title value from the authoritative layer).
    public var newCandidateID: Int64?
    public var oldValue: Double?
    /// nil (with `newSource`) when the old winner was withdrawn and nothing took its place: an
    /// LLM answer whose title changed since it was asked.
    public var newValue: Double?
    public var oldSource: Source?
    public var newSource: Source?
    public var reason: String
    public var at: Date
    public var runID: String
}

/// A descriptor with its scales, as `descriptors` lists it.
public struct DescriptorInfo: Sendable, Codable {
    public var descriptor: Descriptor
    public var scales: [DescriptorScale]
}

/// Cells per subject kind, source and category, for the build summary.
public struct CellCount: Sendable, Codable {
    public var subjectKind: String
    public var source: String
    public var category: String
    public var cells: Int
}

