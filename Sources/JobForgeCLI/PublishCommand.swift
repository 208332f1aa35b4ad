import ArgumentParser
import Foundation
#if PostgreSQL
import JobForgeBuild
import JobForgePublish
import JobForgeStore
import JobForgeTitles
#endif

/// `jobforge publish`: the store's published model into the `jobforge` schema of a PostgreSQL
/// database, for Power BI, Tableau and SQL clients. Built only with the `PostgreSQL` trait; a
/// jobforge built without it says how to build one that has it.
public struct PublishCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish the store's model to PostgreSQL (schema jobforge), in one transaction.",
        discussion: """
            A publish writes only what changed since the last one: nothing when the store is unchanged, only a \
            title's rows after it was re-resolved. Readers see the previous publication until the transaction \
            commits; a failure or a killed publish leaves it whole. The password comes from the URL, PGPASSWORD \
            or ~/.pgpass and is never printed. Needs a jobforge built with \
            `swift build -c release --product jobforge --traits PostgreSQL`.
            """
    )

    @OptionGroup public var store: StoreOptions
    @OptionGroup public var output: OutputOptions

    @Option(name: .long, help: ArgumentHelp(
        "The server and database: postgresql://user[:password]@host[:port]/database[?sslmode=disable|prefer|require|verify-full] (default: JOBFORGE_POSTGRES).",
        valueName: "url"))
    public var to: String?

    public init() {}

    /// The URL in force: `--to`, else `JOBFORGE_POSTGRES`.
    var url: String? {
        if let to, !to.isEmpty { return to }
        if let env = ProcessInfo.processInfo.environment["JOBFORGE_POSTGRES"], !env.isEmpty { return env }
        return nil
    }

    public func validate() throws {
        guard url != nil else {
            throw ValidationError("name the PostgreSQL database: --to postgresql://user@host/database, or set JOBFORGE_POSTGRES")
        }
    }

    public func run() async throws {
        #if PostgreSQL
        let target: PostgresTarget
        do {
            target = try PostgresTarget(url: url ?? "")
        } catch let invalid as PostgresTarget.InvalidURL {
            // The URL itself is not repeated: it may hold a password.
            throw CommandFailure("cannot use the PostgreSQL URL: \(invalid)")
        }
        let db = try store.openStoreForReading()
        // The model is declared by the engine and by Titles; composed here, as the export does.
        let model = try StoreModel(store: db, declared: PublishedModel.relations + TitlesSchema.publishedRelations)
        let progress = ProgressLine("publish to \(target.host)/\(target.database)")
        let publisher = Publisher(target: target, beforeCommit: { TestHooks.holdIfAsked(step: "publish") })
        let summary: PublishSummary
        do {
            summary = try await publisher.publish(model) { stage in progress.update(0, detail: stage) }
        } catch let failure as PublishFailure {
            progress.finish()
            throw CommandFailure(failure.message)
        }
        progress.finish()
        if output.json {
            try Terminal.printJSON(summary)
        } else if summary.unchanged {
            Terminal.write("nothing changed: \(target) already holds generation \(summary.generation)\n")
        } else {
            var text = "published to \(target) (schema \(summary.schema)) in \(String(format: "%.1f", summary.seconds)) s\n"
            for relation in summary.relations {
                text += "  \(relation.name): \(relation.rows) rows, \(relation.rowsWritten) written, \(relation.rowsDeleted) deleted\n"
            }
            Terminal.write(text)
        }
        #else
        throw CommandFailure("""
            this jobforge was built without PostgreSQL support: build it with \
            `swift build -c release --product jobforge --traits PostgreSQL` and run publish again
            """)
        #endif
    }
}
