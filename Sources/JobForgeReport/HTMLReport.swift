import Foundation

/// Renders a ``Report`` as one self-contained HTML page: inline CSS, SVG charts and a small
/// inline script for the title filter and the profile sheets; nothing is fetched.
///
/// Every number a reader relies on carries its raw value in `data-n` (and the sheets' cells their
/// `data-value`, `data-source`, `data-confidence`), so a test or a script reads the page as data.
///
/// ```swift
/// let html = HTMLReport(report, language: .english).render()
/// ```
public struct HTMLReport: Sendable {
    public let report: Report
    public let language: ReportLanguage
    /// Where a title's sheet is: `#title=ID` in the file; `serve` passes `/titles/` to link its pages.
    public var sheetLink: @Sendable (String) -> String

    public init(_ report: Report, language: ReportLanguage = .english,
                sheetLink: @escaping @Sendable (String) -> String = { "#title=" + HTMLReport.percentEncoded($0) }) {
        self.report = report
        self.language = language
        self.sheetLink = sheetLink
    }

    var text: ReportText { ReportText(language: language) }
    var model: ReportModel { report.model }

    public func render() -> String {
        var html = ""
        write(sheets: { emit in for sheet in report.sheets.titles { emit(sheet) } }, to: &html)
        return html
    }

    /// The page, piece by piece to `output`, its sheets as `sheets` gives them (in the index's
    /// order, one call of its argument per sheet): a 20,000-title page is written holding one
    /// sheet at a time, not all of them (`report.sheets` then needs only its dimensions).
    ///
    /// ```swift
    /// var file = try ReportFile(path: "report.html")
    /// try HTMLReport(report).write(sheets: { emit in try builder.forEachSheet(emit) }, to: &file)
    /// try file.finish()
    /// ```
    public func write<Output: TextOutputStream>(sheets: (_ emit: (ProfileSheets.Sheet) -> Void) throws -> Void,
                                                to output: inout Output) rethrows {
        output.write("""
            <!DOCTYPE html>
            <html lang="\(language.rawValue)"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(text["title"]))</title>
            <style>\(Self.css)</style></head>
            <body><main id="report">
            <h1>\(escape(text["title"]))</h1>
            <p class="meta">\(escape(text["generated"])) <span data-generated>\(escape(model.generatedAt))</span> · \(escape(text["store"])) <code>\(escape(model.store))</code></p>

            """)
        output.write(summary() + coverage() + cost() + review() + quality())
        output.write(index())
        output.write(history() + "</main>\n<section id=\"sheet\" hidden></section>\n")
        try Self.writeScripts(dimensions: report.sheets.dimensions, sheets: sheets, text: text, to: &output)
    }

    /// One title's printable sheet as its own page (`serve`'s `/titles/ID`), opened by the same script.
    public static func sheetPage(_ sheets: ProfileSheets, language: ReportLanguage = .english) -> String {
        let text = ReportText(language: language)
        let title = sheets.titles.first.map { language == .french ? ($0.titleFR ?? $0.title) : $0.title } ?? ""
        return """
            <!DOCTYPE html>
            <html lang="\(language.rawValue)"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escapeHTML(title))</title><style>\(css)</style></head>
            <body data-open="\(escapeHTML(sheets.titles.first?.id ?? ""))"><p class="noprint"><a href="/">\(escapeHTML(text["back"]))</a></p>
            <section id="sheet" hidden></section>

            """ + scripts(sheets, text: text)
    }

    static func scripts(_ sheets: ProfileSheets, text: ReportText) -> String {
        var html = ""
        writeScripts(dimensions: sheets.dimensions, sheets: { emit in for sheet in sheets.titles { emit(sheet) } }, text: text, to: &html)
        return html
    }

