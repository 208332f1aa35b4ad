import Foundation
import JobForgeCore
import JobForgeStore
import JobForgeTestSupport
import Testing
@testable import JobForgeTitles

/// An import streams its file in batches (`TitleImporter.batchSize`) and keeps the resolver's
/// answers for titles it has seen: what it stores must be what checking the whole file and
/// resolving each title alone gives, whatever batch a row falls in.
@Suite struct TitleImportStreamingTests {
    /// The shipped sample's rows repeated with the changes HR spreadsheets make to titles, past
    /// two batches; `edit` changes one row's family.
    static func architecture(rows: Int, edit: Int? = nil) throws -> Data {
        let sample = try CSVReader().records(try Data(contentsOf: RepoPaths.data.appendingPathComponent("sample/job_architecture.csv")),
                                             file: "job_architecture.csv")
        let variants: [(String) -> String] = [{ $0 }, { "Senior " + $0 }, { $0 + " II" }, { $0.uppercased() }]
        var csv = CSVWriter.line(sample[0].fields)
        for index in 0..<rows {
            var fields = sample[1 + index % (sample.count - 1)].fields
            fields[0] = "S-\(index)"
            fields[1] = variants[(index / (sample.count - 1)) % variants.count](fields[1])
            if index == edit { fields[4] = "Edited family" }
            csv += CSVWriter.line(fields)
        }
        // A key already used in the first batch, found in the last one; a code that is no unit group.
        csv += CSVWriter.line(["S-0"] + sample[1].fields.dropFirst())
        var unknownCode = sample[1].fields
        unknownCode[0] = "S-unknown"
        unknownCode[6] = "99999"
        csv += CSVWriter.line(unknownCode)
        return Data(csv.utf8)
    }

    @Test func aFileOfSeveralBatchesStoresWhatResolvingEachTitleAloneGives() throws {
        let temporary = try TemporaryStore()
        defer { temporary.remove() }
        let rows = TitleImporter.batchSize * 2 + 500
        let data = try Self.architecture(rows: rows)
        // A file this large next to the titles stored sets their indexes aside while it writes
        // (`TitleWriter`): every one is back, as it was, when the import is done.
        // Its marking triggers too (it marks the titles itself), and the generation index of model_change.
        let indexesSQL = """
            SELECT name || ': ' || sql FROM sqlite_master WHERE type IN ('index', 'trigger')
                AND tbl_name IN ('job_title', 'title_resolution', 'model_change') AND sql IS NOT NULL ORDER BY name
            """
        let indexes = try temporary.store.dbQueue.read { try String.fetchAll($0, sql: indexesSQL) }
        #expect(indexes.count == 11)
        let generation = try temporary.store.dbQueue.read { try PublishedModel.generation(in: $0) }
        let summary = try temporary.importer.importData(data, file: "arch.csv")
        #expect(try temporary.store.dbQueue.read { try String.fetchAll($0, sql: indexesSQL) } == indexes)

        // The whole file checked at once, each title resolved by a resolver of its own.
        let parsed = try ArchitectureParser(unitGroups: RealData.resolver.unitGroups, concordance: RealData.concordance)
            .parse(data, file: "arch.csv")
        let fresh = TitleResolver(reference: RealData.reference, concordance: RealData.concordance)
        let expected = parsed.titles.map { title -> JobTitleRecord in
            var record = TitleImporter.record(title, fresh.resolve(title))
            record.importRunID = summary.importRunID
            return record
        }
        #expect(parsed.titles.count > TitleImporter.batchSize * 2)
        #expect(summary.rowsRead == rows + 2)
        #expect(summary.imported == parsed.titles.count)
        #expect(summary.inserted == parsed.titles.count)
        #expect(summary.badRows == parsed.badRows)
        #expect(summary.badRows.suffix(2).map(\.reason) == [.duplicateKey, .unknownNOC2021])
        #expect(summary.badRows.suffix(2).first?.message.contains("line 2") == true)   // S-0, after the header
        #expect(summary.resolvedByMethod == Dictionary(grouping: expected, by: \.method.rawValue).mapValues(\.count))
        let stored = try temporary.catalog.titles()
        #expect(stored == expected.sorted { $0.id < $1.id })

        // What the engine reads: a resolution row for each resolved title, a context for each title.
        let (resolutions, contexts) = try temporary.store.dbQueue.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM title_resolution") ?? 0,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM subject_context WHERE kind = 'title'") ?? 0)
        }
        #expect(resolutions == expected.count { $0.resolution?.isResolved == true })
        #expect(contexts == parsed.titles.count)
        // Every title the import wrote is marked changed for the published model, in the generation it closed.
        let marked = try temporary.store.dbQueue.read { db in
            try String.fetchAll(db, sql: "SELECT subject_code FROM model_change WHERE subject_kind = 'title' AND generation = ? ORDER BY subject_code",
                                arguments: [generation + 1])
        }
        #expect(marked == expected.map(\.id).sorted())
    }

    @Test func aReimportCountsEachTitleOnceAcrossBatchesAndFindsTheOneEdit() throws {
        let temporary = try TemporaryStore()
        defer { temporary.remove() }
        let rows = TitleImporter.batchSize + 700
        let first = try temporary.importer.importData(try Self.architecture(rows: rows), file: "arch.csv")
        #expect(first.imported > TitleImporter.batchSize)
        let again = try temporary.importer.importData(try Self.architecture(rows: rows), file: "arch.csv")
        #expect(again.inserted == 0)
        #expect(again.updated == 0)
        #expect(again.unchanged == first.imported)

        // An edit in the second batch, past its first statement of many rows.
        let target = try #require(try temporary.catalog.titles().compactMap { Int($0.id.dropFirst(2)) }
            .filter { $0 > TitleImporter.batchSize + 100 }.min())
        let edited = try temporary.importer.importData(try Self.architecture(rows: rows, edit: target), file: "arch.csv")
        #expect(edited.updated == 1)
        #expect(edited.unchanged == first.imported - 1)
        let title = try temporary.catalog.title(matching: "S-\(target)")
        #expect(title?.family == "Edited family")
        #expect(title?.importRunID == edited.importRunID)
        #expect(try temporary.catalog.importRuns().map(\.imported) == Array(repeating: first.imported, count: 3))
    }
}
