import Foundation
import JobForgeBuild
import JobForgeCore
import JobForgeStore

/// What `show` and `explain` print and `serve` answers, read once for all three.
///
/// ```swift
/// let profile = try StoreViews.profile(store, of: "JA-0002", filter: CellFilter(categories: [.skills]))
/// let stories = try StoreViews.explanation(store, of: "21211", descriptor: "A01a02")
/// ```
public enum StoreViews {
    /// A subject's header and winning cells, grouped by category in guide order.
    public struct Profile: Sendable, Encodable {
        public var subject: Subject
        public var label: String
        public var leadStatement: String?
        public var related: [String]
        public var details: [String: String]
        public var categories: [CategoryCells]
    }

    public struct CategoryCells: Sendable, Encodable {
        public var category: String
        public var cells: [CellValue]
    }

    /// One cell's whole story: candidates, the winner and why, override events.
    public struct CellStory: Sendable, Encodable {
        public var subject: Subject
        public var subjectLabel: String
        public var descriptor: Descriptor
        public var scale: DescriptorScale?
        public var dimension: String
        public var winner: StoredCandidate?
        public var why: String
        public var candidates: [StoredCandidate]
        public var overrides: [OverrideEvent]
    }

    /// A subject, descriptor or dimension the store does not have; the text says how to find one.
    public enum LookupError: Error, Equatable, CustomStringConvertible {
        case unknownSubject(String)
        case unknownDescriptor(String)
        case unknownDimension(descriptor: String, wanted: String, has: [String])

        public var description: String {
            switch self {
            case .unknownSubject(let text): "no unit group, profile or job title \"\(text)\""
            case .unknownDescriptor(let text): "no descriptor with code or name \"\(text)\"; `jobforge descriptors` lists them"
            case .unknownDimension(let code, let wanted, let has): "\(code) has no dimension \"\(wanted)\"; it has: \(has.joined(separator: ", "))"
            }
        }
    }

    public static func profile(_ store: SQLiteStore, of text: String, filter: CellFilter) throws -> Profile {
        let directory = SubjectDirectory(store)
        guard let subject = try directory.subject(named: text), let header = try directory.header(of: subject) else {
            throw LookupError.unknownSubject(text)
        }
        let cells = try store.winners(of: subject, filter: filter)
        let grouped = Category.allCases.map { category in
            CategoryCells(category: category.rawValue, cells: cells.filter { $0.category == category })
        }.filter { !$0.cells.isEmpty }
        let others = Dictionary(grouping: cells.filter { !Category.allCases.contains($0.category) }, by: \.category.rawValue)
            .sorted { $0.key < $1.key }.map { CategoryCells(category: $0.key, cells: $0.value) }
        return Profile(subject: subject, label: header.label, leadStatement: header.leadStatement,
                       related: header.related, details: header.details, categories: grouped + others)
    }

    /// Every dimension of the descriptor for the subject (or only `dimension`).
    public static func explanation(_ store: SQLiteStore, of text: String, descriptor: String,
                                   dimension wanted: String? = nil) throws -> [CellStory] {
        let directory = SubjectDirectory(store)
        guard let subject = try directory.subject(named: text), let header = try directory.header(of: subject) else {
            throw LookupError.unknownSubject(text)
        }
        guard let info = try store.descriptor(matching: descriptor) else { throw LookupError.unknownDescriptor(descriptor) }
        var dimensions = info.scales.map(\.dimension)
        for dimension in try store.dimensionsWithValues(subject: subject, descriptor: info.descriptor.code) where !dimensions.contains(dimension) {
            dimensions.append(dimension)
        }
        if let wanted {
            let chosen = CellDimension(wanted.lowercased())
            guard dimensions.contains(chosen) else {
                throw LookupError.unknownDimension(descriptor: info.descriptor.code, wanted: wanted, has: dimensions.map(\.rawValue))
            }
            dimensions = [chosen]
        }
        return try dimensions.map { dimension in
            let key = CellKey(subject: subject, descriptor: info.descriptor.code, dimension: dimension)
            let candidates = try store.candidates(for: key)
            let winner = candidates.first(where: \.isWinner)
            return CellStory(subject: subject, subjectLabel: header.label, descriptor: info.descriptor,
                             scale: info.scales.first { $0.dimension == dimension }, dimension: dimension.rawValue,
                             winner: winner, why: why(winner: winner, candidates: candidates),
                             candidates: candidates, overrides: try store.overrides(for: key))
        }
    }

    /// The winner rule in words: what it outranks, or that it is the newest of its precedence.
    public static func why(winner: StoredCandidate?, candidates: [StoredCandidate]) -> String {
        guard let winner else { return "no candidate" }
        // Derived values have no row: tell them apart by their content.
        let others = candidates.filter { !($0.origin == winner.origin && $0.candidate == winner.candidate) }
        if others.isEmpty { return "the only candidate" }
        let lower = others.filter { $0.candidate.precedence < winner.candidate.precedence }
        let same = others.filter { $0.candidate.precedence == winner.candidate.precedence }
        var parts: [String] = []
        if !lower.isEmpty {
            parts.append("\(winner.candidate.source.rawValue) (precedence \(winner.candidate.precedence)) outranks \(Set(lower.map(\.candidate.source.rawValue)).sorted().joined(separator: ", "))")
        }
        if !same.isEmpty { parts.append("newest of \(same.count + 1) candidates of the same precedence") }
        return parts.joined(separator: "; ")
    }
}