    /// The embedded sheets, labels and script that end the page.
    static func writeScripts<Output: TextOutputStream>(dimensions: [ProfileSheets.Dimension],
                                                       sheets: (_ emit: (ProfileSheets.Sheet) -> Void) throws -> Void,
                                                       text: ReportText, to output: inout Output) rethrows {
        output.write("<script id=\"sheets\" type=\"application/json\">" + sheetsJSONHead(dimensions, text: text))
        var first = true
        try sheets { sheet in
            output.write((first ? "" : ",") + sheetJSON(sheet, text: text))
            first = false
        }
        output.write("}}</script>\n"
            + "<script id=\"labels\" type=\"application/json\">" + labelsJSON(text) + "</script>\n"
            + "<script>" + script + "</script>\n</body></html>\n")
    }

    // MARK: Sections

    func summary() -> String {
        let total = model.coverage.total
        return """
            <section id="summary"><h2>\(escape(text["summary"]))</h2><div class="cards">
            \(card(model.coverage.titleCount, text["titles"], "titles"))
            \(card(model.coverage.resolvedTitleCount, text["resolved"], "resolved-titles"))
            \(card(model.coverage.possibleCellsPerTitle, text["possiblePerTitle"], "possible-per-title"))
            \(card(total.authoritative, text["authoritative"], "total-authoritative", css: "authoritative"))
            \(card(total.onet, text["onet"], "total-onet", css: "onet"))
            \(card(total.llm, text["llm"], "total-llm", css: "llm"))
            \(card(total.empty, text["empty"], "total-empty", css: "empty"))
            </div></section>

            """
    }

    func card(_ value: Int, _ label: String, _ metric: String, css: String = "") -> String {
        "<div class=\"card \(css)\"><b data-metric=\"\(metric)\" data-n=\"\(value)\">\(text.number(value))</b><span>\(escape(label))</span></div>"
    }

    func coverage() -> String {
        var html = "<section id=\"coverage\"><h2>\(escape(text["coverage"]))</h2><p>\(escape(text["coverageNote"]))</p>\n"
        html += chart()
        html += "<table class=\"numbers\"><thead><tr><th>\(escape(text["category"]))</th><th>\(escape(text["dimension"]))</th>"
        for key in ["authoritative", "onet", "llm", "empty", "possible"] { html += "<th class=\"\(key)\">\(escape(text[key]))</th>" }
        html += "</tr></thead><tbody>\n"
        for category in model.coverage.categories {
            html += tallyRow(category.cells, category: category.category, dimension: "*",
                             label: "<th>\(escape(text.category(category.category)))</th><td></td>", css: "subtotal")
            for dimension in category.dimensions {
                html += tallyRow(dimension.cells, category: category.category, dimension: dimension.dimension,
                                 label: "<td></td><td>\(escape(dimension.dimension))</td>")
            }
        }
        html += tallyRow(model.coverage.total, category: "*", dimension: "*",
                         label: "<th colspan=\"2\">\(escape(text["total"]))</th>", css: "subtotal")
        return html + "</tbody></table></section>\n"
    }

    func tallyRow(_ tally: CellTally, category: String, dimension: String, label: String, css: String = "") -> String {
        var row = "<tr class=\"\(css)\" data-category=\"\(escape(category))\" data-dimension=\"\(escape(dimension))\">\(label)"
        for (key, value) in [("authoritative", tally.authoritative), ("onet", tally.onet), ("llm", tally.llm),
                             ("empty", tally.empty), ("possible", tally.possible)] {
            row += "<td data-source=\"\(key)\" data-n=\"\(value)\">\(text.number(value))</td>"
        }
        return row + "</tr>\n"
    }

