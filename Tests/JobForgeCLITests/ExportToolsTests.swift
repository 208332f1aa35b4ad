import Foundation
import JobForgeCore
import JobForgeTestSupport
import Testing

/// Exports as Power BI and Excel take them (issue 14): the subjects chosen, typed JSON, the user's
/// title columns, interest ranks, wide columns joined back to descriptors, codes kept as text,
/// progress on a terminal only. Each test builds the shipped data with the real executable.
@Suite("exports for Power BI and Excel", .serialized)
struct ExportToolsTests {
    /// A CSV file's header and rows, the byte-order mark dropped.
    struct Table {
        var header: [String]
        var rows: [[String]]

        init(_ url: URL) throws {
            let records = try CSVReader().records(try Data(contentsOf: url), file: url.lastPathComponent)
            header = records.first?.fields ?? []
            rows = records.dropFirst().map(\.fields)
        }

        func column(_ name: String) throws -> [String] {
            let index = try #require(header.firstIndex(of: name), "no column \(name) in \(header)")
            return rows.map { $0[index] }
        }

        /// The rows as dictionaries, by column name.
        var records: [[String: String]] {
            rows.map { Dictionary(zip(header, $0), uniquingKeysWith: { first, _ in first }) }
        }
    }

    static func build(in folder: TemporaryDirectory) throws {
        let build = try JobForgeBinary.run(["build"], in: folder.url)
        try #require(build.status == 0, "\(build.stderr)")
    }

    @Test("CSV: --subjects titles, interest ranks beside their letters, the user's title columns and profile_label, columns.csv and powerquery.pq match every header and type codes as text, no progress in a pipe, progress on a terminal")
    func csvExport() throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-export-tools")
        defer { folder.remove() }
        try Self.build(in: folder)

        let export = try JobForgeBinary.run(["export", "--out", "titles", "--subjects", "titles"], in: folder.url)
        #expect(export.status == 0, "\(export.stderr)")
        #expect(export.stderr.isEmpty, "a pipe gets no progress display: \(export.stderr)")
        let out = folder.path("titles")

