import Foundation
import JobForgeBuild
import JobForgeCore
import JobForgeOaSIS
import JobForgeStore
import JobForgeTestSupport
import Testing

/// Each kind of malformed input stops the load with its file, line and column, and nothing of
/// that load is written.
@Suite("Malformed OaSIS input")
struct MalformedInputTests {
    /// A copy of the shipped data with one file changed by `edit`.
    func withBrokenCopy(file: String, _ edit: (inout [String]) -> Void, check: (InputError, SQLiteStore) throws -> Void) async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-broken")
        defer { folder.remove() }
        let data = folder.path("data")
        for part in ["oasis", "noc", "mappings"] {
            try FileManager.default.copyItem(at: RepoPaths.data.appendingPathComponent(part), to: data.appendingPathComponent(part))
        }
        let url = data.appendingPathComponent(file)
        var lines = try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\n")
        edit(&lines)
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)

        let store = try SQLiteStore(path: folder.path("t.sqlite").path, schemas: BuildPipeline.schemas)
        do {
            _ = try await BuildPipeline(options: .init(dataFolder: data)).run(store: store)
            Issue.record("the broken \(file) was accepted")
        } catch let error as InputError {
            try check(error, store)
            let counts = try store.tableCounts()
            for table in ["noc_class", "profile", "profile_text", "descriptor", "candidate", "profile_rating", "release", "step"] {
                #expect(counts[table] == 0, "\(table) was written although the load failed")
            }
        }
    }

    @Test("a row with a wrong number of fields")
    func wrongFieldCount() async throws {
        try await withBrokenCopy(file: "oasis/skills_oasis_2023_v1.0.csv", { $0[5] += ",7" }) { error, _ in
            #expect(error.file == "skills_oasis_2023_v1.0.csv")
            #expect(error.line == 6)
            #expect(error.message.contains("expected 35 fields"))
        }
    }

    @Test("a rating that is not a number")
    func nonNumericRating() async throws {
        try await withBrokenCopy(file: "oasis/abilities_oasis_2023_v1.0.csv", { lines in
            var fields = lines[1].components(separatedBy: ",")
            fields[4] = "high"
            lines[1] = fields.joined(separator: ",")
        }) { error, _ in
            #expect(error.file == "abilities_oasis_2023_v1.0.csv")
            #expect(error.line == 2)
            #expect(error.column == "Fluency of Ideas")
            #expect(error.message.contains("\"high\" is not a rating"))
        }
    }

    @Test("a rating off its scale")
    func offScale() async throws {
        try await withBrokenCopy(file: "oasis/knowledges_oasis_2023_v1.0.csv", { lines in
            var fields = lines[2].components(separatedBy: ",")
            fields[2] = "4"
            lines[2] = fields.joined(separator: ",")
        }) { error, _ in
            #expect(error.line == 3)
            #expect(error.column == "Accounting")
            #expect(error.message.contains("off the scale knowledge level 1-3"))
        }
    }

    @Test("a code that is not a code")
    func badCode() async throws {
        try await withBrokenCopy(file: "oasis/workcontext_oasis_2023_v1.0.csv", { lines in
            lines[1] = lines[1].replacingOccurrences(of: "00010.00", with: "0001O.00")
        }) { error, _ in
            #expect(error.file == "workcontext_oasis_2023_v1.0.csv")
            #expect(error.line == 2)
            #expect(error.column == "OaSIS Code - Final")
            #expect(error.message.contains("not an OaSIS profile code"))
        }
    }

    @Test("a header that neither the guide nor the mapping table knows")
    func unknownHeader() async throws {
        try await withBrokenCopy(file: "oasis/skills_oasis_2023_v1.0.csv", { lines in
            lines[0] = lines[0].replacingOccurrences(of: "Numeracy ", with: "Numerology")
        }) { error, _ in
            #expect(error.line == 1)
            #expect(error.column == "Numerology")
            #expect(error.message.contains("unknown header"))
            #expect(error.message.contains("oasis_headers.csv"))
        }
    }

    @Test("a NOC code that is not a code of its level")
    func badNOCCode() async throws {
        try await withBrokenCopy(file: "noc/noc_structure_en.csv", { lines in
            lines[6] = lines[6].replacingOccurrences(of: ",00011,", with: ",0001A,")
        }) { error, _ in
            #expect(error.file == "noc_structure_en.csv")
            #expect(error.line == 7)
            #expect(error.column == "Code - NOC 2021 V1.0")
        }
    }

    @Test("a rating file cut at a row boundary: every row is well formed, half the profiles are missing")
    func truncatedRatingFile() async throws {
        try await withBrokenCopy(file: "oasis/skills_oasis_2023_v1.0.csv", { lines in
            // The header, the first 450 profiles' rows, and the file's last line break.
            lines = Array(lines.prefix(451)) + [""]
        }) { error, _ in
            #expect(error.file == "skills_oasis_2023_v1.0.csv")
            #expect(error.line == 452, "the line after the last row, where the file was cut")
            #expect(error.message.contains("without 450 of the 900 profiles of the labels file"))
            // The first profile missing is the first one cut off (line 452 of the original file).
            let original = try String(contentsOf: RepoPaths.data.appendingPathComponent("oasis/skills_oasis_2023_v1.0.csv"), encoding: .utf8)
            let firstCut = try #require(original.components(separatedBy: "\n")[451].split(separator: ",").first)
            #expect(error.message.contains(": \(firstCut), "), "\(error.message)")
        }
    }

    @Test("a quote that is never closed is reported on the line it opened, not where the parser noticed it")
    func unclosedQuoteReportedWhereItOpens() async throws {
        try await withBrokenCopy(file: "oasis/main-duties_oasis-2023_v1.0.csv", { lines in
            // Line 5 is unquoted; opening a quote there swallows the lines below it up to the next
            // quote, on line 7, which the parser takes for the closing one.
            #expect(!lines[4].contains("\""))
            #expect(lines[6].hasPrefix("00011.00,\""))
            lines[4] = lines[4].replacingOccurrences(of: "00010.00,", with: "00010.00,\"")
        }) { error, _ in
            #expect(error.file == "main-duties_oasis-2023_v1.0.csv")
            #expect(error.line == 5, "\(error)")
            #expect(error.message.contains("closed only on line 7"), "\(error)")
        }
    }

    @Test("a NUL byte is refused with its file and line, not stored as a cut text")
    func nulByte() async throws {
        try await withBrokenCopy(file: "oasis/labels_oasis_2023_v1.0.csv", { lines in
            lines[2] = lines[2].replacingOccurrences(of: "00011.00,", with: "00011.00,\u{0}")
        }) { error, _ in
            #expect(error.file == "labels_oasis_2023_v1.0.csv")
            #expect(error.line == 3)
            #expect(error.message.contains("NUL byte"))
        }
    }

    @Test("an over-long label or text is refused with its file, line, column and the limit")
    func overlongTexts() async throws {
        // 500 characters for a label (a name), 5,000 for free text: the limits the README states.
        try await withBrokenCopy(file: "oasis/labels_oasis_2023_v1.0.csv", { lines in
            lines[3] = "00012.00," + String(repeating: "é", count: 501)
        }) { error, _ in
            #expect(error.file == "labels_oasis_2023_v1.0.csv")
            #expect(error.line == 4)
            #expect(error.column == "Label")
            #expect(error.message.contains("501 characters"))
            #expect(error.message.contains("at most 500"))
        }
        try await withBrokenCopy(file: "oasis/main-duties_oasis-2023_v1.0.csv", { lines in
            lines[5] = "00010.00," + String(repeating: "x", count: 5_001)
        }) { error, _ in
            #expect(error.file == "main-duties_oasis-2023_v1.0.csv")
            #expect(error.line == 6)
            #expect(error.column == "Main duties")
            #expect(error.message.contains("at most 5000"))
        }
    }
}