    /// One stacked bar per category: authoritative, O*NET, LLM, empty, out of its possible cells.
    func chart() -> String {
        let rows = model.coverage.categories
        let labelWidth = 170.0, barWidth = 520.0, rowHeight = 28.0
        let height = Double(rows.count + 1) * rowHeight + 10
        var svg = "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 \(Int(labelWidth + barWidth + 10)) \(Int(height))\" xmlns=\"http://www.w3.org/2000/svg\">"
        for (index, row) in rows.enumerated() {
            let y = Double(index) * rowHeight + 4
            svg += "<text x=\"0\" y=\"\(y + 16)\">\(escape(text.category(row.category)))</text>"
            var x = labelWidth
            for (key, value) in [("authoritative", row.cells.authoritative), ("onet", row.cells.onet), ("llm", row.cells.llm), ("empty", row.cells.empty)] {
                let width = row.cells.possible > 0 ? barWidth * Double(value) / Double(row.cells.possible) : 0
                guard width > 0 else { continue }
                svg += "<rect class=\"\(key)\" x=\"\(Self.fixed(x))\" y=\"\(y)\" width=\"\(Self.fixed(width))\" height=\"20\"><title>\(escape(text.category(row.category))): \(escape(text[key])) \(text.number(value))</title></rect>"
                x += width
            }
        }
        let legendY = Double(rows.count) * rowHeight + 14
        var x = labelWidth
        for key in ["authoritative", "onet", "llm", "empty"] {
            svg += "<rect class=\"\(key)\" x=\"\(Self.fixed(x))\" y=\"\(legendY - 10)\" width=\"12\" height=\"12\"/><text x=\"\(Self.fixed(x + 16))\" y=\"\(legendY)\">\(escape(text[key]))</text>"
            x += 28 + Double(text[key].count) * 7  // about 7 px a character at 12 px
        }
        return svg + "</svg>\n"
    }

    func cost() -> String {
        var html = "<section id=\"cost\"><h2>\(escape(text["cost"]))</h2><p>\(escape(text["costNote"]))</p>"
        guard let cost = model.cost else { return html + "<p>\(escape(text["costNone"]))</p></section>\n" }
        html += "<table class=\"numbers\"><tbody>"
        html += "<tr><th>\(escape(text["model"]))</th><td data-cost=\"model\">\(escape(cost.model))</td></tr>"
        for (key, label, value) in [("cells", "cells", cost.cells), ("requests", "requests", cost.requests),
                                    ("cached-requests", "cached", cost.cachedRequests),
                                    ("input-tokens", "tokensIn", cost.estimatedInputTokens),
                                    ("output-tokens", "tokensOut", cost.estimatedOutputTokens)] {
            html += "<tr><th>\(escape(text[label]))</th><td data-cost=\"\(key)\" data-n=\"\(value)\">\(text.number(value))</td></tr>"
        }
        if let usd = cost.estimatedCostUSD {
            html += "<tr><th>\(escape(text["usd"]))</th><td data-cost=\"usd\" data-n=\"\(usd)\">$\(String(format: "%.2f", usd))</td></tr>"
        } else {
            html += "<tr><th>\(escape(text["usd"]))</th><td data-cost=\"usd\">\(escape(text["unknownPrice"]))</td></tr>"
        }
        return html + "</tbody></table></section>\n"
    }

    func review() -> String {
        var html = "<section id=\"review\"><h2>\(escape(text["review"])) (<span data-metric=\"review\" data-n=\"\(model.review.count)\">\(model.review.count)</span>)</h2>"
        guard !model.review.isEmpty else { return html + "<p>\(escape(text["reviewNone"]))</p></section>\n" }
        html += "<table><thead><tr><th>\(escape(text["id"]))</th><th>\(escape(text["jobTitle"]))</th><th>\(escape(text["reason"]))</th>"
            + "<th>\(escape(text["method"]))</th><th>\(escape(text["action"]))</th></tr></thead><tbody>\n"
        for item in model.review {
            html += "<tr data-review=\"\(escape(item.id))\" data-reason=\"\(escape(item.reason))\"><td>\(escape(item.id))</td>"
                + "<td>\(escape(item.title))</td><td>\(escape(text[item.reason]))</td>"
                + "<td>\(escape(item.method)) \(Self.fixed(item.confidence))<br><small>\(escape(item.note))</small></td>"
                + "<td>\(escape(item.action))</td></tr>\n"
        }
        return html + "</tbody></table></section>\n"
    }

