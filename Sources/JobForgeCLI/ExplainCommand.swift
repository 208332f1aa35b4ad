import ArgumentParser
import Foundation
import JobForgeBuild
import JobForgeCore
import JobForgeReport
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

    public func run() async throws {
        let db = try store.openStoreForReading()
        let stories: [StoreViews.CellStory]
        do {
            stories = try StoreViews.explanation(db, of: subject, descriptor: descriptor, dimension: dimension)
        } catch StoreViews.LookupError.unknownSubject {
            throw ValidationError(try TitlesCLI.notFound(self.subject, in: db, storePath: store.path))
        } catch let error as StoreViews.LookupError {
            throw ValidationError(error.description)
        }
        guard let first = stories.first else { throw ValidationError("\(descriptor) has no dimension") }
        if output.json {
            try Terminal.printJSON(stories)
            return
        }
        print("\(first.subject.code)  \(first.subjectLabel)")
        print("\(first.descriptor.code)  \(first.descriptor.name)  (\(first.descriptor.category.rawValue))")
        print(Formatting.wrap(first.descriptor.definition, indent: "  "))
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
}
