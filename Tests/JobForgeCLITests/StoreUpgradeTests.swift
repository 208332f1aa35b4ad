import Foundation
import GRDB
import JobForgeCLI
import JobForgeCore
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

    @Test("built again by this release (same trimmed data): the recalibrated O*NET values and confidences replace the release's, and every winner that changes is logged, none silently")
    func rebuildLogsEveryRecalibratedWinner() throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-upgrade-rebuild")
        defer { folder.remove() }
        let path = try Self.copyFixture(into: folder)
        // The data the fixture was built from: data/ trimmed by the script that made it.
        let trim = Process()
        trim.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        trim.arguments = ["python3", RepoPaths.root.appendingPathComponent("scripts/fixture-trim-data.py").path, RepoPaths.data.path, folder.path("data").path]
        trim.standardOutput = FileHandle.nullDevice
        try trim.run()
        trim.waitUntilExit()
        try #require(trim.terminationStatus == 0, "scripts/fixture-trim-data.py failed")

        let before = try Self.winners(exportedFrom: path, in: folder, as: "before")
        let queue = try DatabaseQueue(path: path)
        let lastEvent = try queue.read { try Int.fetchOne($0, sql: "SELECT MAX(id) FROM override_event") } ?? 0
        try queue.close()
        let build = try JobForgeBinary.run(["build", "--db", path, "--data", folder.path("data").path], in: folder.url)
        try #require(build.status == 0, "\(build.stderr)")
        let after = try Self.winners(exportedFrom: path, in: folder, as: "after")

        // This build's override events, by cell: old and new value, and the confidences its reason names.
        struct Event { var oldValue: Double?; var newValue: Double?; var reason: String }
        let reopened = try DatabaseQueue(path: path)
        let events = try reopened.read { db in
            try Row.fetchAll(db, sql: """
                SELECT subject_kind, subject_code, descriptor_code, dimension, old_value, new_value, reason
                FROM override_event WHERE id > ? ORDER BY id
                """, arguments: [lastEvent])
        }
        try reopened.close()
        var logged: [String: [Event]] = [:]
        for row in events {
            let key = [row["subject_kind"], row["subject_code"], row["descriptor_code"], row["dimension"]].map { $0 as String }.joined(separator: "|")
            logged[key, default: []].append(Event(oldValue: row["old_value"], newValue: row["new_value"], reason: row["reason"]))
        }

        // A title's values come from its profile and unit group, a unit group's from its profiles,
        // a profile's O*NET values from its unit group: derived when read, their change is logged
        // where the value is kept. `resolution`: title -> profile code.
        let resolutionQueue = try DatabaseQueue(path: path)
        let resolution = try resolutionQueue.read { db in
            try Dictionary(Row.fetchAll(db, sql: "SELECT title_id, profile_code FROM title_resolution").map { ($0[0] as String, $0[1] as String) }) { a, _ in a }
        }
        try resolutionQueue.close()
        let loggedProfiles = Set(logged.keys.compactMap { key -> String? in
            let parts = key.split(separator: "|", omittingEmptySubsequences: false)
            return parts[0] == "profile" ? String(parts[1]) : nil
        })
        func keptAt(_ key: String) -> [String] {
            let parts = key.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            let (kind, code, cell) = (parts[0], parts[1], parts[2] + "|" + parts[3])
            func unitGroup(_ profile: String) -> String { String(profile.prefix { $0 != "." }) }
            switch kind {
            case "title":
                return ["title|\(code)|\(cell)"]
                    + (resolution[code].map { ["profile|\($0)|\(cell)", "unit_group|\(unitGroup($0))|\(cell)"] } ?? [])
            case "profile": return ["profile|\(code)|\(cell)", "unit_group|\(unitGroup(code))|\(cell)"]
            default: return ["unit_group|\(code)|\(cell)"] + loggedProfiles.filter { unitGroup($0) == code }.map { "profile|\($0)|\(cell)" }
            }
        }
        func near(_ logged: Double?, _ exported: String) -> Bool {  // the export prints 2 decimals
            guard let logged, let exported = Double(exported) else { return false }
            return abs(logged - exported) < 0.006
        }

        var changed = 0, recalibrated = 0, derived = 0
        let remaining = Set(after.keys.map { $0.split(separator: "|").prefix(2).joined(separator: "|") })
        for (key, old) in before {
            guard let new = after[key] else {
                // Titles that left the architecture take their cells with them (the release kept the
                // sample beside the user's titles; this one retires it): not a change of value.
                if remaining.contains(key.split(separator: "|").prefix(2).joined(separator: "|")) {
                    #expect(logged[key]?.contains { $0.reason.hasPrefix("withdrawn") } == true, "\(key): its winner left without a logged withdrawal")
                }
                continue
            }
            guard new != old else { continue }
            changed += 1
            guard let cellEvents = logged[key] else {
                derived += 1
                let sources = keptAt(key)
                #expect(sources.dropFirst().contains { logged[$0] != nil },
                        "\(key): \(old) -> \(new), with no override event at the cell nor where it is derived from (\(sources.dropFirst()))")
                continue
            }
            #expect(cellEvents.contains { near($0.oldValue, old.value) && near($0.newValue, new.value) },
                    "\(key): \(old) -> \(new) with no override event naming both values: \(cellEvents.map(\.reason))")
            if new.source == "onet" && old.source == "onet" && new.confidence != old.confidence {
                recalibrated += 1
                // The reason names the change of confidence ("confidence 0.8 -> 0.707"), to the export's 3 decimals.
                let named = cellEvents.contains { event in
                    guard let range = event.reason.range(of: #"confidence ([0-9.]+) -> ([0-9.]+)"#, options: .regularExpression) else { return false }
                    let numbers = event.reason[range].dropFirst("confidence ".count).components(separatedBy: " -> ").compactMap(Double.init)
                    guard numbers.count == 2, let was = Double(old.confidence), let now = Double(new.confidence) else { return false }
                    return abs(numbers[0] - was) < 0.0006 && abs(numbers[1] - now) < 0.0006
                }
                #expect(named, "\(key): confidence \(old.confidence) -> \(new.confidence) not named in \(cellEvents.map(\.reason))")
            }
        }
        #expect(recalibrated >= 100, "the release's O*NET confidences were recalibrated on the rebuild: \(recalibrated) of \(changed) changed winners")
        #expect(derived < changed)
    }

    /// A store's winners as `export --all-candidates` prints them: cell -> value, source, confidence.
    struct Winner: Equatable { var value: String; var source: String; var confidence: String }
    static func winners(exportedFrom store: String, in folder: TemporaryDirectory, as name: String) throws -> [String: Winner] {
        let run = try JobForgeBinary.run(["export", "--all-candidates", "--db", store, "--out", folder.path(name).path], in: folder.url)
        try #require(run.status == 0, "\(run.stderr)")
        let records = try CSVReader().records(try Data(contentsOf: folder.path(name).appendingPathComponent("cells.csv")), file: "cells.csv")
        let header = records[0].fields
        func column(_ name: String) throws -> Int { try #require(header.firstIndex(of: name), "cells.csv has no \(name)") }
        let kind = try column("subject_kind"), code = try column("subject_code"), descriptor = try column("descriptor_code")
        let dimension = try column("dimension"), value = try column("value"), source = try column("source")
        let confidence = try column("confidence"), winner = try column("is_winner")
        var winners: [String: Winner] = [:]
        for record in records.dropFirst() where record.fields[winner] == "1" {
            let f = record.fields
            winners[[f[kind], f[code], f[descriptor], f[dimension]].joined(separator: "|")] =
                Winner(value: f[value], source: f[source], confidence: f[confidence])
        }
        return winners
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
