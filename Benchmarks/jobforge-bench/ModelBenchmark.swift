import Foundation
import GRDB
import JobForgeBuild
import JobForgeCore
import JobForgeStore
import JobForgeTitles

/// `jobforge-bench model [--count N] [--data FOLDER]`: the published model at scale. Builds a
/// store from the shipped data, imports N generated titles (default 200,000) the way
/// `jobforge titles import` does (the model kept in the same transaction), then times the six
/// questions of docs/DATA-MODEL.md, a re-derivation of every profile and unit group (what a
/// build pays), and the alternative design: title cells materialized as a table.
func runModelBenchmark(arguments: [String]) async throws {
    var count = 200_000
    var dataFolder = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("data")
    var index = 0
    while index < arguments.count {
        switch arguments[index] {
        case "--count" where index + 1 < arguments.count: count = Int(arguments[index + 1]) ?? count; index += 1
        case "--data" where index + 1 < arguments.count: dataFolder = URL(fileURLWithPath: arguments[index + 1]); index += 1
        default: break
        }
        index += 1
    }

    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jobforge-bench-model-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("model.sqlite").path
    let store = try SQLiteStore(path: path, schemas: BuildPipeline.schemas)
    let start = DispatchTime.now().uptimeNanoseconds
    _ = try await BuildPipeline(options: .init(dataFolder: dataFolder)).run(store: store)
    let buildTime = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    try measureModel(store: store, path: path, count: count, dataFolder: dataFolder, buildTime: buildTime)
}

private func time<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = DispatchTime.now().uptimeNanoseconds
    let result = try body()
    return (result, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
}

private func seconds(_ value: Double) -> String { String(format: "%9.3f s", value) }

/// The part of the model benchmark after the build: synchronous, as the store's writes are.
private func measureModel(store: SQLiteStore, path: String, count: Int, dataFolder: URL, buildTime: Double) throws {
    func fileSize() -> Double {
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int ?? 0
        return Double(bytes) / 1_048_576
    }
    let builtSize = fileSize()

    // The titles: the sample's rows, repeated with the changes HR spreadsheets make to titles.
    let sampleURL = dataFolder.appendingPathComponent("sample/job_architecture.csv")
    let sample = try CSVReader().records(try Data(contentsOf: sampleURL), file: sampleURL.lastPathComponent)
    let rows = Array(sample.dropFirst())
    let variants: [(String) -> String] = [{ $0 }, { "Senior " + $0 }, { $0 + " II" }, { "Sr. " + $0 }, { $0 + " - Team Lead" },
                                          { $0.uppercased() }, { "Lead " + $0 }, { $0 + " (bilingual)" }]
    func csv(noc: (Int, String) -> String) -> Data {
        var text = CSVWriter.byteOrderMark + CSVWriter.line(sample[0].fields)
        for i in 0..<count {
            var fields = rows[i % rows.count].fields
            fields[0] = "B-\(i)"
            fields[1] = variants[(i / rows.count) % variants.count](fields[1])
            fields[6] = noc(i, fields[6])
            text += CSVWriter.line(fields)
        }
        return Data(text.utf8)
    }
    let importer = TitleImporter(resolver: try TitleImporter.resolver(store: store, dataDirectory: dataFolder))
    func importTitles(_ input: Data) throws -> Double {
        try time {
            try store.withRun(command: "titles import") { runID in
                try store.dbQueue.write { db in
                    try TitleCells.resolving(in: db, runID: runID) { db in try importer.importData(input, file: "bench.csv", in: db) }
                }
            }
        }.1
    }
    let importTime = try importTitles(csv { _, noc in noc })
    let importedSize = fileSize()
    let reimportTime = try importTitles(csv { _, noc in noc })
    // One title in a hundred moves to another unit group: its rows change, no other's.
    let changedTime = try importTitles(csv { i, noc in i % 100 == 0 ? "21211" : noc })

    let questions: [(String, String)] = [
        ("one title's skills", """
            SELECT f.descriptor_code, d.name, f.dimension, f.value, d.scale_minimum, d.scale_maximum, f.source, f.confidence
            FROM fact_cell f JOIN dim_descriptor d ON d.descriptor_code = f.descriptor_code AND d.dimension = f.dimension
            WHERE f.subject_kind = 'title' AND f.subject_code = 'B-1' AND d.category = 'Skills'
            """),
        ("every title cell from O*NET", "SELECT subject_code, descriptor_code, dimension, value FROM fact_cell WHERE subject_kind = 'title' AND source = 'onet'"),
        ("empty cells of one title", "SELECT * FROM title_coverage WHERE title_id = 'B-1'"),
        ("empty cells, every title", "SELECT * FROM title_coverage WHERE cells_empty > 0"),
        ("the LLM answers", "SELECT * FROM fact_candidate WHERE source = 'llm'"),
        ("one cell's override history", """
            SELECT * FROM fact_override WHERE subject_kind = 'profile' AND subject_code = '21211.00'
                AND descriptor_code = 'A01a02' AND dimension = 'level' ORDER BY event_id
            """),
        ("every title with its columns", "SELECT *, json_extract(user_columns, '$.Headcount') FROM dim_title"),
        ("count of every title cell", "SELECT COUNT(*) FROM fact_cell WHERE subject_kind = 'title'"),
    ]
    print("model benchmark: \(count) titles; build \(seconds(buildTime)), store \(String(format: "%.1f", builtSize)) MB after build, \(String(format: "%.1f", importedSize)) MB after the import")
    print("  titles import (model kept)        \(seconds(importTime))")
    print("  re-import, nothing changes        \(seconds(reimportTime))")
    print("  re-import, 1% change unit group   \(seconds(changedTime))")
    try store.dbQueue.read { db in
        let materialized = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM model_candidate") ?? 0
        let generation = try PublishedModel.generation(in: db)
        print("  model_candidate rows              \(materialized); generation \(generation)")
        for (label, sql) in questions {
            let (rows, elapsed) = try time { () throws -> Int in
                var rows = 0
                let cursor = try Row.fetchCursor(db, sql: sql)
                while try cursor.next() != nil { rows += 1 }
                return rows
            }
            print("  \(label.padding(toLength: 33, withPad: " ", startingAt: 0)) \(seconds(elapsed))   (\(rows) rows)")
        }
    }
    // What a build pays: every profile and unit group derived again.
    let refreshTime = try time {
        try store.dbQueue.write { db in
            try db.execute(sql: """
                INSERT OR IGNORE INTO model_dirty (subject_kind, subject_code)
                SELECT subject_kind, subject_code FROM model_candidate GROUP BY subject_kind, subject_code
                """)
            try PublishedModel.refresh(db)
        }
    }.1
    print("  re-derive every profile, unit group \(seconds(refreshTime))")
    // The other design: every title cell as a table (what an import would have to write).
    let materializeTime = try time {
        try store.dbQueue.write { db in
            try db.execute(sql: "CREATE TABLE bench_title_cell AS SELECT * FROM fact_candidate WHERE subject_kind = 'title'")
        }
    }.1
    try store.dbQueue.writeWithoutTransaction { try $0.execute(sql: "VACUUM") }
    print("  materialize every title candidate \(seconds(materializeTime)); store \(String(format: "%.1f", fileSize())) MB with them")
}
