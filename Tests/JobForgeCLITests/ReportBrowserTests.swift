import Foundation
import JobForgeTestSupport
import Testing

/// `jobforge report` as a manager meets it: the shipped build's report opened in a real headless
/// Chromium, its numbers read off the rendered DOM and compared with the CLI's `--json` outputs.
@Suite("report in a real browser", .serialized)
struct ReportBrowserTests {
    /// The shipped build (sample architecture, authoritative and O*NET steps) and its English
    /// report, made once: the report prices every prompt, which takes a while on a busy machine.
    actor Reported {
        static let shared = Reported()
        private var made: (folder: URL, html: URL, json: Data)?

        func get() async throws -> (folder: URL, html: URL, json: Data) {
            if let made { return made }
            let folder = try TemporaryDirectory(prefix: "jobforge-report")
            try FileManager.default.copyItem(at: try await LLMFaultCLITests.BuiltStore.shared.url(), to: folder.path("jobforge.sqlite"))
            let (html, json) = try await ReportBrowserTests.run(in: folder.url)
            made = (folder.url, html, json)
            return (folder.url, html, json)
        }
    }

    static func run(in folder: URL, _ extra: [String] = []) async throws -> (html: URL, json: Data) {
        let html = folder.appendingPathComponent("report\(extra.joined()).html")
        let run = try await JobForgeBinary.run(["report", "--out", html.path, "--json"] + extra, in: folder, timeout: 900)
        guard run.status == 0 else { throw SetupFailure("report failed: \(run.stderr)") }
        return (html, Data(run.stdout.utf8))
    }

    static func object(_ json: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
    }

    static func english() async throws -> (folder: URL, html: URL, json: [String: Any]) {
        let (folder, html, json) = try await Reported.shared.get()
        return (folder, html, try object(json))
    }

    static func int(_ value: Any?) -> Int? { (value as? NSNumber)?.intValue }

    @Test("every number on the page equals report --json; the cost equals impute --dry-run's; no console error")
    func numbersMatchTheJSON() async throws {
        let (folder, html, json) = try await Self.english()
        let page = try HeadlessChromium.load(html.absoluteString)
        #expect(page.consoleLines.isEmpty, "console: \(page.consoleLines)")
        let dom = DOMElements(page.dom)
        let coverage = try #require(json["coverage"] as? [String: Any])
        let total = try #require(coverage["total"] as? [String: Any])

        // The summary cards: raw value and the text a reader sees (58,089 -> 58089).
        let expected: [String: Int?] = [
            "titles": Self.int(coverage["titleCount"]), "resolved-titles": Self.int(coverage["resolvedTitleCount"]),
            "possible-per-title": Self.int(coverage["possibleCellsPerTitle"]),
            "total-authoritative": Self.int(total["authoritative"]), "total-onet": Self.int(total["onet"]),
            "total-llm": Self.int(total["llm"]), "total-empty": Self.int(total["empty"]),
        ]
        for (metric, value) in expected {
            let card = try #require(dom.with("data-metric", metric).first, "no \(metric) on the page")
            #expect(Int(card.attributes["data-n"] ?? "") == value, "\(metric)")
            #expect(Int(card.text.filter(\.isNumber)) == value, "\(metric) as shown: \(card.text)")
        }
        #expect(Self.int(coverage["titleCount"]) == 285, "the sample architecture's titles")
        #expect(Self.int(coverage["possibleCellsPerTitle"]) == 514)

        // The table: every category and dimension row, per source.
        var rows = 0
        for category in try #require(coverage["categories"] as? [[String: Any]]) {
            let name = try #require(category["category"] as? String)
            let lines = [("*", category["cells"])] + (category["dimensions"] as? [[String: Any]] ?? []).map { ($0["dimension"] as? String ?? "", $0["cells"]) }
            for (dimension, cells) in lines {
                let tally = try #require(cells as? [String: Any])
                let cellsOnPage = dom.elements.drop { $0.attributes["data-category"] != name || $0.attributes["data-dimension"] != dimension }.dropFirst()
                    .prefix(5)
                #expect(cellsOnPage.count == 5, "\(name)/\(dimension) on the page")
                for cell in cellsOnPage {
                    let source = try #require(cell.attributes["data-source"])
                    #expect(Int(cell.attributes["data-n"] ?? "") == Self.int(tally[source]), "\(name)/\(dimension)/\(source)")
                }
                rows += 1
            }
        }
        #expect(rows >= 14)

        // The titles index: each title's cells per source.
        let titles = try #require(coverage["titles"] as? [[String: Any]])
        let indexRows = dom.with("data-title")
        #expect(indexRows.count == titles.count)
        for title in titles.prefix(40) {
            let id = try #require(title["id"] as? String)
            let cells = try #require(title["cells"] as? [String: Any])
            let onPage = dom.elements.drop { $0.attributes["data-title"] != id }.dropFirst().prefix(4)
            for cell in onPage {
                let source = try #require(cell.attributes["data-source"])
                #expect(Int(cell.attributes["data-n"] ?? "") == Self.int(cells[source]), "\(id)/\(source)")
            }
        }

        // The cost is impute --dry-run's own estimate of the same store.
        let cost = try #require(json["cost"] as? [String: Any])
        for (key, field) in [("cells", "cells"), ("requests", "requests"), ("input-tokens", "estimatedInputTokens")] {
            #expect(Int(dom.with("data-cost", key).first?.attributes["data-n"] ?? "") == Self.int(cost[field]), "cost \(key)")
        }
        let dryRun = try await JobForgeBinary.run(["impute", "--dry-run"], in: folder, timeout: 900)
        let summary = try #require(dryRun.stdout.split(separator: "\n").last.map(String.init))
        #expect(summary.contains("\(Self.int(cost["cells"]) ?? -1) cells in \(Self.int(cost["requests"]) ?? -1) requests"), "\(summary)")
        #expect(summary.contains(String(format: "$%.4f", (cost["estimatedCostUSD"] as? Double) ?? -1)), "\(summary)")

