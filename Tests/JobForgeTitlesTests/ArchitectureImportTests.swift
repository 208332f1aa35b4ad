import Foundation
import Testing
import JobForgeCore
import JobForgeStore
import JobForgeTestSupport
@testable import JobForgeTitles

/// Reading and checking a job architecture file, and storing it.
@Suite struct ArchitectureImportTests {
    func parser(_ mapping: ColumnMapping = ColumnMapping()) -> ArchitectureParser {
        ArchitectureParser(mapping: mapping, unitGroups: RealData.resolver.unitGroups, concordance: RealData.concordance)
    }

    @Test func readsBOMCRLFAndQuotedFieldsWithCommasQuotesAndNewlines() throws {
        let text = "Job ID,Job Title,NOC 2021,Notes\r\n"
            + "A1,\"Senior managers - financial, communications and other business services\",00012,\"says \"\"hi\"\"\"\r\n"
            + "A2,Data scientist,21211,\"two\r\nlines\"\r\n"
            + "A3,Historian,41409,plain\r\n"
        let parsed = try parser().parse(.csv(text, bom: true), file: "arch.csv")
        #expect(parsed.badRows.isEmpty)
        #expect(parsed.titles.map(\.id) == ["A1", "A2", "A3"])
        #expect(parsed.titles[0].title == "Senior managers - financial, communications and other business services")
        #expect(parsed.titles[0].extra == ["Notes": "says \"hi\""])
        #expect(parsed.titles[1].extra["Notes"] == "two\r\nlines")
        // The line break inside a field moves the next row to line 5.
        #expect(parsed.titles.map(\.sourceLine) == [2, 3, 5])
        #expect(parsed.fieldColumns[.id] == "Job ID")
        #expect(parsed.fieldColumns[.noc2021] == "NOC 2021")
    }

    @Test func keepsColumnsWithEmptyOrRepeatedHeaderNames() throws {
        let text = "title,noc,Region,,Region\nData scientist,21211,East,x,West\n"
        let parsed = try parser().parse(.csv(text), file: "arch.csv")
        #expect(parsed.headers == ["title", "noc", "Region", "column_4", "Region (2)"])
        #expect(parsed.titles.first?.extra == ["Region": "East", "column_4": "x", "Region (2)": "West"])
    }

