import Foundation
import GRDB
import JobForgeCore
import JobForgeTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `jobforge publish` against a real PostgreSQL server (`PostgresServer`): the shipped build's
/// model, incremental publishes, the faults a user meets, and a publish killed mid-way.
@Suite("jobforge publish to PostgreSQL", .serialized)
struct PublishTests {
    /// The shipped build, made once and copied for each test.
    static let shippedStore: Result<URL, any Error> = Result {
        let folder = try TemporaryDirectory(prefix: "jobforge-publish-shipped")
        let store = folder.path("shipped.sqlite")
        let built = try JobForgeBinary.run(["build", "--db", store.path], in: folder.url)
        guard built.status == 0 else { throw PostgresServer.Unavailable(description: "build failed: \(built.stderr)") }
        return store
    }

    struct Workspace {
        let folder: TemporaryDirectory
        let store: String
        let server: PostgresServer
        let database: String
        let url: String

        func publish(_ extra: [String] = [], url: String? = nil, environment: [String: String] = [:]) throws -> JobForgeBinary.Result {
            try JobForgeBinary.run(["publish", "--db", store, "--to", url ?? self.url] + extra, in: folder.url, environment: environment)
        }

        func publishJSON() throws -> [String: Any] {
            let result = try publish(["--json"])
            #expect(result.status == 0, "\(result.stderr)")
            return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
        }

        func pg(_ sql: String) throws -> String { try server.query(url, sql) }

        func sqlite<T>(_ read: (Database) throws -> T) throws -> T { try DatabaseQueue(path: store).read(read) }
    }

    func workspace() throws -> Workspace {
        let server = try PostgresServer.shared()
        let folder = try TemporaryDirectory(prefix: "jobforge-publish")
        let store = folder.path("j.sqlite")
        try FileManager.default.copyItem(at: try Self.shippedStore.get(), to: store)
        let (database, url) = try server.createDatabase()
        return Workspace(folder: folder, store: store.path, server: server, database: database, url: url)
    }

    static func field(_ storage: DatabaseValue.Storage) -> String {
        switch storage {
        case .null: return ""
        case .int64(let value): return String(value)
        case .double(let value): return String(value)
        case .string(let value): return value
        case .blob(let value): return value.base64EncodedString()
        }
    }

    /// A row's fields as one text, numbers to nine decimals (psql and Swift print some doubles differently).
    static func normalized(_ fields: [String]) -> String {
        fields.map { field in Double(field).map { String(format: "%.9f", $0) } ?? field }.joined(separator: "|")
    }

    static func relation(_ summary: [String: Any], _ name: String) -> [String: Any] {
        (summary["relations"] as? [[String: Any]])?.first { $0["name"] as? String == name } ?? [:]
    }