    func quality() -> String {
        var html = "<section id=\"quality\"><h2>\(escape(text["quality"]))</h2>"
        guard let tiers = model.quality, !tiers.isEmpty else { return html + "<p>\(escape(text["qualityNone"]))</p></section>\n" }
        html += "<table><tbody>"
        for tier in tiers {
            let name = tier.model.map { "\(tier.tier) · \($0)" } ?? tier.tier
            html += "<tr data-tier=\"\(escape(tier.tier))\"><th>\(escape(name))</th><td>\(tier.meanAbsoluteError.map { Self.fixed($0) } ?? "")</td>"
                + "<td>\(escape(tier.calibration ?? ""))</td></tr>"
        }
        html += "</tbody></table>"
        for tier in tiers { html += evaluation(tier) }
        return html + "</section>\n"
    }

    /// One tier's evaluation (a model's, for the LLM): its figures, then its stated confidence
    /// against the accuracy measured, each number with its raw value in `data-n`. The page keys it
    /// `data-evaluation="onet"`, `"onet-importance"` or the model's name.
    func evaluation(_ tier: TierQuality) -> String {
        func row(_ key: String, _ figure: String, _ raw: String?, _ shown: String?) -> String {
            "<tr><th>\(escape(text[key]))</th><td data-figure=\"\(figure)\" data-n=\"\(raw ?? "")\">\(escape(shown ?? "-"))</td></tr>"
        }
        func share(_ value: Double?) -> String? { value.map { String(format: "%.0f%%", $0 * 100) } }
        let key = tier.model ?? tier.tier
        let heading = tier.model.map { "\(escape(text["llmEvaluation"])) · <code>\(escape($0))</code>" }
            ?? escape(text[tier.tier == "onet" ? "onetEvaluation" : "onetImportanceEvaluation"])
        var html = "<h3>\(heading) · \(escape(tier.evaluatedAt ?? ""))</h3>"
        html += "<table class=\"numbers\" data-evaluation=\"\(escape(key))\"><tbody>"
        html += row("evaluatedValues", "values", tier.values.map(String.init), tier.values.map(text.number))
        html += row("mae", "mae", tier.meanAbsoluteError.map(Self.number), tier.meanAbsoluteError.map { String(format: "%.3f", $0) })
        html += row("exact", "exact_share", tier.exactShare.map(Self.number), share(tier.exactShare))
        html += row("withinOne", "within_one_share", tier.withinOneShare.map(Self.number), share(tier.withinOneShare))
        if tier.model != nil {  // what only asking a model has
            html += row("invalid", "invalid", tier.invalid.map(String.init), tier.invalid.map(text.number))
            html += row("evaluationTokensIn", "tokens_in", tier.tokensIn.map(String.init), tier.tokensIn.map(text.number))
            html += row("evaluationTokensOut", "tokens_out", tier.tokensOut.map(String.init), tier.tokensOut.map(text.number))
            html += row("evaluationCost", "estimated_cost", tier.costUSD.map(Self.number), tier.costUSD.map { String(format: "$%.4f", $0) })
        }
        html += "</tbody></table><table class=\"numbers\" data-calibration=\"\(escape(key))\"><thead><tr>"
        for key in ["statedRange", "evaluatedValues", "meanStated", "measuredWithinHalf"] { html += "<th>\(escape(text[key]))</th>" }
        html += "</tr></thead><tbody>"
        for bucket in tier.calibrationTable ?? [] {
            html += "<tr data-bucket=\"\(Self.number(bucket.lower))\"><td>\(String(format: "%.1f-%.1f", bucket.lower, bucket.upper))</td>"
                + "<td data-n=\"\(bucket.count)\">\(text.number(bucket.count))</td>"
                + "<td data-n=\"\(Self.number(bucket.meanStatedConfidence))\">\(Self.fixed(bucket.meanStatedConfidence))</td>"
                + "<td data-n=\"\(Self.number(bucket.withinHalfShare))\">\(Self.fixed(bucket.withinHalfShare))</td></tr>"
        }
        return html + "</tbody></table>"
    }