        // Empty cells: the possible ones no source filled; the titles' own sum agrees.
        let sumOfTitles = titles.reduce(0) { $0 + (Self.int(($1["cells"] as? [String: Any])?["empty"]) ?? 0) }
        #expect(sumOfTitles == Self.int(total["empty"]))

        // Where the numbers come from: the releases and the runs of the store.
        #expect(dom.with("data-release", "oasis").count == 1)
        #expect(dom.with("data-run").count == (json["runs"] as? [Any])?.count)
        #expect(!page.dom.contains(" src=\"") && !page.dom.contains("<link") && !page.dom.contains("@import"),
                "nothing is fetched: no script, image, style sheet or font from elsewhere")
    }

    @Test("a title's sheet shows every cell show --json has: value, source, confidence")
    func sheetMatchesShow() async throws {
        let (folder, html, _) = try await Self.english()
        let page = try HeadlessChromium.load(html.absoluteString + "#title=JA-0002")
        #expect(page.consoleLines.isEmpty, "console: \(page.consoleLines)")
        let dom = DOMElements(page.dom)
        #expect(dom.with("data-sheet", "JA-0002").count == 1)
        let rows = dom.with("data-descriptor")
        let show = try await JobForgeBinary.run(["show", "JA-0002", "--json"], in: folder, timeout: 120)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        let cells = (object["categories"] as? [[String: Any]] ?? []).flatMap { $0["cells"] as? [[String: Any]] ?? [] }
        #expect(cells.count > 300)
        let showKeys = Set(cells.map { "\($0["descriptorCode"] as? String ?? "")/\($0["dimension"] as? String ?? "")" })
        let rowKeys = rows.map { "\($0.attributes["data-descriptor"] ?? "")/\($0.attributes["data-dimension"] ?? "")" }
        #expect(rows.count == cells.count, "on the page only: \(Set(rowKeys).subtracting(showKeys)); repeated: \(rowKeys.count - Set(rowKeys).count)")
        let onPage = Dictionary(rows.map { ("\($0.attributes["data-descriptor"] ?? "")/\($0.attributes["data-dimension"] ?? "")", $0.attributes) },
                                uniquingKeysWith: { first, _ in first })
        for cell in cells {
            let key = "\(cell["descriptorCode"] as? String ?? "")/\(cell["dimension"] as? String ?? "")"
            let row = try #require(onPage[key], "\(key) missing from the sheet")
            #expect(Double(row["data-value"] ?? "") == cell["value"] as? Double, "\(key) value")
            #expect(row["data-source"] == cell["source"] as? String, "\(key) source")
            // Within 1e-12, not equal: Foundation's JSONSerialization on Linux reads 0.7799499999999999
            // as 0.7799499999999997 (the page's attribute, read by Double(_:), is exact).
            let confidence = (Double(row["data-confidence"] ?? "") ?? .nan) - (cell["confidence"] as? Double ?? .nan)
            #expect(abs(confidence) < 1e-12, "\(key) confidence: page \(row["data-confidence"] ?? "none"), show \(cell["confidence"] ?? "none")")
        }
    }

    @Test("--lang fr: the page's own text in French, the same numbers")
    func french() async throws {
        let (folder, _, english) = try await Self.english()
        let (html, data) = try await Self.run(in: folder, ["--lang", "fr", "--no-cost", "--sheets", "3"])
        let json = try Self.object(data)
        #expect(json["cost"] == nil, "--no-cost")
        #expect((json["coverage"] as? [String: Any])?["total"] as? NSDictionary == (english["coverage"] as? [String: Any])?["total"] as? NSDictionary)
        let page = try HeadlessChromium.load(html.absoluteString)
        #expect(page.consoleLines.isEmpty, "console: \(page.consoleLines)")
        #expect(page.dom.contains("<html lang=\"fr\">"))
        #expect(page.dom.contains("Rapport de couverture JobForge"))
        #expect(page.dom.contains("Compétences"))
        let empty = (json["coverage"] as? [String: Any]).flatMap { ($0["total"] as? [String: Any])?["empty"] }
        #expect(Int(DOMElements(page.dom).with("data-metric", "total-empty").first?.attributes["data-n"] ?? "") == Self.int(empty))
    }

    @Test("the console check sees a script error (the check can fail)")
    func consoleCheckSeesErrors() throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-report-console")
        defer { folder.remove() }
        let file = folder.path("broken.html")
        try Data("<!DOCTYPE html><html><body><script>null.x</script></body></html>".utf8).write(to: file)
        let page = try HeadlessChromium.load(file.absoluteString)
        #expect(page.consoleLines.contains { $0.contains("Uncaught TypeError") })
    }

    @Test("a report that cannot be written exits 1 and says why; no --out and no --json is a usage error")
    func errors() async throws {
        let folder = try TemporaryDirectory(prefix: "jobforge-report-errors")
        defer { folder.remove() }
        let missing = try await JobForgeBinary.run(["report", "--out", "r.html"], in: folder.url, timeout: 60)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("jobforge build"), "\(missing.stderr)")
        let usage = try await JobForgeBinary.run(["report"], in: folder.url, timeout: 60)
        #expect(usage.status == 64)
        #expect(usage.stderr.contains("--out"))
    }
}