    @Test("the shipped build published: every relation as the store's views hold it, typed, keyed; documented queries answer alike; again: nothing written")
    func publishShippedBuild() throws {
        let work = try workspace()
        defer { work.folder.remove() }
        let first = try work.publishJSON()
        let cells = Self.relation(first, "fact_cell")
        let published = try Int(work.pg("SELECT count(*) FROM jobforge.fact_cell")) ?? -1
        #expect(published > 500_000, "the shipped build has over half a million cells")
        #expect(cells["rows"] as? Int == published && cells["rowsWritten"] as? Int == published)
        #expect(first["rowsWritten"] as? Int == (first["relations"] as? [[String: Any]])?.reduce(0) { $0 + ($1["rowsWritten"] as? Int ?? 0) })

        // Every cell as the store says it, read through jobforge itself (export's cells.csv, one
        // row per winner): the same keys, values, sources and confidences in PostgreSQL.
        let export = try JobForgeBinary.run(["export", "--format", "csv", "--out", "out",
                                             "--db", work.store], in: work.folder.url)
        #expect(export.status == 0, "\(export.stderr)")
        let records = try CSVReader().records(Data(contentsOf: work.folder.path("out/cells.csv")), file: "cells.csv")
        let header = try #require(records.first?.fields).map { $0.replacingOccurrences(of: "\u{FEFF}", with: "") }
        func column(_ name: String) throws -> Int { try #require(header.firstIndex(of: name), "\(name) in \(header)") }
        let (kind, code, descriptor, dimension, value, source, confidence) = try (column("subject_kind"), column("subject_code"),
            column("descriptor_code"), column("dimension"), column("value"), column("source"), column("confidence"))
        // cells.csv shows values and confidences rounded for reading; PostgreSQL holds the
        // stored doubles. Equal means: the same source, and each number within half a unit of
        // the last digit the export shows.
        var expected: [String: [String]] = [:]
        for record in records.dropFirst() {
            let f = record.fields
            expected[[f[kind], f[code], f[descriptor], f[dimension]].joined(separator: "|")] = [f[value], f[source], f[confidence]]
        }
        var actual: [String: [String]] = [:]
        for line in try work.pg("SELECT subject_kind, subject_code, descriptor_code, dimension, value, source, confidence FROM jobforge.fact_cell")
            .split(separator: "\n") {
            let f = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            actual[f[0...3].joined(separator: "|")] = [f[4], f[5], f[6]]
        }
        func same(_ shown: String, _ stored: String) -> Bool {
            guard let shownValue = Double(shown), let storedValue = Double(stored) else { return shown == stored }
            let decimals = shown.split(separator: ".").dropFirst().first.map { $0.count } ?? 0
            return abs(shownValue - storedValue) <= 0.5 * pow(10, -Double(decimals)) + 1e-9
        }
        #expect(actual.count == published && expected.count == published, "one row per winning cell, as cells.csv")
        let differing = expected.filter { key, shown in
            guard let stored = actual[key] else { return true }
            return !(same(shown[0], stored[0]) && shown[1] == stored[1] && same(shown[2], stored[2]))
        }.keys.sorted()
        let differingCount = differing.count
        let examples = differing.prefix(3).map { "\($0): \(expected[$0]!) vs \(actual[$0] ?? [])" }
        #expect(differingCount == 0, "cells differ, e.g. \(examples)")
        // Every published relation holds exactly the rows of the store's own view (titles included).
        for relation in ["dim_descriptor", "dim_subject", "dim_title", "fact_cell", "fact_candidate", "fact_override"] {
            let inStore = try work.sqlite { try Int.fetchOne($0, sql: "SELECT count(*) FROM \(relation)") ?? -1 }
            #expect(try Int(work.pg("SELECT count(*) FROM jobforge.\(relation)")) == inStore, "\(relation)")
            #expect(Self.relation(first, relation)["rows"] as? Int == inStore, "\(relation) in --json")
        }
        let titles = try work.sqlite { try Int.fetchOne($0, sql: "SELECT count(*) FROM job_title") ?? 0 }
        #expect(try Int(work.pg("SELECT count(*) FROM jobforge.dim_subject WHERE subject_kind = 'title'")) == titles)
        #expect(try Int(work.pg("SELECT count(DISTINCT subject_code) FROM jobforge.fact_cell WHERE subject_kind = 'title'")) ?? 0 > 0)
        // Types as declared (TEXT, REAL, INTEGER): text, double precision, bigint.
        #expect(try work.pg("SELECT pg_typeof(value)::text || ',' || pg_typeof(observed_at)::text || ',' || pg_typeof(precedence)::text FROM jobforge.fact_cell LIMIT 1")
                == "double precision,text,bigint")
        // The user's own columns and the resolution, as the store has them.
        let userColumns = try work.sqlite { try String.fetchOne($0, sql: "SELECT user_columns || '|' || profile_code FROM dim_title WHERE title_id = 'JA-0002'") }
        #expect(try work.pg("SELECT user_columns || '|' || profile_code FROM jobforge.dim_title WHERE title_id = 'JA-0002'") == userColumns)
        // Codes stay text with their zeros; keys and indexes for the joins are there.
        #expect(try work.pg("SELECT count(*) FROM jobforge.dim_subject WHERE subject_code = '00010'") == "1")
        let indexes = try work.pg("SELECT indexname FROM pg_indexes WHERE schemaname = 'jobforge' AND tablename = 'fact_cell' ORDER BY 1")
        #expect(indexes.split(separator: "\n") == ["fact_cell_descriptor_code_dimension", "fact_cell_pkey", "fact_cell_subject_code"], "\(indexes)")

        // docs/DATA-MODEL.md's queries that use no SQLite-only function answer the same in PostgreSQL.
        let portable = try PublishedModelTests.documentedQueries().filter { ["title-skills", "unit-group-work-context", "low-confidence"].contains($0.name) }
        #expect(portable.count == 3)
        for query in portable {
            let inStore = try work.sqlite { db in
                try Row.fetchAll(db, sql: query.sql).map { row in Array(row.databaseValues.map { Self.field($0.storage) }) }
            }
            let inPostgres = try work.pg("SET search_path TO jobforge; " + query.sql).split(separator: "\n").map {
                $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            }
            #expect(!inStore.isEmpty, "\(query.name) has rows")
            // As sets of rows: rows tied on the ORDER BY may come in either order.
            let stored = inStore.map(Self.normalized).sorted(), published = inPostgres.map(Self.normalized).sorted()
            #expect(stored == published, "\(query.name): e.g. \(Set(stored).subtracting(published).prefix(2)) vs \(Set(published).subtracting(stored).prefix(2))")
        }

        let again = try work.publishJSON()
        #expect(again["rowsWritten"] as? Int == 0 && again["rowsDeleted"] as? Int == 0)
        #expect(again["unchanged"] as? Bool == true)
        #expect(try work.pg("SELECT count(*) FROM jobforge.publication") == "1", "nothing written, not even a publication row")
        #expect(try Int(work.pg("SELECT count(*) FROM jobforge.fact_cell")) == published)
    }

