import Foundation
import GRDB
import JobForgeCLI
import JobForgeStore
import JobForgeTestSupport
import Testing

/// Opens a store as every command does (the engine's tables and every source's), upgrading it.
func upgradeStore(at path: String) throws {
    _ = try SQLiteStore(path: path, schemas: StoreOptions.schemas)
}

/// How an old value is expected to look after the upgrade: table -> column -> conversion of the
/// value the release wrote. Every column not listed keeps its values exactly.
/// (`@Sendable`: a global constant must be, in Swift 6.)
let expectedConversions: [String: [String: @Sendable (DatabaseValue) -> DatabaseValue]] = [
    // One time format in the store (milliseconds): imports were written to the second.
    "title_import_run": ["imported_at": { value in
        guard let text = String.fromDatabaseValue(value), text.count == 20, text.hasSuffix("Z") else { return value }
        return (text.dropLast() + ".000Z").databaseValue
    }],
]

/// A store written by the release at commit 4549848 (`jobforge` built from it), with rows in every
/// table its schema has. Made by `scripts/make-upgrade-fixture.sh`, which also wrote what that
/// release printed for a few `show` and `explain` commands on it (`store-4549848.expected.txt`).
@Suite("store upgrade from the release at 4549848", .serialized)
struct StoreUpgradeTests {
    static let fixture = RepoPaths.fixtures.appendingPathComponent("store-4549848.sqlite")
    static let expectedOutput = RepoPaths.fixtures.appendingPathComponent("store-4549848.expected.txt")

    @Test("an upgraded store keeps every table and every row the release wrote, and every migration it ran")
    func upgradeKeepsEveryRow() throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-upgrade")
        defer { folder.remove() }
        let path = try Self.copyFixture(into: folder)

