import Foundation
import JobForgeCore
import JobForgeStore

/// How many cells each source filled and how many are still empty, out of `possible`.
///
/// ```swift
/// var tally = CellTally()
/// tally.count(.onet)          // one cell O*NET filled
/// tally.possible += 1
/// tally.empty                 // 0
/// ```
public struct CellTally: Sendable, Codable, Equatable {
    public var authoritative = 0
    public var onet = 0
    public var llm = 0
    /// Every cell the descriptor guide allows (descriptor x dimension), filled or not.
    public var possible = 0

    public init() {}

    public var filled: Int { authoritative + onet + llm }
    public var empty: Int { possible - filled }

    public func count(of source: Source) -> Int {
        switch source {
        case .authoritative: authoritative
        case .onet: onet
        case .llm: llm
        }
    }

    public mutating func count(_ source: Source, _ cells: Int = 1) {
        switch source {
        case .authoritative: authoritative += cells
        case .onet: onet += cells
        case .llm: llm += cells
        }
    }

    public mutating func add(_ other: CellTally) {
        authoritative += other.authoritative
        onet += other.onet
        llm += other.llm
        possible += other.possible
    }

    enum CodingKeys: String, CodingKey { case authoritative, onet, llm, empty, possible }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        authoritative = try container.decode(Int.self, forKey: .authoritative)
        onet = try container.decode(Int.self, forKey: .onet)
        llm = try container.decode(Int.self, forKey: .llm)
        possible = try container.decode(Int.self, forKey: .possible)
    }

    /// `empty` is written too, so that a reader of the JSON needs no arithmetic.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(authoritative, forKey: .authoritative)
        try container.encode(onet, forKey: .onet)
        try container.encode(llm, forKey: .llm)
        try container.encode(empty, forKey: .empty)
        try container.encode(possible, forKey: .possible)
    }
}

/// The titles' cells by category and dimension: what each source filled and what is still empty.
public struct Coverage: Sendable, Codable, Equatable {
    public struct DimensionCoverage: Sendable, Codable, Equatable {
        public var dimension: String
        public var cells: CellTally
    }

    public struct CategoryCoverage: Sendable, Codable, Equatable {
        public var category: String
        public var cells: CellTally
        public var dimensions: [DimensionCoverage]
    }

    /// One job title's cells, for the titles index.
    public struct TitleCoverage: Sendable, Codable, Equatable {
        public var id: String
        public var title: String
        public var titleFR: String?
        public var profileCode: String?
        public var resolutionMethod: String
        public var resolutionConfidence: Double
        public var cells: CellTally
    }

    public var titleCount: Int
    public var resolvedTitleCount: Int
    /// Descriptor x dimension pairs of the guide: the cells one title can have.
    public var possibleCellsPerTitle: Int
    public var total: CellTally
    public var categories: [CategoryCoverage]
    public var titles: [TitleCoverage]
}
