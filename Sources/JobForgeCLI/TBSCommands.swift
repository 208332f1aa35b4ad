import ArgumentParser
import Foundation
import JobForgeCore
import JobForgeNet
import JobForgeStore
import JobForgeTBS

/// `jobforge tbs`: the Treasury Board occupational groups table and the pages it links.
public struct TBSCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "tbs",
        abstract: "Scrape, refresh, show and export the Treasury Board's occupational groups (canada.ca, EN + FR).",
        subcommands: [TBSScrapeCommand.self, TBSRefreshCommand.self, TBSDiffCommand.self, TBSShowCommand.self, TBSExportCommand.self]
    )

    public init() {}
}

enum TBSLanguageChoice: String, ExpressibleByArgument, CaseIterable {
    case en, fr, both
    var languages: [TBSLanguage] {
        switch self {
        case .en: [.en]
        case .fr: [.fr]
        case .both: [.en, .fr]
        }
    }
}

/// Options shared by `scrape` and `refresh`.
struct TBSCrawlOptions: ParsableArguments {
    @Option(help: "Which page(s): en, fr or both.")
    var lang: TBSLanguageChoice = .both

    @Option(name: .customLong("base-url"), help: ArgumentHelp(
        "Fetch canada.ca pages from this host instead (a mirror or a test server); also TBS_BASE_URL.", valueName: "url"))
    var baseURL: String?

    @Option(help: "Seconds between two requests to the same host.")
    var delay: Double = 1

    @Option(help: "How deep to follow links: 1 = documents the table links, 2 = also those their sections link.")
    var depth: Int = 2

    /// The flags, checked when parsed. `scrape` checks again, since it also reads `TBS_BASE_URL`.
    func validate() throws {
        if let baseURL, !baseURL.isEmpty, ArgumentValues.httpURL(baseURL) == nil {
            throw ValidationError("--base-url \(baseURL) is not an http(s) URL")
        }
        guard delay >= 0 else { throw ValidationError("--delay must be 0 or more seconds") }
        guard (0...2).contains(depth) else { throw ValidationError("--depth must be 0, 1 or 2") }
    }

    func scrape(store: SQLiteStore, conditional: Bool) async throws -> TBSScraper.Outcome {
        let base = baseURL ?? ProcessInfo.processInfo.environment["TBS_BASE_URL"]
        var baseURL: URL?
        if let base, !base.isEmpty {
            guard let url = URL(string: base), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw ValidationError("--base-url \(base) is not an http(s) URL")
            }
            baseURL = url
        }
        guard delay >= 0 else { throw ValidationError("--delay must be 0 or more seconds") }
        guard (0...2).contains(depth) else { throw ValidationError("--depth must be 0, 1 or 2") }
        let fetcher = PoliteFetcher(transport: URLSessionTransport(), policy: TBSFetchPolicy(delay: delay, baseURL: baseURL))
        let scraper = TBSScraper(fetcher: fetcher, store: store,
                                 options: TBSScrapeOptions(languages: lang.languages, conditional: conditional, maxDepth: depth))
        let progress = ProgressLine(conditional ? "tbs refresh" : "tbs scrape")
        defer { progress.finish() }
        return try await scraper.run { step in
            progress.update(step.done, detail: step.url.components(separatedBy: "/").last ?? "")
        }
    }
}

func printTBSSummary(_ outcome: TBSScraper.Outcome, json: Bool) throws {
    if json { try Terminal.printJSON(outcome.summary); return }
    let summary = outcome.summary
    print("scrape \(summary.scrapeID): \(outcome.record.requests) requests, \(outcome.record.bytesReceived) bytes from \(outcome.record.fetchedFrom)")
    print("  new versions \(summary.newVersions), unchanged \(summary.unchangedPages), not modified \(summary.notModifiedPages)")
    print("  not found \(summary.notFound), failed \(summary.failed), not followed \(summary.notFollowed)")
    print("  rows stored \(summary.rowsStored), sections stored \(summary.sectionsStored)")
    for page in outcome.record.pages where page.result == .failed {
        print("  failed: \(page.url): \(page.reason ?? "")")
    }
}

/// A language left out of a scrape is an error: named on stderr, exit status 1. What succeeded
/// is stored already.
func failOnLanguageFailures(_ outcome: TBSScraper.Outcome, command: String) throws {
    guard !outcome.failures.isEmpty else { return }
    let stored = outcome.record.languages.map(\.rawValue).joined(separator: ", ")
    for failure in outcome.failures {
        Terminal.printError("error: the \(failure.language.rawValue) page could not be read: \(failure.url): \(failure.reason)")
    }
    let failed = outcome.failures.map(\.language.rawValue)
    Terminal.printError("The \(stored) page(s) and their documents were stored (scrape \(outcome.summary.scrapeID)); "
        + "run `jobforge tbs \(command) --lang \(failed.count == 1 ? failed[0] : "both")` again once the page is back "
        + "(or, if canada.ca changed its structure, update the parser in JobForgeTBS).")
    throw ExitCode(1)
}