        let before = try StoreSnapshot(path: path)
        #expect(before.tables.count >= 30, "the fixture holds the release's whole schema: \(before.tables.keys.sorted())")
        for (table, contents) in before.tables.sorted(by: { $0.key < $1.key }) {
            #expect(!contents.rows.isEmpty, "the fixture has rows in \(table)")
        }
        for (table, columns) in expectedConversions {
            for column in columns.keys {
                #expect(before.tables[table]?.columns.contains(column) == true,
                        "expectedConversions names \(table).\(column), which the release's store does not have")
            }
        }

        try upgradeStore(at: path)
        let after = try StoreSnapshot(path: path)

        for (table, old) in before.tables.sorted(by: { $0.key < $1.key }) {
            guard let new = after.tables[table] else {
                Issue.record("table \(table) (\(old.rows.count) rows) is gone after the upgrade")
                continue
            }
            let lostColumns = old.columns.filter { !new.columns.contains($0) }
            guard lostColumns.isEmpty else {
                Issue.record("\(table) lost its columns \(lostColumns) in the upgrade")
                continue
            }
            #expect(new.rows.count == old.rows.count, "\(table): \(old.rows.count) rows before the upgrade, \(new.rows.count) after")
            let conversions = expectedConversions[table] ?? [:]
            let expected = old.rows.map { row in
                zip(old.columns, row).map { column, value in conversions[column].map { $0(value) } ?? value }
            }
            let positions = old.columns.map { new.columns.firstIndex(of: $0)! }
            let actual = new.rows.map { row in positions.map { row[$0] } }
            let (missing, unexpected) = Self.differences(expected: expected, actual: actual)
            #expect(missing.isEmpty && unexpected.isEmpty, """
                \(table) (\(old.columns.joined(separator: ", "))): \(missing.count) row(s) of the release not found after the upgrade, \
                \(unexpected.count) row(s) not expected; first missing: \(missing.prefix(3).map(Self.describe)); \
                first unexpected: \(unexpected.prefix(3).map(Self.describe))
                """)
            let newColumns = new.columns.filter { !old.columns.contains($0) }
            if !newColumns.isEmpty { print("upgrade: \(table) has new columns \(newColumns.joined(separator: ", "))") }
        }

        // The engine's title_resolution contract is filled from the titles: exactly the resolved ones.
        let resolved = try #require(before.tables["job_title"]).rows.count
        let contract = try #require(after.tables["title_resolution"], "the upgrade adds the title_resolution contract")
        let expectedResolved = try DatabaseQueue(path: path).read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job_title WHERE profile_code IS NOT NULL AND confidence > 0") ?? 0
        }
        #expect(resolved > expectedResolved && expectedResolved > 0, "the fixture has resolved and unresolved titles")
        #expect(contract.rows.count == expectedResolved)

        let newTables = Set(after.tables.keys).subtracting(before.tables.keys).sorted()
        print("upgrade: new tables: \(newTables.isEmpty ? "none" : newTables.map { "\($0) (\(after.tables[$0]!.rows.count) rows)" }.joined(separator: ", "))")

        #expect(!before.migrations.isEmpty, "the fixture records the migrations the release ran")
        let lostMigrations = Set(before.migrations).subtracting(after.migrations).sorted()
        #expect(lostMigrations.isEmpty, "migration identifiers already shipped must stay: \(lostMigrations) are gone after the upgrade")
        let newMigrations = Set(after.migrations).subtracting(before.migrations).sorted()
        print("upgrade: migrations of the release: \(before.migrations.joined(separator: ", ")); new: \(newMigrations.isEmpty ? "none" : newMigrations.joined(separator: ", "))")
    }

    @Test("after the upgrade, show and explain print for unit groups, profiles and titles what the release printed")
    func upgradedStoreShowsWhatTheReleaseShowed() throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-upgrade-show")
        defer { folder.remove() }
        let path = try Self.copyFixture(into: folder)
        try upgradeStore(at: path)

        let blocks = try Self.expectedBlocks()
        #expect(blocks.count >= 8, "the expected output lists the commands the release ran")
        #expect(blocks.contains { $0.arguments.first == "show" } && blocks.contains { $0.arguments.first == "explain" })
        for block in blocks {
            let run = try JobForgeBinary.run(block.arguments + ["--db", path], in: folder.url)
            #expect(run.status == 0, "jobforge \(block.arguments.joined(separator: " ")): \(run.stderr)")
            let output = Self.normalize(run.stdout)
            if output != block.output {
                let got = output.components(separatedBy: "\n"), want = block.output.components(separatedBy: "\n")
                let line = (0..<min(got.count, want.count)).first { got[$0] != want[$0] } ?? min(got.count, want.count)
                Issue.record("""
                    jobforge \(block.arguments.joined(separator: " ")) prints differently after the upgrade, from line \(line + 1):
                      release:  \(line < want.count ? want[line] : "(end)")
                      now:      \(line < got.count ? got[line] : "(end)")
                    """)
            }
        }
    }

    // MARK: - Helpers

    static func copyFixture(into folder: TemporaryDirectory) throws -> String {
        let copy = folder.path("store.sqlite")
        try FileManager.default.copyItem(at: fixture, to: copy)
        return copy.path
    }

    /// Rows in `expected` and not in `actual`, and the other way round, counting duplicates.
    static func differences(expected: [[DatabaseValue]], actual: [[DatabaseValue]]) -> (missing: [[DatabaseValue]], unexpected: [[DatabaseValue]]) {
        var counts: [[DatabaseValue]: Int] = [:]
        for row in expected { counts[row, default: 0] += 1 }
        var unexpected: [[DatabaseValue]] = []
        for row in actual {
            if let count = counts[row], count > 0 { counts[row] = count - 1 } else { unexpected.append(row) }
        }
        let missing = expected.filter { row in
            guard let count = counts[row], count > 0 else { return false }
            counts[row] = count - 1
            return true
        }
        return (missing, unexpected)
    }

    static func describe(_ row: [DatabaseValue]) -> String {
        "(" + row.map { value in
            switch value.storage {
            case .blob(let data): "<\(data.count) bytes>"
            case .string(let text): "\"\(text.count > 80 ? String(text.prefix(80)) + "…" : text)\""
            default: value.description
            }
        }.joined(separator: ", ") + ")"
    }

    /// Times and run ids are not compared (the restructuring may normalize timestamps); the
    /// release's output was written with the same placeholders by `scripts/make-upgrade-fixture.sh`.
    static func normalize(_ text: String) -> String {
        var text = text
        let patterns = [
            (#"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?"#, "<time>"),
            (#"[0-9]{8}T[0-9]{6}Z-[0-9a-f]+"#, "<run>"),
        ]
        for (pattern, placeholder) in patterns {
            text = text.replacingOccurrences(of: pattern, with: placeholder, options: .regularExpression)
        }
        return text
    }

    struct Block {
        var arguments: [String]
        var output: String
    }

    /// `$ ARGUMENTS` lines, each followed by what the release printed for them.
    static func expectedBlocks() throws -> [Block] {
        var text = try String(contentsOf: expectedOutput, encoding: .utf8)
        if text.hasSuffix("\n") { text.removeLast() }
        var blocks: [Block] = []
        for line in text.components(separatedBy: "\n") {
            if line.hasPrefix("$ ") {
                blocks.append(Block(arguments: line.dropFirst(2).split(separator: " ").map(String.init), output: ""))
            } else if !blocks.isEmpty {
                blocks[blocks.count - 1].output += line + "\n"
            }
        }
        return blocks
    }
}

/// Every table of a store read whole, with a plain read-only connection (no migrator).
struct StoreSnapshot {
    struct Table: Sendable {
        var columns: [String]
        /// Ordered by every column.
        var rows: [[DatabaseValue]]
    }

    /// Every table but `grdb_migrations`, whose identifiers are in `migrations`.
    var tables: [String: Table]
    var migrations: [String]

    init(path: String) throws {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        (tables, migrations) = try queue.read { db in
            var tables: [String: Table] = [:]
            let names = try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY name
                """)
            for name in names where name != "grdb_migrations" {
                let columns = try db.columns(in: name).map(\.name)
                let list = columns.map { "\"\($0.replacingOccurrences(of: "\"", with: "\"\""))\"" }.joined(separator: ", ")
                let rows = try Row.fetchAll(db, sql: "SELECT \(list) FROM \"\(name)\" ORDER BY \(list)")
                tables[name] = Table(columns: columns, rows: rows.map { Array($0.databaseValues) })
            }
            let migrations = names.contains("grdb_migrations")
                ? try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier") : []
            return (tables, migrations)
        }
    }
}
