import ArgumentParser
import Foundation
import JobForgeBuild
import JobForgeCore
import JobForgeStore

/// `jobforge explain SUBJECT DESCRIPTOR`: the whole story of a cell.
public struct ExplainCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show every candidate of a cell, which one wins and why, and every override event."
    )

    @Argument(help: "A unit group, an OaSIS profile code, or a job title's id or exact title.")
    public var subject: String

    @Argument(help: "A descriptor: guide code (A01a02) or name (case-insensitive).")
    public var descriptor: String

    @Option(name: .long, help: "The dimension, when the descriptor has several (level, importance, frequency, duration, ...).")
    public var dimension: String?

    @OptionGroup public var store: StoreOptions
    @OptionGroup public var output: OutputOptions

    public init() {}

    struct CellStory: Encodable {
        var subject: Subject
        var subjectLabel: String
        var descriptor: Descriptor
        var scale: DescriptorScale?
        var dimension: String
        var winner: StoredCandidate?
        var why: String
        var candidates: [StoredCandidate]
        var overrides: [OverrideEvent]
    }

    public func run() async throws {
        let db = try store.openStoreForReading()
        let directory = SubjectDirectory(db)
        guard let subject = try directory.subject(named: self.subject), let header = try directory.header(of: subject) else {
            throw ValidationError(try TitlesCLI.notFound(self.subject, in: db, storePath: store.path))
        }
        guard let info = try db.descriptor(matching: descriptor) else {
            throw ValidationError("no descriptor with code or name \"\(descriptor)\"; `jobforge descriptors` lists them")
        }
        var dimensions = info.scales.map(\.dimension)
        for dimension in try db.dimensionsWithValues(subject: subject, descriptor: info.descriptor.code) where !dimensions.contains(dimension) {
            dimensions.append(dimension)
        }
        if let wanted = dimension {
            let chosen = CellDimension(wanted.lowercased())
            guard dimensions.contains(chosen) else {
                throw ValidationError("\(info.descriptor.code) has no dimension \"\(wanted)\"; it has: \(dimensions.map(\.rawValue).joined(separator: ", "))")
            }
            dimensions = [chosen]
        }
        var stories: [CellStory] = []
        for dimension in dimensions {
            let key = CellKey(subject: subject, descriptor: info.descriptor.code, dimension: dimension)
            let candidates = try db.candidates(for: key)
            let winner = candidates.first(where: \.isWinner)
            stories.append(CellStory(subject: subject, subjectLabel: header.label, descriptor: info.descriptor,
                                     scale: info.scales.first { $0.dimension == dimension }, dimension: dimension.rawValue,
                                     winner: winner, why: Self.why(winner: winner, candidates: candidates),
                                     candidates: candidates, overrides: try db.overrides(for: key)))
        }
        if output.json {
            try Terminal.printJSON(stories)
            return
        }
        print("\(subject.code)  \(header.label)")
        print("\(info.descriptor.code)  \(info.descriptor.name)  (\(info.descriptor.category.rawValue))")
        print(Formatting.wrap(info.descriptor.definition, indent: "  "))
        for story in stories {
            print("\n[\(story.dimension)] scale: \(story.scale?.summary ?? "not stated")")
            if let winner = story.winner {
                print("  value: \(Formatting.number(winner.candidate.value))\(winner.candidate.text.map { " (\($0))" } ?? "") from \(winner.candidate.source.rawValue)")
            } else {
                print("  no value: no source has filled this cell")
            }
            print("  why: \(story.why)")
            print("  candidates (\(story.candidates.count)):")
            for stored in story.candidates {
                let c = stored.candidate
                print("    \(stored.isWinner ? "*" : " ") \(stored.origin.rowID.map { "#\($0)" } ?? "derived") \(c.source.rawValue) (precedence \(c.precedence)) value \(Formatting.number(c.value))\(c.text.map { " \($0)" } ?? "") confidence \(String(format: "%.2f", c.confidence))")
                print("        method \(c.method), level \(c.sourceLevel.rawValue), from \(c.sourceIDs.joined(separator: ", ")), release \(c.release ?? "-")")
                print("        at \(Timestamp.string(c.observedAt)), run \(stored.runID)")
                if let rationale = c.rationale { print("        rationale: \(rationale)") }
                if !c.metadata.isEmpty {
                    print("        " + c.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))
                }
            }
            if story.overrides.isEmpty {
                print("  overrides: none")
            } else {
                print("  overrides (\(story.overrides.count)):")
                for event in story.overrides {
                    let old = event.oldValue.map(Formatting.number) ?? "-"
                    print("    \(Timestamp.string(event.at)) run \(event.runID): \(event.oldSource?.rawValue ?? "-") \(old) -> \(event.newSource?.rawValue ?? "-") \(event.newValue.map(Formatting.number) ?? "-") (\(event.reason))")
                }
            }
        }
    }

    static func why(winner: StoredCandidate?, candidates: [StoredCandidate]) -> String {
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
