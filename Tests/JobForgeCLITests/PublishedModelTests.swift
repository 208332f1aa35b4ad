import Foundation
import GRDB
import JobForgeTestSupport
import Testing

/// The published model (`docs/DATA-MODEL.md`) as an analyst meets it: the documented queries
/// run against the shipped build, answers checked against what `show`, `explain` and `titles`
/// print, and the model kept current by the commands that write.
@Suite("published model", .serialized)
struct PublishedModelTests {
    /// The shipped build, then the fake LLM's answers for JA-0002's skills: built once, copied by each test.
    actor BuiltStore {
        static let shared = BuiltStore()
        private var built: URL?

        func url() async throws -> URL {
            if let built { return built }
            let folder = try TemporaryDirectory(prefix: "jobforge-model-store")
            let build = try await JobForgeBinary.run(["build"], in: folder.url, timeout: 900)
            guard build.status == 0 else { throw SetupFailure("build failed: \(build.stderr)") }
            let fake = try await FakeOpenAIServer.start(expectedModel: "gpt-4o-2024-08-06")
            let environment = ["OPENAI_BASE_URL": await fake.baseURL.absoluteString, "OPENAI_API_KEY": await fake.apiKey ?? ""]
            let impute = try await JobForgeBinary.run(["impute", "--titles", "JA-0002", "--categories", "skills"],
                                                      in: folder.url, environment: environment, timeout: 600)
            await fake.stop()
            guard impute.status == 0 else { throw SetupFailure("impute failed: \(impute.stderr)") }
            built = folder.path("jobforge.sqlite")
            return folder.path("jobforge.sqlite")
        }
    }

    static func copyOfBuiltStore(in folder: TemporaryDirectory) async throws -> URL {
        let path = folder.path("jobforge.sqlite")
        try FileManager.default.copyItem(at: try await BuiltStore.shared.url(), to: path)
        return path
    }

    // MARK: The documented queries

    struct DocumentedQuery {
        var name: String
        var sql: String
    }

    /// Each `<!-- query: NAME -->` of docs/DATA-MODEL.md and the ```sql block after it.
    static func documentedQueries() throws -> [DocumentedQuery] {
        let text = try String(contentsOf: RepoPaths.root.appendingPathComponent("docs/DATA-MODEL.md"), encoding: .utf8)
        var queries: [DocumentedQuery] = []
        var name: String?
        var sql: [String]?
        for line in text.components(separatedBy: "\n") {
            if line.hasPrefix("<!-- query: ") {
                name = line.dropFirst("<!-- query: ".count).replacingOccurrences(of: " -->", with: "")
            } else if line == "```sql", name != nil {
                sql = []
            } else if line == "```", let body = sql, let current = name {
                queries.append(DocumentedQuery(name: current, sql: body.joined(separator: "\n")))
                sql = nil
                name = nil
            } else if sql != nil {
                sql!.append(line)
            }
        }
        return queries
    }