    @Test("after one title is re-resolved, a publish rewrites only that title's rows")
    func republishOneTitle() throws {
        let work = try workspace()
        defer { work.folder.remove() }
        _ = try work.publishJSON()
        let before = try work.pg("SELECT count(*) FROM jobforge.fact_cell WHERE subject_code = 'JA-0002'")

        // JA-0002 (purchasing contracts manager, 10012) is pinned to 10011.00 (human resources managers).
        let pinned = try JobForgeBinary.run(["titles", "pin", "JA-0002", "10011.00", "--reason", "test", "--db", work.store], in: work.folder.url)
        #expect(pinned.status == 0, "\(pinned.stderr)")

        let second = try work.publishJSON()
        let cells = Self.relation(second, "fact_cell")
        let titleRows = try Int(work.pg("SELECT count(*) FROM jobforge.fact_cell WHERE subject_code = 'JA-0002'")) ?? -1
        #expect(cells["subjectsRewritten"] as? Int == 1)
        #expect(cells["rowsWritten"] as? Int == titleRows && titleRows > 0)
        #expect(cells["rowsDeleted"] as? Int == Int(before))
        // What PostgreSQL itself says the last transaction wrote: that title's rows only.
        let touched = try work.pg("""
            SELECT DISTINCT subject_code FROM jobforge.fact_cell
            WHERE xmin = (SELECT xmin FROM jobforge.publication ORDER BY id DESC LIMIT 1)
            """)
        #expect(touched == "JA-0002")
        // So in every relation: only JA-0002's rows are new (dim_descriptor and the others untouched).
        for (relation, subject) in [("dim_descriptor", "descriptor_code"), ("dim_subject", "subject_code"), ("dim_title", "title_id"),
                                    ("fact_candidate", "subject_code"), ("fact_override", "subject_code")] {
            let written = try work.pg("""
                SELECT string_agg(DISTINCT \(subject), ',') FROM jobforge.\(relation)
                WHERE xmin = (SELECT xmin FROM jobforge.publication ORDER BY id DESC LIMIT 1)
                """)
            #expect(written.isEmpty || written == "JA-0002", "\(relation): \(written)")
        }
        #expect(try work.pg("SELECT profile_code FROM jobforge.dim_title WHERE title_id = 'JA-0002'") == "10011.00")
        #expect(try work.pg("SELECT count(*) FROM jobforge.dim_title") == work.pg("SELECT count(*) FROM jobforge.dim_subject WHERE subject_kind = 'title'"))
        let profile = try work.pg("""
            SELECT count(*) FROM jobforge.fact_cell c JOIN jobforge.fact_cell p ON p.subject_code = '10011.00'
              AND p.descriptor_code = c.descriptor_code AND p.dimension = c.dimension AND p.value = c.value
            WHERE c.subject_code = 'JA-0002' AND c.source = 'authoritative'
            """)
        #expect((Int(profile) ?? 0) > 0, "the title now inherits 10011.00's values")
    }