struct TBSScrapeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scrape", abstract: "Fetch the occupational groups page(s), parse the table, follow links two levels deep, store all with provenance.",
        discussion: "Creates the store if there is none (a file that is not a JobForge store is refused).")
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var crawl: TBSCrawlOptions

    func run() async throws {
        let outcome = try await crawl.scrape(store: try store.openStore(), conditional: false)
        try printTBSSummary(outcome, json: output.json)
        try failOnLanguageFailures(outcome, command: "scrape")
    }
}

struct TBSRefreshCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refresh", abstract: "Re-check the pages with conditional requests; store a new version only for pages that changed.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var crawl: TBSCrawlOptions

    func run() async throws {
        let outcome = try await crawl.scrape(store: try store.openExistingStore(), conditional: true)
        try printTBSSummary(outcome, json: output.json)
        try failOnLanguageFailures(outcome, command: "refresh")
    }
}

struct TBSDiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff", abstract: "Show what changed between two stored versions of the table (default: the last two).")
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "The page's language.") var lang: TBSLanguage = .en
    @Option(help: "The older page version id.") var from: Int64?
    @Option(help: "The newer page version id.") var to: Int64?

    func run() async throws {
        let language = lang
        let diff = try TBSReader(store: try store.openStoreForReading()).diff(language: language, from: from, to: to)
        if output.json { try Terminal.printJSON(diff); return }
        print("\(language.rawValue) table: version \(diff.from.id) (\(diff.from.provenance.contentHash.prefix(12)), fetched \(diff.from.provenance.fetchedAt)) -> version \(diff.to.id) (\(diff.to.provenance.contentHash.prefix(12)), fetched \(diff.to.provenance.fetchedAt))")
        print("\(diff.changes.count) change(s), \(diff.unchanged) row(s) unchanged")
        for change in diff.changes {
            let name = (change.after ?? change.before)?.ownName?.text ?? ""
            switch change.kind {
            case .added: print("+ \(change.identity)  \(name)")
            case .removed: print("- \(change.identity)  \(name)")
            case .changed: print("~ \(change.identity)  \(name)  [\(change.fields.joined(separator: ", "))]")
            }
        }
    }
}

struct TBSShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Print a group (e.g. AI) with its subgroups, definition text, standards and links.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "A group abbreviation or a group / subgroup code (AI, AI-NOP).") var code: String
    @Option(help: "The page's language.") var lang: TBSLanguage = .en

    func run() async throws {
        let language = lang
        let rows = try TBSReader(store: try store.openStoreForReading()).group(code, language: language)
        guard !rows.isEmpty else {
            throw TBSReportError("no \(language.rawValue) row for \(code): check the code, or run `jobforge tbs scrape --lang \(language.rawValue)`")
        }
        if output.json { try Terminal.printJSON(rows); return }
        let source = rows[0].source
        print("source: \(source.url) (fetched \(source.fetchedAt), page modified \(source.pageModified ?? "?"), sha256 \(source.contentHash.prefix(12)))")
        for view in rows {
            let row = view.row
            let indent = row.level == .subgroup ? "    " : row.level == .group ? "  " : ""
            print("")
            print("\(indent)\(row.ownName?.text ?? "?")  [\(row.level.rawValue)] abbreviation \(row.groupAbbreviation ?? "-"), code \(row.code ?? "-")"
                  + (row.flags.isEmpty ? "" : "  flags: \(row.flags.map(\.rawValue).joined(separator: ","))"))
            if let definition = view.definition {
                print("\(indent)  definition (\(definition.sourceURL)):")
                // Whole: a cut would lose the Inclusions and Exclusions at the end.
                for line in definition.text.split(separator: "\n") { print("\(indent)    \(line)") }
            }
            for link in view.links {
                let status = link.status.map { $0.rawValue + ($0 == .ok ? "" : link.reason.map { ": \($0)" } ?? "") } ?? "unchecked"
                print("\(indent)  \(link.column): \(link.url ?? link.href) [\(status)]")
            }
        }
    }
}

struct TBSExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write one JSON file per language (rows, linked content, provenance) and CSV files for tools.")
    @OptionGroup var store: StoreOptions
    @Option(help: "The folder to write into.") var out: String = "tbs-export"

    func run() async throws {
        let files = try TBSExporter(store: try store.openStoreForReading()).export(to: URL(fileURLWithPath: out))
        guard !files.isEmpty else { throw TBSReportError("nothing to export: run `jobforge tbs scrape` first") }
        for file in files { print(file.path) }
    }
}
