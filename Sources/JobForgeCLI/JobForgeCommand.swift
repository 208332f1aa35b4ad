import ArgumentParser
import Foundation

/// `jobforge`: builds auditable occupational attribute profiles for the titles of a job architecture.
@available(macOS 10.15, *)
public struct JobForgeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "jobforge",
        abstract: "Build complete, auditable occupational attribute profiles from NOC 2021, OaSIS 2023, O*NET and an LLM.",
        subcommands: [
            BuildCommand.self, ShowCommand.self, ExplainCommand.self, ExportCommand.self, DescriptorsCommand.self,
            TitlesCommand.self, ResolveCommand.self, CrosswalkCommand.self, ONetCommand.self, ImputeCommand.self, SuggestNOCCommand.self, LLMCommand.self,
            TBSCommand.self,
        ]
    )

    public init() {}
}
