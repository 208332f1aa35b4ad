import ArgumentParser
import Foundation
import JobForgeBuild
import JobForgeCore
import JobForgeStore

/// `jobforge build`: loads the shipped data and runs the cascade.
public struct BuildCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Load NOC 2021 and OaSIS 2023 (and the other sources) into the store and run the cascade.",
        discussion: """
            Running it again with the same inputs changes nothing and says so. Creates the store if there is none \
            (a file that is not a JobForge store is refused, unchanged). A second build (or any run) on the same \
            store waits for the first to finish, says so, then does only what is left.
            """
    )

    @OptionGroup public var store: StoreOptions
    @OptionGroup public var output: OutputOptions

    @OptionGroup public var data: DataOptions

    @Option(name: .customLong("step"), parsing: .singleValue,
            help: ArgumentHelp("Run only this step (repeatable): authoritative, titles, onet or llm. The others stay as the last build left them.",
                               valueName: "step"))
    public var steps: [BuildPipeline.Step] = []

    @OptionGroup(title: "LLM step (runs when OPENAI_API_KEY or OPENAI_BASE_URL is set)")
    public var llm: ImputeOptions

    public init() {}

    public func run() async throws {
        let dataFolder = try data.folder()
        let db = try store.openStore()
        let progress = ProgressLine("build")
        let pipeline = BuildPipeline(options: .init(dataFolder: dataFolder, llm: try llm.resolve(),
                                                    steps: steps.isEmpty ? nil : Set(steps), llmDryRun: llm.dryRun))
        let quiet = output.json
        let report = try await pipeline.run(store: db) { step in
            if !quiet && Terminal.stderrIsTerminal { Terminal.printError("… \(step)") }
        }
        progress.finish()
        if output.json {
            try Terminal.printJSON(report)
            return
        }
        print("jobforge build: run \(report.runID), store \(store.path)")
        for step in report.steps {
            print("  \(step.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(step.status.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(String(format: "%6.2f s", step.seconds))  \(step.detail)")
        }
        for step in report.steps { for warning in step.warnings { print("warning: \(warning)") } }
        let t = report.tables
        print("loaded: \(t["unit_group"] ?? 0) unit groups, \(t["profile"] ?? 0) profiles, \(t["descriptor"] ?? 0) guide entries, \(t["rating"] ?? 0) OaSIS ratings, \(t["candidate"] ?? 0) other candidate values, \(t["override_event"] ?? 0) override events")
        print("cells (winners) per subject, source and category:")
        for row in report.cells {
            print("  \(row.subjectKind.padding(toLength: 11, withPad: " ", startingAt: 0)) \(row.source.padding(toLength: 14, withPad: " ", startingAt: 0)) \(row.category.padding(toLength: 20, withPad: " ", startingAt: 0)) \(row.cells)")
        }
        if report.changedNothing {
            print("nothing changed: every input is as it was at the last build.")
        }
        print(String(format: "done in %.2f s", report.seconds))
    }
}

extension BuildPipeline.Step: ExpressibleByArgument {}