    @Test("wrong password, nothing listening, missing database: exit 1, host and database named, the password nowhere")
    func faults() throws {
        let work = try workspace()
        defer { work.folder.remove() }
        let secret = "s3cret-\(UUID().uuidString.prefix(8))"
        let server = work.server
        let closed = Int(try ClosedPort.take())
        let cases: [(name: String, url: String, expected: String)] = [
            ("wrong password", server.url(database: work.database, password: secret), "password"),
            ("nothing listening", "postgresql://\(server.user):\(secret)@127.0.0.1:\(closed)/\(work.database)", "cannot reach"),
            ("missing database", server.url(database: "no_such_db", password: server.password), "does not exist"),
        ]
        for fault in cases {
            let result = try work.publish(url: fault.url)
            #expect(result.status == 1, "\(fault.name): \(result.stderr)")
            #expect(result.stderr.contains(fault.expected), "\(fault.name): \(result.stderr)")
            #expect(result.stderr.contains(server.host), "\(fault.name) names the host: \(result.stderr)")
            let database = fault.name == "missing database" ? "no_such_db" : work.database
            #expect(result.stderr.contains(database), "\(fault.name) names the database: \(result.stderr)")
            for password in [secret, server.password] {
                #expect(!result.stderr.contains(password) && !result.stdout.contains(password), "\(fault.name) leaks the password")
            }
        }
        // PGPASSWORD, wrong: the same, and it is not repeated either.
        let viaEnvironment = try work.publish(url: "postgresql://\(server.user)@\(server.host):\(server.port)/\(work.database)",
                                              environment: ["PGPASSWORD": secret])
        #expect(viaEnvironment.status == 1 && !viaEnvironment.stderr.contains(secret), "\(viaEnvironment.stderr)")
        #expect(try work.pg("SELECT to_regnamespace('jobforge') IS NULL") == "t", "nothing half-written")

        // A good publish with the password in the URL: in neither output, nor the store, nor the server's model.
        let good = try work.publish()
        #expect(good.status == 0, "\(good.stderr)")
        #expect(!good.stdout.contains(server.password) && !good.stderr.contains(server.password))
        let storeBytes = try Data(contentsOf: URL(fileURLWithPath: work.store))
        #expect(storeBytes.range(of: Data(server.password.utf8)) == nil && storeBytes.range(of: Data(secret.utf8)) == nil)
        let dump = try work.pg("SELECT string_agg(t::text, ' ') FROM jobforge.publication t")
        #expect(!dump.contains(server.password))
    }

    @Test("a publish killed inside its transaction leaves the previous publication whole and readable")
    func killedPublish() throws {
        let work = try workspace()
        defer { work.folder.remove() }
        _ = try work.publishJSON()
        let count = "SELECT (SELECT count(*) FROM jobforge.fact_cell) || '/' || (SELECT count(*) FROM jobforge.publication) || '/' || (SELECT count(*) FROM jobforge.fact_cell WHERE subject_code = 'JA-0002')"
        let before = try work.pg(count)
        let valueBefore = try work.pg("SELECT string_agg(value::text, ',' ORDER BY descriptor_code, dimension) FROM jobforge.fact_cell WHERE subject_code = 'JA-0002'")

        #expect(try JobForgeBinary.run(["titles", "pin", "JA-0002", "10011.00", "--reason", "test", "--db", work.store],
                                       in: work.folder.url).status == 0)

        let process = Process()
        process.executableURL = JobForgeBinary.url
        process.arguments = ["publish", "--db", work.store, "--to", work.url]
        process.environment = JobForgeBinary.environment(["JOBFORGE_TEST_HOLD_IN_STEP": "publish"])
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var seen = ""
        while !seen.contains("holding in publish") {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        #expect(seen.contains("holding in publish"), "\(seen)")
        // While it holds, readers see the previous publication.
        #expect(try work.pg(count) == before)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()

        #expect(try work.pg(count) == before, "the previous publication, whole")
        #expect(try work.pg("SELECT string_agg(value::text, ',' ORDER BY descriptor_code, dimension) FROM jobforge.fact_cell WHERE subject_code = 'JA-0002'") == valueBefore)
        // The next publish finishes the job.
        let next = try work.publishJSON()
        #expect((Self.relation(next, "fact_cell")["subjectsRewritten"] as? Int) == 1)
    }
}