    func index() -> String {
        var html = "<section id=\"titles\"><h2>\(escape(text["index"]))</h2><p>\(escape(text["indexNote"]))"
        if model.sheetCount < model.coverage.titleCount {
            html += " " + escape(text["sheetLimit"].replacingOccurrences(of: "%d", with: String(model.sheetCount)))
        }
        html += "</p><input id=\"filter\" type=\"search\" placeholder=\"\(escape(text["search"]))\" aria-label=\"\(escape(text["search"]))\">"
        html += "<table class=\"numbers\" id=\"title-index\"><thead><tr><th>\(escape(text["id"]))</th><th>\(escape(text["jobTitle"]))</th>"
            + "<th>\(escape(text["profile"]))</th><th>\(escape(text["method"]))</th>"
        for key in ["authoritative", "onet", "llm", "empty"] { html += "<th class=\"\(key)\">\(escape(text[key]))</th>" }
        html += "</tr></thead><tbody>\n"
        // The sheets are those of the first titles (`ReportBuilder.sheetLimit`), whether held or streamed.
        let sheetIDs = Set(model.coverage.titles.prefix(model.sheetCount).map(\.id))
        for row in model.coverage.titles {
            let name = language == .french ? (row.titleFR ?? row.title) : row.title
            let link = sheetIDs.contains(row.id) ? "<a href=\"\(escape(sheetLink(row.id)))\">\(escape(name))</a>" : escape(name)
            html += "<tr data-title=\"\(escape(row.id))\"><td>\(escape(row.id))</td><td>\(link)</td><td>\(escape(row.profileCode ?? ""))</td>"
                + "<td>\(escape(row.resolutionMethod)) \(Self.fixed(row.resolutionConfidence))</td>"
            for (key, value) in [("authoritative", row.cells.authoritative), ("onet", row.cells.onet), ("llm", row.cells.llm), ("empty", row.cells.empty)] {
                html += "<td data-source=\"\(key)\" data-n=\"\(value)\">\(value)</td>"
            }
            html += "</tr>\n"
        }
        return html + "</tbody></table></section>\n"
    }

    func history() -> String {
        var html = "<section id=\"history\"><h2>\(escape(text["history"]))</h2><h3>\(escape(text["releases"]))</h3><table><thead><tr>"
            + "<th>\(escape(text["source"]))</th><th>\(escape(text["name"]))</th><th>\(escape(text["loaded"]))</th><th>\(escape(text["run"]))</th></tr></thead><tbody>"
        for release in model.releases {
            html += "<tr data-release=\"\(escape(release.source))\"><td>\(escape(release.source))</td><td>\(escape(release.name))</td>"
                + "<td>\(escape(release.loadedAt))</td><td>\(escape(release.runID))</td></tr>"
        }
        html += "</tbody></table><h3>\(escape(text["steps"]))</h3><table><thead><tr><th>\(escape(text["step"]))</th><th>\(escape(text["completed"]))</th>"
            + "<th>\(escape(text["run"]))</th><th></th></tr></thead><tbody>"
        for step in model.steps {
            html += "<tr data-step=\"\(escape(step.name))\"><td>\(escape(step.name))</td><td>\(escape(step.completedAt))</td>"
                + "<td>\(escape(step.runID))</td><td><small>\(escape(step.summary))</small></td></tr>"
        }
        html += "</tbody></table><h3>\(escape(text["runs"]))</h3><table><thead><tr><th>\(escape(text["run"]))</th><th>\(escape(text["command"]))</th>"
            + "<th>\(escape(text["started"]))</th><th>\(escape(text["status"]))</th></tr></thead><tbody>"
        for run in model.runs {
            html += "<tr data-run=\"\(escape(run.id))\"><td>\(escape(run.id))</td><td>\(escape(run.command))</td>"
                + "<td>\(escape(run.startedAt))</td><td>\(escape(run.status))</td></tr>"
        }
        return html + "</tbody></table></section>\n"
    }

    // MARK: Embedded data

    /// The sheets as compact arrays, read by the inline script. `<` is escaped so that no text
    /// can close the script element.
    static func sheetsJSONHead(_ dimensions: [ProfileSheets.Dimension], text: ReportText) -> String {
        // Every sheet page of a store has the same head (all its descriptors' dimensions): made once
        // per language and list, it was a sixth of `serve`'s `/titles/ID`.
        if let known = SheetsHeadMemo.shared.head(dimensions, text.language) { return known }
        let made = makeSheetsJSONHead(dimensions, text: text)
        SheetsHeadMemo.shared.keep(made, dimensions, text.language)
        return made
    }

