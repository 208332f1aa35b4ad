import ArgumentParser
import Foundation
import JobForgeBuild
import JobForgeStore
import JobForgeTBS

/// `--db PATH`, shared by every command: the store file (default `jobforge.sqlite`, or `JOBFORGE_DB`).
public struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The store file.", valueName: "path"))
    public var db: String?

    public init() {}

    /// The path in force: the flag, else `JOBFORGE_DB`, else `jobforge.sqlite` in the current folder.
    public var path: String {
        if let db { return db }
        if let env = ProcessInfo.processInfo.environment["JOBFORGE_DB"], !env.isEmpty { return env }
        return "jobforge.sqlite"
    }

    /// Every module's tables, in the order their migrations are registered after the engine's.
    public static let schemas: [any StoreSchema.Type] = BuildPipeline.schemas + [TBSSchema.self]

    /// Opens (and migrates) the store.
    public func openStore() throws -> SQLiteStore {
        do {
            return try SQLiteStore(path: path, schemas: Self.schemas)
        } catch {
            throw ValidationError("cannot open the store at \(path): \(error)")
        }
    }

    /// Opens an existing store; a missing file is an error that says to run `jobforge build` first.
    public func openExistingStore() throws -> SQLiteStore {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("no store at \(path): run `jobforge build` first, or point --db / JOBFORGE_DB at one")
        }
        return try openStore()
    }
}

/// `--json`: machine-readable output instead of text.
public struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON instead of text.")
    public var json = false

    public init() {}
}