        // 1. Titles only: every cell and every wide row is a title's.
        let cells = try Table(out.appendingPathComponent("cells.csv"))
        #expect(!cells.rows.isEmpty)
        #expect(Set(try cells.column("subject_kind")) == ["title"])
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(files == ["abilities.csv", "cells.csv", "columns.csv", "interests.csv", "knowledge.csv", "overrides.csv",
                          "personal_attributes.csv", "powerquery.pq", "skills.csv", "titles.csv", "work_activities.csv",
                          "work_context.csv"])
        for file in files where file.hasSuffix(".csv") && !["cells.csv", "titles.csv", "columns.csv", "overrides.csv"].contains(file) {
            #expect(Set(try Table(out.appendingPathComponent(file)).column("subject_kind")) == ["title"], "\(file)")
        }
        // The keys cells.csv held before: its columns and their order are unchanged.
        #expect(cells.header == ["subject_kind", "subject_code", "subject_label", "descriptor_code", "descriptor_name", "category",
                                 "dimension", "value", "text_value", "scale", "source", "precedence", "method", "source_level",
                                 "confidence", "source_ids", "release", "run_id", "observed_at", "is_winner", "rationale", "metadata"])

        let others = try JobForgeBinary.run(["export", "--out", "others", "--subjects", "profiles,unit-groups", "--category", "interests"],
                                            in: folder.url)
        #expect(others.status == 0, "\(others.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.path("others/titles.csv").path), "titles.csv is written with titles only")
        #expect(Set(try Table(folder.path("others/cells.csv")).column("subject_kind")) == ["profile", "unit_group"])

        // 5. columns.csv names every column of every table, in order, with what joins it to cells.csv.
        let columns = try Table(out.appendingPathComponent("columns.csv")).records
        for file in files where file.hasSuffix(".csv") && file != "columns.csv" {
            let listed = columns.filter { $0["file"] == file }.map { $0["column"] ?? "" }
            #expect(listed == (try Table(out.appendingPathComponent(file)).header), "columns.csv lists \(file)'s header")
        }
        #expect(Set(columns.map { $0["file"] ?? "" }) == Set(files.filter { $0.hasSuffix(".csv") && $0 != "columns.csv" }))

        // 4. Interests: the wide table holds each rank (as cells.csv stores it, the value) and its
        // letter (text_value), in the columns columns.csv names for the descriptor.
        let interestRows = cells.records.filter { $0["category"] == "Interests" }
        #expect(!interestRows.isEmpty)
        #expect(interestRows.allSatisfy { $0["dimension"] == "interest_rank" && ["1", "2", "3"].contains($0["value"] ?? "") })
        #expect(interestRows.allSatisfy { ($0["text_value"] ?? "").count == 1 }, "each rank has its Holland letter")
        let interests = try Table(out.appendingPathComponent("interests.csv"))
        var wideInterests: [String: [String: String]] = [:]
        for row in interests.records { wideInterests[row["subject_code"] ?? ""] = row }
        func wideColumn(_ code: String, _ kind: String) -> String? {
            columns.first { $0["file"] == "interests.csv" && $0["descriptor_code"] == code && $0["kind"] == kind }?["column"]
        }
        for cell in interestRows {
            let code = cell["descriptor_code"] ?? ""
            let row = wideInterests[cell["subject_code"] ?? ""]
            let value = try #require(wideColumn(code, "value")), text = try #require(wideColumn(code, "text"))
            #expect(row?[value] == cell["value"], "the rank of \(code) for \(cell["subject_code"] ?? "")")
            #expect(row?[text] == cell["text_value"], "the letter of \(code) for \(cell["subject_code"] ?? "")")
            #expect(columns.contains { $0["column"] == value && $0["dimension"] == "interest_rank" && $0["type"] == "number" })
        }
        let skills = columns.filter { $0["file"] == "skills.csv" && $0["descriptor_code"] == "F01b02" }
        #expect(skills.map { $0["column"] ?? "" } == ["Writing", "Writing__source", "Writing__confidence",
                                                      "Writing (importance)", "Writing (importance)__source", "Writing (importance)__confidence"],
                "F01b02 joins Writing to cells.csv; a descriptor without text has no __text column")

        // 3. titles.csv keeps the sample file's own columns and names each resolved profile.
        let titles = try Table(out.appendingPathComponent("titles.csv"))
        #expect(titles.header.suffix(2) == ["Headcount", "Notes"])
        let sample = try Table(RepoPaths.data.appendingPathComponent("sample/job_architecture.csv"))
        let exported = Dictionary(titles.records.map { ($0["id"] ?? "", $0) }, uniquingKeysWith: { first, _ in first })
        // The import skips the sample's few unusable rows; every title it kept has its columns.
        let kept = sample.records.filter { exported[$0["Job ID"] ?? ""] != nil }
        #expect(kept.count == exported.count && kept.count >= 285)
        for row in kept {
            let title = exported[row["Job ID"] ?? ""]
            #expect(title?["Headcount"] == row["Headcount"] && title?["Notes"] == row["Notes"], "\(row["Job ID"] ?? "")")
        }
        #expect(sample.records.contains { !($0["Notes"] ?? "").isEmpty }, "the sample has notes to keep")
        #expect(exported["JA-0002"]?["profile_code"] == "10012.00")
        #expect(exported["JA-0002"]?["profile_label"] == "Purchasing managers")
        #expect(titles.records.allSatisfy { ($0["profile_code"] ?? "").isEmpty == ($0["profile_label"] ?? "").isEmpty })
        #expect(exported["JA-0001"]?["noc_2021"] == "00010")

        // 6. Codes stay text: columns.csv types every column that holds a code as text, and every
        // column typed number holds numbers only; powerquery.pq loads each table with those types.
        // A code a number type would change: a leading zero (00010, 00010.00), or a profile's .00 (21211.00).
        func isCode(_ value: String) -> Bool {
            let bytes = Array(value.utf8)
            func digit(_ index: Int) -> Bool { index < bytes.count && (0x30...0x39).contains(bytes[index]) }
            let leadingZero = bytes.first == 0x30 && digit(1)
            let profileCode = bytes.count == 8 && bytes[5] == 0x2E && [0, 1, 2, 3, 4, 6, 7].allSatisfy(digit)
            return leadingZero || profileCode
        }
        for file in files where file.hasSuffix(".csv") && file != "columns.csv" {
            let table = try Table(out.appendingPathComponent(file))
            for column in table.header {
                let type = columns.first { $0["file"] == file && $0["column"] == column }?["type"]
                let values = try table.column(column).filter { !$0.isEmpty }
                if values.contains(where: isCode) {
                    #expect(type == "text", "\(file) \(column) holds codes: \(values.prefix(3))")
                }
                if type == "number" {
                    #expect(values.allSatisfy { Double($0) != nil }, "\(file) \(column) is typed number: \(values.prefix(3))")
                }
            }
        }
        for (file, column) in [("cells.csv", "subject_code"), ("cells.csv", "descriptor_code"), ("titles.csv", "noc_2021"),
                               ("titles.csv", "noc_2016"), ("titles.csv", "unit_group"), ("titles.csv", "profile_code"),
                               ("titles.csv", "id"), ("interests.csv", "subject_code"), ("overrides.csv", "subject_code")] {
            #expect(columns.first { $0["file"] == file && $0["column"] == column }?["type"] == "text", "\(file) \(column)")
        }
        let query = try String(contentsOf: out.appendingPathComponent("powerquery.pq"), encoding: .utf8)
        #expect(query.contains("Csv.Document(File.Contents(Folder & file), [Delimiter = \",\", Encoding = 65001, QuoteStyle = QuoteStyle.Csv])"))
        #expect(query.contains("Nulls = Table.ReplaceValue(Promoted, \"\", null, Replacer.ReplaceValue, Table.ColumnNames(Promoted))"))
        #expect(query.contains("Table.TransformColumnTypes(Nulls, types, \"en-US\")"))
        let typePattern = try NSRegularExpression(pattern: "\\{\"((?:[^\"]|\"\")*)\", (type text|type number|Int64\\.Type)\\}")
        let mTypes = ["text": "type text", "number": "type number", "boolean": "Int64.Type"]
        for file in files where file.hasSuffix(".csv") && file != "columns.csv" {
            let line = try #require(query.components(separatedBy: "\n").first { $0.contains("= Load(\"\(file)\",") }, "\(file) is loaded")
            let typed = typePattern.matches(in: line, range: NSRange(line.startIndex..., in: line)).map { match in
                (String(line[Range(match.range(at: 1), in: line)!]).replacingOccurrences(of: "\"\"", with: "\""),
                 String(line[Range(match.range(at: 2), in: line)!]))
            }
            let expected = columns.filter { $0["file"] == file }
            #expect(typed.map(\.0) == expected.map { $0["column"] ?? "" }, "powerquery.pq types \(file)'s columns by name")
            #expect(typed.map(\.1) == expected.map { mTypes[$0["type"] ?? ""] ?? "?" }, "powerquery.pq types \(file) as columns.csv says")
        }

        // 7. On a terminal (a pseudo-terminal from script(1)), the export shows its progress line.
        // The line is drawn from the first second on: the whole export (about 2.5 s in a release
        // build) lasts long enough for it.
        let script = URL(fileURLWithPath: "/usr/bin/script")
        try #require(FileManager.default.isExecutableFile(atPath: script.path), "script(1) gives the export a terminal")
        let command = "'\(JobForgeBinary.url.path)' export --out tty"
        let tty = try JobForgeBinary.run(["-qec", command, "/dev/null"], in: folder.url, executable: script)
        #expect(tty.status == 0, "\(tty.stdout)")
        #expect(tty.stdout.contains("\r\u{1B}[2Kexport  "), "a progress line on the terminal: \(tty.stdout.prefix(300))")
        #expect(tty.stdout.contains("wrote "))
    }

    @Test("titles.csv: a user's column named like one of JobForge's is kept as extra_<name>; a user's code column is text in columns.csv and powerquery.pq")
    func userColumns() throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-export-user-columns")
        defer { folder.remove() }
        let store = try authoritativeStore(in: folder)
        let csv = """
            Job ID,Job Title,NOC 2021,note,Cost centre
            U-1,Data scientist,21211,from the 2024 review,00123
            U-2,Roving generalist,,,

            """
        try Data(csv.utf8).write(to: folder.path("architecture.csv"))
        let imported = try JobForgeBinary.run(["titles", "import", "architecture.csv", "--db", store.path], in: folder.url)
        try #require(imported.status == 0, "\(imported.stderr)")
        let export = try JobForgeBinary.run(["export", "--out", "out", "--subjects", "titles", "--category", "interests",
                                             "--db", store.path], in: folder.url)
        #expect(export.status == 0, "\(export.stderr)")

        let titles = try Table(folder.path("out/titles.csv"))
        #expect(titles.header.suffix(2) == ["Cost centre", "extra_note"])
        let first = try #require(titles.records.first { $0["id"] == "U-1" })
        #expect(first["extra_note"] == "from the 2024 review")
        #expect(first["note"] != "from the 2024 review", "JobForge's note stays its own")
        #expect(first["Cost centre"] == "00123")
        #expect(first["profile_label"] == "Data scientists")
        let columns = try Table(folder.path("out/columns.csv")).records
        #expect(columns.first { $0["file"] == "titles.csv" && $0["column"] == "Cost centre" }?["type"] == "text")
        let query = try String(contentsOf: folder.path("out/powerquery.pq"), encoding: .utf8)
        #expect(query.contains("{\"Cost centre\", type text}, {\"extra_note\", type text}}"))
    }

    /// cells.json as typed JSON: decoding fails on a number or a boolean written as a string.
    struct LongRow: Decodable {
        var subject_kind: String
        var subject_code: String
        var descriptor_code: String
        var value: Double
        var text_value: String?
        var precedence: Int
        var confidence: Double
        var is_winner: Bool
        var rationale: String?
        var metadata: String?
    }

    struct TitleRow: Decodable {
        var id: String
        var noc_2021: String?
        var title_fr: String?
        var profile_code: String?
        var profile_label: String?
        var confidence: Double
        var fuzzy_score: Double?
        var source_line: Int
        var Headcount: String?
        var Notes: String?
    }

    @Test("JSON: numbers are numbers, is_winner a boolean, nothing is null, codes and the user's columns stay strings; no Power Query script")
    func jsonExport() throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-export-json")
        defer { folder.remove() }
        try Self.build(in: folder)
        let export = try JobForgeBinary.run(["export", "--format", "json", "--out", "json", "--subjects", "titles",
                                             "--category", "interests,skills", "--all-candidates"], in: folder.url)
        #expect(export.status == 0, "\(export.stderr)")
        let out = folder.path("json")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("powerquery.pq").path))

        let cellsData = try Data(contentsOf: out.appendingPathComponent("cells.json"))
        let cells = try JSONDecoder().decode([LongRow].self, from: cellsData)
        #expect(!cells.isEmpty)
        #expect(cells.contains { $0.is_winner } && cells.contains { !$0.is_winner }, "every candidate, winners and others")
        #expect(cells.contains { $0.text_value == nil } && cells.contains { $0.text_value != nil })
        let interests = cells.filter { $0.descriptor_code.hasPrefix("C01") && $0.is_winner }
        #expect(!interests.isEmpty && interests.allSatisfy { [1, 2, 3].contains($0.value) && $0.text_value?.count == 1 })
        let text = String(decoding: cellsData, as: UTF8.self)
        #expect(text.contains("\"is_winner\":true") && !text.contains("\"is_winner\":\"1\""))
        #expect(text.contains("\"rationale\":null") && !text.contains("\"rationale\":\"\""), "nothing is null, not an empty string")

        let titles = try JSONDecoder().decode([TitleRow].self, from: try Data(contentsOf: out.appendingPathComponent("titles.json")))
        let legislators = try #require(titles.first { $0.id == "JA-0001" })
        #expect(legislators.noc_2021 == "00010", "a code stays a string")
        #expect(legislators.title_fr == nil, "nothing is null")
        #expect(legislators.Headcount == "8", "the user's columns are kept as they were written")
        #expect(legislators.Notes == nil, "an empty cell of the user's is null")
        #expect(titles.contains { $0.Notes == "In-house title" })
        #expect(legislators.profile_label == "Legislators")
        #expect(titles.contains { $0.fuzzy_score != nil })

        // The wide table: the rank a number, its letter a string, an absent cell null.
        let wide = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("interests.json")))
                                as? [[String: Any]])
        let row = try #require(wide.first { $0["subject_code"] as? String == "JA-0001" })
        #expect(row["Enterprising"] as? Int == 1)
        #expect(row["Enterprising__text"] as? String == "E")
        #expect(row["Enterprising__confidence"] as? Double == 1)
        #expect(row["Realistic"] is NSNull)

        let columns = try JSONDecoder().decode([[String: String?]].self, from: try Data(contentsOf: out.appendingPathComponent("columns.json")))
        #expect(Set(columns.compactMap { $0["file"] ?? nil }) == ["cells.json", "interests.json", "skills.json", "titles.json", "overrides.json"])
    }
}
