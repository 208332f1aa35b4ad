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

    @Option(name: .long, help: ArgumentHelp(
        "Profile sheets in the file for at most this many titles (default: every title; about 17 kB each, so 20,000 titles make a file of hundreds of megabytes; the index lists them all).",
        valueName: "n"))
    public var sheets: Int?

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
        guard (sheets ?? 0) >= 0 else { throw ValidationError("--sheets must be 0 or more") }
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
        let builder = ReportBuilder(store: db, sheetLimit: sheets ?? Int.max, llm: configuration, estimatesCost: !noCost,
                                    suggester: suggester)
        // Past a thousand sheets, they are read again as the page is written, a chunk at a time: never all in memory.
        // --json alone needs none.
        let streams = try out != nil && builder.streamsSheets()
        let report = try await builder.build(holdingSheets: out != nil && !streams)
        if let out {
            var file: ReportFile
            do {
                file = try ReportFile(path: out)
            } catch {
                throw CommandFailure("cannot write the report to \(out): \(CommandFailure.describe(error)); check the folder exists and is writable")
            }
            do {
                try HTMLReport(report, language: lang).write(sheets: { emit in
                    if streams { try builder.forEachSheet(emit) } else { report.sheets.titles.forEach(emit) }
                }, to: &file)
            } catch {
                file.discard()
                throw error
            }
            do {
                try file.finish()
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