    @Test func reportsEveryBadRowWithItsLineAndReasonAndSkipsIt() throws {
        let text = """
            id,title,noc_2021,noc_2016
            1,Data scientist,21211,
            2,,21211,
            3,Web designer,2175,
            4,Policy analyst,99999,
            5,Too,many,fields,here
            6,Legacy role,,9999
            7,Historian,41409,
            7,Historian again,41409,
            8,Intern,,

            """
        let parsed = try parser().parse(.csv(text), file: "arch.csv")
        #expect(parsed.rowsRead == 9)
        #expect(parsed.titles.map(\.id) == ["1", "4", "7", "8"].filter { $0 != "4" })
        let bad = parsed.badRows.map { "\($0.line) \($0.reason.rawValue)" }
        #expect(bad == ["3 no_title", "4 unknown_noc_2021", "5 unknown_noc_2021", "6 wrong_field_count",
                        "7 unknown_noc_2016", "9 duplicate_key"])
        let web = try #require(parsed.badRows.first { $0.line == 4 })
        #expect(web.message.contains("NOC 2016 column"))
        #expect(web.description.hasPrefix("arch.csv:4: "))
        #expect(parsed.badRows.first { $0.line == 9 }?.message.contains("line 8") == true)
    }

    @Test func withoutAnIDColumnTheKeyIsTheTitleAndCode() throws {
        let text = "Job Title,NOC 2021\nData scientist,21211\nDATA SCIENTIST!,21211\nData scientist,21232\n"
        let parsed = try parser().parse(.csv(text), file: "arch.csv")
        // Same title (ignoring case and punctuation) and code: one key; another code: another key.
        #expect(parsed.titles.count == 2)
        #expect(parsed.badRows.map(\.reason) == [.duplicateKey])
        #expect(parsed.titles[0].id == JobTitle.derivedID(title: "data scientist", noc2021: "21211", noc2016: nil))
        #expect(parsed.titles[0].id != parsed.titles[1].id)
    }

    @Test func columnFlagsAndMappingFilesNameTheColumns() throws {
        let text = "Poste,Code CNP,Famille,Niveau,Ref\nHistorian,41409,Research,IC,R-1\n"
        let flags = try ColumnMapping(assignments: ["title=Poste", "noc=Code CNP", "family=Famille",
                                                    "managerial_level=Niveau", "id=#5"])
        let parsed = try parser(flags).parse(.csv(text), file: "arch.csv")
        let title = try #require(parsed.titles.first)
        #expect(title.id == "R-1")
        #expect(title.title == "Historian")
        #expect(title.noc2021 == "41409")
        #expect(title.family == "Research")
        #expect(title.managerialLevel == "IC")
        #expect(title.extra.isEmpty)

        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.path("mapping.txt")
        try "# comment\ntitle = Poste\n\nnoc_2021=Code CNP\n".write(to: file, atomically: true, encoding: .utf8)
        let fromFile = try ColumnMapping(contentsOf: file)
        #expect(fromFile.headers == [.title: "Poste", .noc2021: "Code CNP"])
        try "title=Poste\nsalary=Pay\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: MappingError.self) { try ColumnMapping(contentsOf: file) }
        do {
            _ = try ColumnMapping(contentsOf: file)
        } catch let error as MappingError {
            #expect(error.message.hasPrefix("mapping.txt:2:"))
        }
        try #"{"title": "Poste", "noc": "Code CNP"}"#.write(to: file, atomically: true, encoding: .utf8)
        #expect(try ColumnMapping(contentsOf: file).headers == [.title: "Poste", .noc2021: "Code CNP"])
    }

    @Test func aMissingTitleColumnOrMappedHeaderFailsTheFileWithTheHeaders() throws {
        #expect(throws: InputError.self) { try parser().parse(.csv("Poste,NOC\nx,21211\n"), file: "a.csv") }
        let mapping = try ColumnMapping(assignments: ["title=Job Name"])
        do {
            _ = try parser(mapping).parse(.csv("Job Title,NOC\nx,21211\n"), file: "a.csv")
            Issue.record("expected an error")
        } catch let error as InputError {
            #expect(error.line == 1)
            #expect(error.message.contains("\"Job Title\""))
        }
        #expect(throws: MappingError.self) { try ColumnMapping(assignments: ["wage=Pay"]) }
        #expect(throws: MappingError.self) { try ColumnMapping(assignments: ["title"]) }
    }

    @Test func strictModeWritesNothingWhenARowIsBad() throws {
        let temporary = try TemporaryStore()
        defer { temporary.remove() }
        let text = "id,title,noc\n1,Data scientist,21211\n2,,21211\n"
        #expect(throws: StrictImportError.self) {
            try temporary.importer.importData(.csv(text), file: "arch.csv", strict: true)
        }
        #expect(try temporary.catalog.count() == 0)
        #expect(try temporary.catalog.importRuns().isEmpty)
        // Without --strict the good row goes in and the bad one is reported.
        let summary = try temporary.importer.importData(.csv(text), file: "arch.csv")
        #expect(summary.imported == 1)
        #expect(summary.skippedByReason == ["no_title": 1])
        #expect(try temporary.catalog.count() == 1)
    }

    @Test func reimportingTheSameFileChangesNothingAndAnEditUpdatesInPlace() throws {
        let temporary = try TemporaryStore()
        defer { temporary.remove() }
        let text = "id,title,noc,family\n1,Data scientist,21211,IT\n2,Historian,41409,Research\n3,Intern,,\n"
        let first = try temporary.importer.importData(.csv(text), file: "arch.csv")
        #expect(first.inserted == 3)
        let before = try temporary.catalog.titles()
        let second = try temporary.importer.importData(.csv(text), file: "arch.csv")
        #expect(second.inserted == 0)
        #expect(second.updated == 0)
        #expect(second.unchanged == 3)
        #expect(try temporary.catalog.titles() == before)
        #expect(try temporary.catalog.importRuns().count == 2)

        let edited = "id,title,noc,family\n1,Data scientist,21211,Analytics\n2,Historian,41409,Research\n3,Intern,,\n"
        let third = try temporary.importer.importData(.csv(edited), file: "arch.csv")
        #expect(third.updated == 1)
        let after = try temporary.catalog.titles()
        #expect(after.count == 3)
        #expect(after.first { $0.id == "1" }?.family == "Analytics")
        #expect(after.first { $0.id == "1" }?.importRunID == third.importRunID)
        #expect(after.first { $0.id == "2" }?.importRunID == first.importRunID)
    }

    @Test func theShippedSampleImportsResolvesAndReportsItsEdgeCases() throws {
        let temporary = try TemporaryStore()
        defer { temporary.remove() }
        let url = RepoPaths.data.appendingPathComponent("sample/job_architecture.csv")
        let summary = try temporary.importer.importFile(url)
        #expect(summary.rowsRead == 288)
        #expect(summary.imported == 285)
        #expect(summary.skippedByReason == ["unknown_noc_2021": 3])
        #expect(summary.withoutCode == 10)
        #expect(summary.unitGroupFromNOC2016 == 20)
        #expect(summary.resolvedByMethod["no_code"] == 10)
        #expect(summary.resolvedByMethod["noc2016_ambiguous"] == 6)
        for method in ["exact_label", "exact_title", "single_profile", "fuzzy", "unit_group_fallback"] {
            #expect((summary.resolvedByMethod[method] ?? 0) > 0, "\(method)")
        }
        #expect(summary.resolvedByMethod.values.reduce(0, +) == summary.imported)
        // The mapping file names the same columns the headers are recognized by.
        let mapping = try ColumnMapping(contentsOf: RepoPaths.data.appendingPathComponent("sample/job_architecture.mapping"))
        let again = try temporary.importer.importFile(url, mapping: mapping)
        #expect(again.unchanged == 285)
        #expect(again.columns == summary.columns)

        let unresolved = try temporary.catalog.titles(unresolvedOnly: true)
        #expect(unresolved.count == 16)
        #expect(unresolved.allSatisfy { $0.confidence == 0 && !$0.note.isEmpty })
        let fuzzy = try temporary.catalog.titles(method: "fuzzy")
        #expect(fuzzy.allSatisfy { ($0.fuzzyScore ?? 0) >= 70 && $0.confidence == 0.60 })
        // A quoted field with a line break comes through whole.
        let quoted = try #require(try temporary.catalog.titles().first { $0.extraJSON.contains("Hybrid role") })
        #expect(TitleImporter.jobTitle(quoted).extra["Notes"] == "Hybrid role:\nanalytics and machine learning")
        #expect(try temporary.catalog.title(matching: "data SCIENTIST")?.profileCode == "21211.00")
    }
}

