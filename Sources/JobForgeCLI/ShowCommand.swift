import ArgumentParser
import Foundation
import JobForgeBuild
import JobForgeCore
import JobForgeReport
import JobForgeStore

/// Filters shared by `show` and `export`.
public struct FilterOptions: ParsableArguments {
    @Option(name: .long, parsing: .upToNextOption,
            help: ArgumentHelp("Only these categories (several, or comma-separated).", valueName: "category"))
    public var category: [CommaSeparated<Category>] = []

    @Option(name: .long, parsing: .upToNextOption,
            help: ArgumentHelp("Only values from these sources (several, or comma-separated).", valueName: "source"))
    public var source: [CommaSeparated<Source>] = []

    @Option(name: .long, help: ArgumentHelp("Only values with at least this confidence (0-1).", valueName: "x"))
    public var minConfidence: Double?

    public init() {}

    /// Every category given, in order: `--category skills,abilities --category work-context`.
    public var categories: [Category] { category.flatMap(\.values) }

    /// Every source given, in order.
    public var sources: [Source] { source.flatMap(\.values) }

    public func validate() throws {
        if let minConfidence, !(0...1).contains(minConfidence) {
            throw ValidationError("--min-confidence must be between 0 and 1, not \(minConfidence)")
        }
    }

    /// The store's filter; checks the options first (ArgumentParser already has, for a parsed command).
    public func filter() throws -> CellFilter {
        try validate()
        return CellFilter(categories: category.isEmpty ? nil : Set(categories),
                          sources: source.isEmpty ? nil : Set(sources),
                          minimumConfidence: minConfidence)
    }
}

/// `jobforge show CODE`: a profile with every descriptor's value, grouped by category.
public struct ShowCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print a profile: a unit group (21211), an OaSIS profile (21211.00) or a job title (id or exact title)."
    )

    @Argument(help: "A unit group, an OaSIS profile code, or a job title's id or exact title.")
    public var subject: String

    @OptionGroup public var filters: FilterOptions
    @OptionGroup public var store: StoreOptions
    @OptionGroup public var output: OutputOptions

    public init() {}

    public func run() async throws {
        let db = try store.openStoreForReading()
        let out: StoreViews.Profile
        do {
            out = try StoreViews.profile(db, of: subject, filter: try filters.filter())
        } catch StoreViews.LookupError.unknownSubject {
            // A removed title is told apart from one that never was (when and why it was removed).
            throw ValidationError(try TitlesCLI.notFound(self.subject, in: db, storePath: store.path))
        } catch let error as StoreViews.LookupError {
            throw ValidationError("\(error) in \(store.path)")
        }
        let header = SubjectHeader(subject: out.subject, label: out.label, leadStatement: out.leadStatement,
                                   related: out.related, details: out.details)
        let subject = out.subject
        if output.json {
            try Terminal.printJSON(out)
            return
        }
        print(Formatting.heading(for: header))
        if let lead = header.leadStatement, !lead.isEmpty { print(Formatting.wrap(lead, indent: "  ")) }
        if out.categories.isEmpty {
            if subject.kind == .title, !(try db.isResolvedTitle(subject.code)) {
                print("\n" + Self.unresolvedExplanation(header))
            } else {
                print("\n(no values match the filters)")
            }
        }
        for group in out.categories {
            print("\n\(group.category.uppercased()) (\(group.cells.count))")
            for cell in group.cells {
                let value = Formatting.value(cell)
                let name = cell.descriptorName + (Formatting.isPrimary(cell) ? "" : " [\(cell.dimension)]")
                print("  \(cell.descriptorCode.padding(toLength: 8, withPad: " ", startingAt: 0)) "
                      + "\(Formatting.fit(name, 44)) \(value.padding(toLength: 6, withPad: " ", startingAt: 0)) "
                      + "\(Formatting.fit(cell.scale ?? "", 34)) \(cell.source.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0)) "
                      + String(format: "%.2f", cell.confidence))
            }
        }
    }
}

extension ShowCommand {
    /// Why an unresolved title has no values, and what to do about it.
    static func unresolvedExplanation(_ header: SubjectHeader) -> String {
        let method = header.details["method"] ?? "unresolved"
        let note = header.details["note"].map { ": \($0)" } ?? ""
        return """
            (job title \(header.subject.code) is not resolved to an OaSIS profile (\(method)\(note)),
            so it has no values to inherit. To resolve it:
              - give it a NOC 2021 code (or an unambiguous NOC 2016 code) in the job architecture and import it again: `jobforge titles import FILE`
              - or check a code first: `jobforge resolve "TITLE" --noc CODE`
              - or let the LLM propose a unit group: `jobforge suggest-noc --apply`)
            """
    }
}

enum Formatting {
    static func heading(for header: SubjectHeader) -> String {
        switch header.subject.kind {
        case .unitGroup:
            return "\(header.subject.code)  \(header.label)  (NOC 2021 unit group; profiles: \(header.related.joined(separator: ", ")))"
        case .profile:
            return "\(header.subject.code)  \(header.label)  (OaSIS profile of unit group \(header.related.first ?? "?"))"
        case .title:
            var text = "\(header.label)  (job title \(header.subject.code)"
            if let profile = header.related.first { text += "; profile \(profile)" }
            if let method = header.details["resolution_method"] ?? header.details["method"] { text += ", \(method)" }
            if let confidence = header.details["resolution_confidence"] ?? header.details["confidence"] { text += " \(confidence)" }
            return text + ")"
        }
    }

    static func value(_ cell: CellValue) -> String {
        if let text = cell.text, !text.isEmpty { return "\(number(cell.value)) \(text)" }
        return number(cell.value)
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.2f", value)
    }

    /// `0.950`: three decimals without String(format:), which is slow on Linux and runs per cell in exports.
    static func fixed3(_ value: Double) -> String {
        guard value.isFinite else { return String(value) }
        let thousandths = Int((abs(value) * 1000).rounded())
        let fraction = String(thousandths % 1000)
        return (value < 0 ? "-" : "") + String(thousandths / 1000) + "." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    /// The descriptor's main dimension is not printed; a second one is.
    static func isPrimary(_ cell: CellValue) -> Bool { cell.isMainDimension }

    static func fit(_ text: String, _ width: Int) -> String {
        text.count > width ? String(text.prefix(width - 1)) + "…" : text.padding(toLength: width, withPad: " ", startingAt: 0)
    }

    static func wrap(_ text: String, indent: String, width: Int = 100) -> String {
        var lines: [String] = []
        var line = indent
        for word in text.split(separator: " ") {
            if line.count + word.count + 1 > width, line != indent {
                lines.append(line)
                line = indent
            }
            line += (line == indent ? "" : " ") + word
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }
}