    static func makeSheetsJSONHead(_ dimensions: [ProfileSheets.Dimension], text: ReportText) -> String {
        var out = "{\"dimensions\":["
        for (index, dimension) in dimensions.enumerated() {
            if index > 0 { out += "," }
            out += "[" + [dimension.code, dimension.name, text.category(dimension.category), dimension.dimension, dimension.scale]
                .map(Self.jsonString).joined(separator: ",") + "]"
        }
        return out + "],\"titles\":{"
    }

    /// One title's entry of `titles`: `"ID":{...}`.
    static func sheetJSON(_ sheet: ProfileSheets.Sheet, text: ReportText) -> String {
        var out = Self.jsonString(sheet.id) + ":{\"title\":" + Self.jsonString(text.language == .french ? (sheet.titleFR ?? sheet.title) : sheet.title)
        out += ",\"unitGroup\":" + (sheet.unitGroup.map(Self.jsonString) ?? "null")
        out += ",\"profile\":" + (sheet.profileCode.map(Self.jsonString) ?? "null")
        out += ",\"method\":" + Self.jsonString(sheet.method) + ",\"confidence\":" + Self.number(sheet.confidence) + ",\"cells\":["
        for (cellIndex, cell) in sheet.cells.enumerated() {
            if cellIndex > 0 { out += "," }
            out += "[\(cell.dimension),\(Self.number(cell.value)),\(cell.text.map(Self.jsonString) ?? "null"),"
                + "\(Self.jsonString(cell.source)),\(Self.number(cell.confidence)),\(Self.jsonString(cell.level)),"
                + "[\(cell.from.map(Self.jsonString).joined(separator: ","))]]"
        }
        return out + "]}"
    }

    static func labelsJSON(_ text: ReportText) -> String {
        let keys = ["descriptor", "dimension", "value", "scale", "source", "confidence", "path", "back", "print", "noSheet",
                    "profile", "unitGroup", "method", "authoritative", "onet", "llm"]
        return "{" + keys.map { Self.jsonString($0) + ":" + Self.jsonString(text[$0]) }.joined(separator: ",") + "}"
    }

    // MARK: Text helpers

    func escape(_ text: String) -> String { Self.escapeHTML(text) }

    public static func escapeHTML(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// A JSON string safe inside `<script>`: `<`, `>`, `&` and the JavaScript line separators escaped.
    static func jsonString(_ text: String) -> String {
        // Most texts (codes, sources, names) need no escape: quoted as they are.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0xE2 && $0 != 0x22 && $0 != 0x5C && $0 != 0x3C && $0 != 0x3E && $0 != 0x26 }) {
            return "\"" + text + "\""
        }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }

    /// `3`, `3.5`, `0.95`: as short as exact, as JSON numbers.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return String(value)
    }

    static func fixed(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = abs(hundredths) % 100
        return (hundredths < 0 ? "-" : "") + String(abs(hundredths) / 100) + "." + (fraction < 10 ? "0" : "") + String(fraction)
    }

    public static func percentEncoded(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? id
    }
}

/// The last sheets head made (``HTMLReport/sheetsJSONHead(_:text:)``), for the list and language it was made of.
final class SheetsHeadMemo: @unchecked Sendable {  // guarded by `lock`
    static let shared = SheetsHeadMemo()
    private let lock = NSLock()
    private var last: (dimensions: [ProfileSheets.Dimension], language: ReportLanguage, head: String)?

    func head(_ dimensions: [ProfileSheets.Dimension], _ language: ReportLanguage) -> String? {
        guard let last = lock.withLock({ last }), last.language == language, last.dimensions == dimensions else { return nil }
        return last.head
    }

    func keep(_ head: String, _ dimensions: [ProfileSheets.Dimension], _ language: ReportLanguage) {
        lock.withLock { last = (dimensions, language, head) }
    }
}