/// Broken input files: each is refused with its file and line, and nothing is written.
@Suite struct BrokenArchitectureFileTests {
    func parser() -> ArchitectureParser {
        ArchitectureParser(unitGroups: RealData.resolver.unitGroups, concordance: RealData.concordance)
    }

    func parseError(_ text: String) throws -> InputError {
        do {
            _ = try parser().parse(.csv(text), file: "arch.csv")
        } catch let error as InputError {
            return error
        }
        Issue.record("the broken file was accepted")
        return InputError(file: "", line: 0, message: "")
    }

    @Test func anUnclosedQuoteIsReportedOnTheLineItOpens() throws {
        // Line 3 opens a quote and never closes it: the parser reads on to the quote of line 11,
        // takes it for the closing one, and finds text after it.
        var lines = ["id,title,noc_2021", "A1,Data scientist,21211", "A2,\"Historian,41409"]
        lines += (4...10).map { "A\($0 - 1),Title \($0),21211" }
        lines += ["A10,\"Web designer\",21233", ""]
        let error = try parseError(lines.joined(separator: "\n"))
        #expect(error.file == "arch.csv")
        #expect(error.line == 3, "\(error)")
        #expect(error.message.contains("closed only on line 11"), "\(error)")
        #expect(error.description.hasPrefix("arch.csv:3: "))

        // A quote still open at the end of the file, in a record that starts a line earlier.
        let open = try parseError("id,title,notes,more\nA1,Historian,\"two\nlines\",\"never closed\nA2,Data scientist,x,y\n")
        #expect(open.line == 3, "\(open)")
        #expect(open.message.contains("never closed"))
    }

    @Test func aNULByteIsRefusedWithItsLineAndNothingIsStored() throws {
        let temporary = try TemporaryStore()
        defer { temporary.remove() }
        // A leading NUL would store an empty title (SQLite ends the text there).
        let text = "id,title,noc_2021\nA1,Data scientist,21211\nA2,\u{0}Historian,41409\n"
        do {
            _ = try temporary.importer.importData(.csv(text), file: "arch.csv")
            Issue.record("a title with a NUL byte was imported")
        } catch let error as InputError {
            #expect(error.file == "arch.csv")
            #expect(error.line == 3)
            #expect(error.message.contains("NUL byte"))
        }
        #expect(try temporary.catalog.count() == 0)
        // Inside quotes too.
        #expect(throws: InputError.self) {
            try parser().parse(.csv("id,title\nA1,\"Data\u{0} scientist\"\n"), file: "arch.csv")
        }
    }

    @Test func overLongFieldsAreRefusedWithTheirLineColumnAndLimit() throws {
        // The README's limits: 500 characters for a title (any field JobForge reads), 5,000 for
        // the other columns.
        let megabyteTitle = String(repeating: "Data scientist ", count: 70_000)
        let text = "id,title,noc_2021,notes\n"
            + "A1,\(megabyteTitle),21211,\n"
            + "A2,\(String(repeating: "é", count: 500)),21211,\(String(repeating: "n", count: 5_000))\n"
            + "A3,Historian,41409,\(String(repeating: "n", count: 5_001))\n"
            + "A4,Data scientist,21211,short\n"
        let parsed = try parser().parse(.csv(text), file: "arch.csv")
        #expect(parsed.titles.map(\.id) == ["A2", "A4"], "fields at the limit pass")
        #expect(parsed.badRows.map { "\($0.line) \($0.reason.rawValue)" } == ["2 too_long", "4 too_long"])
        let title = try #require(parsed.badRows.first)
        #expect(title.message.contains("column \"title\" has \(megabyteTitle.count) characters"), "\(title.message)")
        #expect(title.message.contains("at most 500"))
        #expect(parsed.badRows.last?.message.contains("column \"notes\"") == true)
        #expect(parsed.badRows.last?.message.contains("at most 5000") == true)
    }
}
