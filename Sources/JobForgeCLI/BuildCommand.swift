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
        discussion: "Running it again with the same inputs changes nothing and says so."
    )

    @OptionGroup public var store: StoreOptions
    @OptionGroup public var output: OutputOptions

    @Option(name: .long, help: ArgumentHelp("The data folder (default: the shipped data/).", valueName: "folder"))
    public var data: String?

    @Option(name: .customLong("step"), parsing: .singleValue,
            help: ArgumentHelp("Run only this step (repeatable): authoritative, titles, onet or llm. The others stay as the last build left them.",
                               valueName: "step"))
    public var steps: [BuildPipeline.Step] = []

    @OptionGroup(title: "LLM step (runs when OPENAI_API_KEY or OPENAI_BASE_URL is set)")
    public var llm: ImputeOptions

    public init() {}

    public func run() async throws {
        let dataFolder = try DataLocator.folder(explicit: data)
        let db = try store.openStore()
        let progress = ProgressLine("build")
        let pipeline = BuildPipeline(options: .init(dataFolder: dataFolder, llm: try llm.resolve(),
                                                    steps: steps.isEmpty ? nil : Set(steps)))
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

/// Finds the shipped `data/` folder: the flag, `JOBFORGE_DATA`, `./data`, or next to the executable's package.
enum DataLocator {
    static func folder(explicit: String?) throws -> URL {
        func holdsData(_ path: String) -> Bool {
            FileManager.default.fileExists(atPath: path + "/oasis/guide_oasis_2023_v1.0.csv")
        }
        if let explicit {
            guard holdsData(explicit) else {
                throw ValidationError("\(explicit) does not hold the OaSIS files (oasis/guide_oasis_2023_v1.0.csv is missing)")
            }
            return URL(fileURLWithPath: explicit)
        }
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["JOBFORGE_DATA"], !env.isEmpty { candidates.append(env) }
        candidates.append(FileManager.default.currentDirectoryPath + "/data")
        // A release binary lives in <repo>/.build/<config>/jobforge: look up from there too.
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(directory.appendingPathComponent("data").path)
            directory = directory.deletingLastPathComponent()
        }
        for path in candidates where holdsData(path) {
            return URL(fileURLWithPath: path)
        }
        throw ValidationError("cannot find the data folder: run from the repository, or pass --data / set JOBFORGE_DATA")
    }
}
