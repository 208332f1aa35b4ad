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

    /// Opens the store, creating it when there is none: for the commands that load data
    /// (`build`, `onet import`, `onet fetch`, `tbs scrape`).
    public func openStore() throws -> SQLiteStore {
        try open(.create)
    }

    /// Opens an existing store to change it; a missing file is an error that says to run
    /// `jobforge build` first.
    public func openExistingStore() throws -> SQLiteStore {
        try open(.readWrite)
    }

    /// Opens an existing store read-only, for the commands that only read it.
    public func openStoreForReading() throws -> SQLiteStore {
        try open(.readOnly)
    }

    /// Any file that is not a JobForge store this version knows is refused, unchanged
    /// (`StoreOpenError` says what the file is and what to do).
    func open(_ mode: StoreOpenMode) throws -> SQLiteStore {
        do {
            return try SQLiteStore(path: path, schemas: Self.schemas, mode: mode)
        } catch let error as StoreOpenError {
            throw CommandFailure(error.description)
        } catch {
            throw CommandFailure("cannot open the store at \(path): \(CommandFailure.describe(error))")
        }
    }
}

/// `--json`: machine-readable output instead of text.
public struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON instead of text.")
    public var json = false

    public init() {}
}
