import ArgumentParser
import Foundation
import JobForgeReport

/// `jobforge report --out report.html`: one self-contained HTML page of the store's coverage.
public struct ReportCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one self-contained HTML report: coverage per source, cost of the rest, titles to review, profile sheets.",
        discussion: """
            The file needs no network (inline styles, SVG charts, inline script) and can be mailed. \
            --json prints the same numbers instead (and writes no file unless --out is given).
            """
    )

    @Option(name: .long, help: ArgumentHelp("The HTML file to write.", valueName: "file"))
    public var out: String?

    @Option(name: .long, help: ArgumentHelp("The page's language: en or fr.", valueName: "lang"))
    public var lang: ReportLanguage = .english

    @Option(name: .long, help: ArgumentHelp("Profile sheets in the file for at most this many titles (the index lists them all).", valueName: "n"))
    public var sheets: Int = 1_000

    @Flag(name: .long, help: "Skip the LLM cost estimate (it builds and counts every prompt, in flat memory: minutes on 20,000 titles).")
    public var noCost = false

    @Option(name: .long, help: ArgumentHelp("The model priced in the cost estimate (default: impute's).", valueName: "name"))
    public var model: String?

    @Option(name: .long, help: ArgumentHelp("US dollars per million input tokens, for the cost estimate.", valueName: "usd"))
    public var priceIn: Double?

    @Option(name: .long, help: ArgumentHelp("US dollars per million output tokens, for the cost estimate.", valueName: "usd"))
    public var priceOut: Double?

    @OptionGroup public var store: StoreOptions
    @OptionGroup public var output: OutputOptions

    public init() {}

    public func validate() throws {
        if out == nil, !output.json { throw ValidationError("give --out FILE (the HTML page), or --json") }
        guard sheets >= 0 else { throw ValidationError("--sheets must be 0 or more") }
        if (priceIn == nil) != (priceOut == nil) { throw ValidationError("give both --price-in and --price-out, or neither") }
    }

    public func run() async throws {
        let db = try store.openStoreForReading()
        // The cost estimate prices `impute`'s model; it needs no key and calls nothing.
        guard case .ready(let configuration) = try ImputeOptions.resolve(
            environment: ProcessInfo.processInfo.environment, dryRun: true, baseURL: nil, model: model, priceIn: priceIn, priceOut: priceOut) else {
            throw CommandFailure("no LLM configuration for the cost estimate")
        }
        // The review's codes in doubt come from the offline NOC coder, as in `titles review`.
        let suggester = try OfflineCodeAuditor.of(db)
        let report = try await ReportBuilder(store: db, sheetLimit: sheets, llm: configuration, estimatesCost: !noCost,
                                             suggester: suggester).build()
        if let out {
            let url = URL(fileURLWithPath: out)
            do {
                try Data(HTMLReport(report, language: lang).render().utf8).write(to: url, options: .atomic)
            } catch {
                throw CommandFailure("cannot write the report to \(out): \(CommandFailure.describe(error)); check the folder exists and is writable")
            }
            if !output.json {
                print("wrote \(out): \(report.model.coverage.titleCount) titles, \(report.model.sheetCount) profile sheets")
            }
        }
        if output.json { try Terminal.printJSON(report.model) }
    }
}

extension ReportLanguage: ExpressibleByArgument {}