    static func rows(_ sql: String, in path: URL) throws -> [Row] {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path.path, configuration: configuration)
        defer { try? queue.close() }
        return try queue.read { try Row.fetchAll($0, sql: sql) }
    }

    static func json(_ arguments: [String], store: URL) throws -> Any {
        let run = try JobForgeBinary.run(arguments + ["--db", store.path, "--json"], in: store.deletingLastPathComponent())
        guard run.status == 0 else { throw SetupFailure("jobforge \(arguments) failed: \(run.stderr)") }
        return try JSONSerialization.jsonObject(with: Data(run.stdout.utf8))
    }

    /// A winning cell as `show --json` prints it, and as a query's row gives it.
    struct Cell: Hashable, CustomStringConvertible {
        var descriptor: String
        var dimension: String
        var value: Double
        var source: String
        var confidence: Double
        var description: String { "\(descriptor)/\(dimension)=\(value) \(source) \(confidence)" }

        /// Values to 9 decimals: JSON text and SQLite's REAL may differ in the last bit of a product.
        init(descriptor: String, dimension: String, value: Double, source: String, confidence: Double) {
            self.descriptor = descriptor
            self.dimension = dimension
            self.value = (value * 1e9).rounded() / 1e9
            self.source = source
            self.confidence = (confidence * 1e9).rounded() / 1e9
        }
    }

    /// `show SUBJECT --json`: every winning cell, with its category.
    static func shown(_ subject: String, store: URL, extra: [String] = []) throws -> [(category: String, cell: Cell)] {
        let output = try #require(try json(["show", subject] + extra, store: store) as? [String: Any])
        var result: [(String, Cell)] = []
        for category in output["categories"] as? [[String: Any]] ?? [] {
            for cell in category["cells"] as? [[String: Any]] ?? [] {
                result.append((category["category"] as! String,
                               Cell(descriptor: cell["descriptorCode"] as! String, dimension: cell["dimension"] as! String,
                                    value: (cell["value"] as! NSNumber).doubleValue, source: cell["source"] as! String,
                                    confidence: (cell["confidence"] as! NSNumber).doubleValue)))
            }
        }
        return result
    }

    static func cell(_ row: Row) -> Cell {
        Cell(descriptor: row["descriptor_code"], dimension: row["dimension"], value: row["value"], source: row["source"],
             confidence: row["confidence"])
    }

    @Test("each of the ten queries of docs/DATA-MODEL.md answers on the shipped build as show, explain and titles do")
    func documentedQueriesAnswerAsTheCommandsDo() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-model-doc")
        defer { folder.remove() }
        let store = try await Self.copyOfBuiltStore(in: folder)
        let queries = try Self.documentedQueries()
        #expect(queries.count == 10, "docs/DATA-MODEL.md documents ten queries: \(queries.map(\.name))")
        var checked: Set<String> = []
        for query in queries {
            let rows = try Self.rows(query.sql, in: store)
            try check(query.name, rows: rows, store: store)
            checked.insert(query.name)
        }
        #expect(checked.count == queries.count, "query names are unique")
    }

    /// A subject's winning cells as fact_cell gives them.
    static func modelCells(_ subject: String, store: URL) throws -> Set<Cell> {
        Set(try rows("SELECT * FROM fact_cell WHERE subject_code = '\(subject)'", in: store).map(cell))
    }

    static func changes(_ store: URL) throws -> (generation: Int64, subjects: [String: Int64]) {
        let generation = try rows("SELECT generation FROM model_state", in: store)[0][0] as Int64
        var subjects: [String: Int64] = [:]
        for row in try rows("SELECT subject_kind, subject_code, generation FROM model_change", in: store) {
            subjects["\(row[0] as String):\(row[1] as String)"] = row[2]
        }
        return (generation, subjects)
    }

    @Test("titles import leaves the model current: a title moved to another unit group gets its new cells and a new generation, no profile changes")
    func titlesImportKeepsTheModelCurrent() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-model-import")
        defer { folder.remove() }
        let store = try await Self.copyOfBuiltStore(in: folder)
        let before = try Self.changes(store)
        let cellsBefore = try Self.modelCells("JA-0002", store: store)

        // JA-0002 (purchasing contracts manager, 10012) becomes a data scientist (21211).
        let csv = "Job ID,Job Title,NOC 2021,Headcount\nJA-0002,Data scientist,21211,40\n"
        try Data(csv.utf8).write(to: folder.path("moved.csv"))
        let run = try JobForgeBinary.run(["titles", "import", "moved.csv", "--column", "id=Job ID", "--column", "title=Job Title",
                                          "--column", "noc_2021=NOC 2021", "--db", store.path], in: folder.url)
        #expect(run.status == 0, "titles import: \(run.stderr)")

        let after = try Self.changes(store)
        #expect(after.generation > before.generation, "the import closed a generation")
        #expect((after.subjects["title:JA-0002"] ?? 0) > before.generation, "JA-0002 is marked changed since the last generation")
        let profilesChanged = after.subjects.filter { $0.key.hasPrefix("profile:") && $0.value > before.generation }
        #expect(profilesChanged.isEmpty, "a titles import re-derives no profile: \(profilesChanged.keys.sorted().prefix(3))")
        let cellsAfter = try Self.modelCells("JA-0002", store: store)
        #expect(cellsAfter != cellsBefore)
        #expect(cellsAfter == Set(try Self.shown("JA-0002", store: store).map(\.cell)), "fact_cell follows the new resolution as show does")
        let title = try Self.rows("SELECT profile_code, json_extract(user_columns, '$.Headcount') AS headcount FROM dim_title WHERE title_id = 'JA-0002'", in: store)
        #expect(title.first?["profile_code"] == "21211.00")
        #expect(title.first?["headcount"] == "40")
    }

    @Test("a store written by the release at 4549848 gets the model on first use, even by a reader (show)")
    func olderStoreGetsTheModel() throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-model-upgrade")
        defer { folder.remove() }
        let store = folder.path("jobforge.sqlite")
        try FileManager.default.copyItem(at: RepoPaths.fixtures.appendingPathComponent("store-4549848.sqlite"), to: store)
        let titles = try Self.rows("SELECT code FROM subject WHERE kind = 'title' ORDER BY code LIMIT 2", in: store).map { $0[0] as String }
        for subject in ["21211", "21211.00"] + titles {
            let shown = Set(try Self.shown(subject, store: store).map(\.cell))
            #expect(!shown.isEmpty)
            #expect(try Self.modelCells(subject, store: store) == shown, "\(subject): fact_cell as show prints it after the upgrade")
        }
        #expect(try Self.rows("SELECT COUNT(*) FROM model_dirty", in: store)[0][0] as Int == 0, "nothing left to derive")
    }

    private func check(_ name: String, rows: [Row], store: URL) throws {
        switch name {
        case "title-skills":
            let shown = try Self.shown("JA-0002", store: store, extra: ["--category", "skills"]).map(\.cell)
            #expect(!rows.isEmpty)
            #expect(Set(rows.map(Self.cell)) == Set(shown), "\(name): JA-0002's skills as show prints them")
            #expect(rows.count == shown.count)
            for row in rows {
                let minimum: Double = row["scale_minimum"], maximum: Double = row["scale_maximum"], value: Double = row["value"]
                // OaSIS 0 ("not applicable") is a value outside the scale's bounds.
                #expect((minimum...maximum).contains(value) || value == 0, "\(name): \(Self.cell(row)) within its scale")
            }
        case "onet-title-cells":
            let titles = Set(rows.map { $0["title_id"] as String })
            #expect(!titles.isEmpty, "the sample architecture has titles with O*NET values")
            for title in titles.sorted().prefix(5) {
                let shown = Set(try Self.shown(title, store: store, extra: ["--source", "onet"]).map(\.cell))
                let queried = Set(rows.filter { $0["title_id"] == title }.map(Self.cell))
                #expect(queried == shown, "\(name): \(title)'s O*NET cells as show prints them")
            }
        case "title-coverage":
            let ja2 = rows.filter { $0["title_id"] == "JA-0002" }
            #expect(!ja2.isEmpty, "JA-0002 still has empty cells (importances O*NET does not rate)")
            let shown = try Self.shown("JA-0002", store: store)
            for row in ja2 {
                let category: String = row["category"]
                let filled = shown.filter { $0.category == category }.count
                #expect(row["cells_filled"] == filled, "\(name): JA-0002's \(category) cells filled as show prints them")
                #expect((row["cells_filled"] as Int) + (row["cells_empty"] as Int) == row["cells_expected"] as Int)
            }
        case "llm-answers":
            #expect(!rows.isEmpty, "the fake LLM answered JA-0002's skills")
            for row in rows.prefix(3) {
                let stories = try #require(try Self.json(["explain", row["subject_code"], row["descriptor_code"]], store: store) as? [[String: Any]])
                let story = try #require(stories.first { $0["dimension"] as? String == row["dimension"] })
                let llm = (story["candidates"] as? [[String: Any]] ?? []).compactMap { $0["candidate"] as? [String: Any] }
                    .filter { $0["source"] as? String == "llm" }
                #expect(llm.contains { ($0["value"] as? NSNumber)?.doubleValue == row["value"] && $0["rationale"] as? String == row["rationale"] },
                        "\(name): explain lists the answer \(row["value"] as Double) with its rationale")
            }
        case "cell-override-history":
            // The shipped build and the LLM's fills replace no winner: then explain must list no event either.
            let answered = try Self.rows("SELECT descriptor_code, dimension FROM fact_cell WHERE subject_code = 'JA-0002' AND source = 'llm' LIMIT 1", in: store)
            let first = try #require(rows.first ?? answered.first)
            let stories = try #require(try Self.json(["explain", "JA-0002", first["descriptor_code"]], store: store) as? [[String: Any]])
            let story = try #require(stories.first { $0["dimension"] as? String == first["dimension"] })
            let events = story["overrides"] as? [[String: Any]] ?? []
            let cellRows = rows.filter { $0["descriptor_code"] == first["descriptor_code"] as String && $0["dimension"] == first["dimension"] as String }
            #expect(events.map { ($0["id"] as! NSNumber).int64Value } == cellRows.map { $0["event_id"] as Int64 },
                    "\(name): the cell's events as explain lists them")
        case "titles":
            let listed = try #require(try Self.json(["titles"], store: store) as? [[String: Any]])
            #expect(!rows.isEmpty && rows.count == listed.count, "\(name): every title titles lists")
            let byID = Dictionary(uniqueKeysWithValues: listed.map { ($0["id"] as! String, $0) })
            for row in rows {
                let title = try #require(byID[row["title_id"]])
                #expect(title["profileCode"] as? String == row["profile_code"])
                #expect(title["method"] as? String == row["resolution_method"])
                #expect((title["confidence"] as? NSNumber)?.doubleValue == row["resolution_confidence"])
                #expect((title["extra"] as? [String: String])?["Headcount"] == row["headcount"], "\(name): the user's own column")
            }
        case "precedence-in-sql":
            for subject in ["JA-0002", "21211", "21211.00"] {
                let shown = Set(try Self.shown(subject, store: store).map(\.cell))
                let queried = Set(rows.filter { $0["subject_code"] == subject }.map(Self.cell))
                #expect(!queried.isEmpty && queried == shown, "\(name): precedence in SQL picks \(subject)'s winners as show does")
            }
        case "unit-group-work-context":
            let shown = try Self.shown("21211", store: store, extra: ["--category", "work-context"]).map(\.cell)
            #expect(!rows.isEmpty && Set(rows.map(Self.cell)) == Set(shown), "\(name): 21211's work context as show prints it")
        case "title-sources":
            let shown = try Self.shown("JA-0002", store: store)
            for row in rows {
                let source: String = row["source"], category: String = row["category"]
                #expect(row["cells"] == shown.filter { $0.category == category && $0.cell.source == source }.count,
                        "\(name): JA-0002's \(category) cells from \(source)")
            }
            #expect(rows.reduce(0) { $0 + ($1["cells"] as Int) } == shown.count)
        case "low-confidence":
            let all = try Self.shown("JA-0002", store: store).map(\.cell)
            let sure = Set(try Self.shown("JA-0002", store: store, extra: ["--min-confidence", "0.5"]).map(\.cell))
            let expected = Set(all.filter { !sure.contains($0) })
            #expect(!expected.isEmpty)
            #expect(Set(rows.map(Self.cell)) == expected, "\(name): JA-0002's cells below 0.5 as show leaves them out")
        default:
            Issue.record("docs/DATA-MODEL.md documents a query \"\(name)\" that no check covers")
        }
    }
}
