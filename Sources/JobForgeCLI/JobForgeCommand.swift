import ArgumentParser
import Foundation
import JobForgeCore

/// `jobforge`: builds auditable occupational attribute profiles for the titles of a job architecture.
@available(macOS 10.15, *)
public struct JobForgeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "jobforge",
        abstract: "Build complete, auditable occupational attribute profiles from NOC 2021, OaSIS 2023, O*NET and an LLM.",
        discussion: """
            Exit status: 0 on success; 1 when a command fails while running (its data, files or \
            store: the message says what was wrong and what to do); 64 for a usage error (an \
            unknown option or a bad value on the command line, shown with the usage).
            """,
        version: JobForgeVersion.current,
        subcommands: [
            BuildCommand.self, ShowCommand.self, ExplainCommand.self, ExportCommand.self, DescriptorsCommand.self,
            TitlesCommand.self, ResolveCommand.self, CrosswalkCommand.self, ONetCommand.self, ImputeCommand.self, SuggestNOCCommand.self, LLMCommand.self, EvaluateCommand.self,
            TBSCommand.self, ReportCommand.self, ServeCommand.self,
            PublishCommand.self,
        ]
    )

    public init() {}

    /// ArgumentParser's `main`, except that errors thrown while a command runs are failures
    /// (status 1, one line) and not usage errors: only parsing and `validate()` are about the
    /// command line.
    public static func main() async {
        // Past a file-size limit (ulimit -f), a write fails with EFBIG and the command cleans up
        // after itself, instead of being killed by SIGXFSZ with its partial files left behind.
        signal(SIGXFSZ, SIG_IGN)
        var command: any ParsableCommand
        do {
            command = try await asyncParseAsRoot(nil)
        } catch {
            exit(withError: error)
        }
        do {
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: CommandFailure.fromRun(error))
        }
    }
}
