import ArgumentParser
import Foundation

/// `--data FOLDER`, shared by the commands that read the shipped data (`build`, `titles import`,
/// `resolve`): the flag, else `JOBFORGE_DATA`, else `./data`, else the `data/` of the package the
/// executable was built in.
public struct DataOptions: ParsableArguments {
    @Option(name: .customLong("data"), help: ArgumentHelp("The data folder (default: the shipped data/).", valueName: "folder"))
    public var path: String?

    public init() {}

    /// The data folder in force; an error when the flag's folder, or every place looked in, lacks the OaSIS files.
    public func folder() throws -> URL {
        try Self.folder(explicit: path)
    }

    /// Finds the shipped `data/` folder: `explicit`, `JOBFORGE_DATA`, `./data`, or next to the executable's package.
    public static func folder(explicit: String?,
                              environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
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
        if let env = environment["JOBFORGE_DATA"], !env.isEmpty { candidates.append(env) }
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
