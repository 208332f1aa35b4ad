import Foundation
import JobForgeCore

/// The page's structure is not what the parser expects. The scrape stops and writes nothing:
/// a shifted or partial table is worse than none.
public struct TBSStructureError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Kind: String, Sendable {
        case noTable = "no_table"
        case ambiguousTable = "ambiguous_table"
        case missingHeader = "missing_header"
        case columnsDiffer = "columns_differ"
        case missingBody = "missing_tbody"
        case rowShape = "row_shape"
        case tooFewRows = "too_few_rows"
    }

    public var kind: Kind
    public var url: String
    public var message: String

    public var description: String {
        "\(url): the occupational groups table is not as expected: \(message). Nothing was stored; "
            + "check the page and update the parser (JobForgeTBS) if canada.ca changed it."
    }
}

/// The occupational groups table as read from one page.
public struct TBSTable: Sendable {
    public var language: TBSLanguage
    public var headers: [String]
    public var rows: [TBSRow]
}

/// Reads `table.wb-tables` of the occupational groups page into rows, checking its structure.
public struct TBSTableParser: Sendable {
    /// Fewer rows than this means the page is broken or truncated (the real page has 217).
    public var minimumRows: Int
    /// The site links are resolved against (canonical, e.g. `https://www.canada.ca`).
    public var siteBase: URL

    public static let defaultSiteBase = URL(string: "https://www.canada.ca")!

    public init(minimumRows: Int = 150, siteBase: URL = TBSTableParser.defaultSiteBase) {
        self.minimumRows = minimumRows
        self.siteBase = siteBase
    }

    /// The texts an `<abbr>` shows for "not applicable", per language.
    static let notApplicableMarkers: Set<String> = ["n/a", "s.o.", "s/o", "sans objet", "not applicable"]

    public func parse(_ data: Data, url: String, language: TBSLanguage) throws -> TBSTable {
        let document = try HTMLDocument(data: data, url: url)
        return try parse(document, url: url, language: language)
    }

    func parse(_ document: HTMLDocument, url: String, language: TBSLanguage) throws -> TBSTable {
        let tables = document.elements(named: "table")
        let candidates = tables.filter { $0.classes.contains("wb-tables") }
        guard !candidates.isEmpty else {
            throw TBSStructureError(kind: .noTable, url: url,
                                    message: "no table with class wb-tables (the page has \(tables.count) table(s))")
        }
        guard candidates.count == 1 else {
            throw TBSStructureError(kind: .ambiguousTable, url: url,
                                    message: "\(candidates.count) tables with class wb-tables where one was expected; cannot tell which is the occupational groups table")
        }
        let table = candidates[0]

        let headers = try readHeaders(table, url: url)
        try checkHeaders(headers, language: language, url: url)

        guard let body = table.children(named: "tbody").first else {
            throw TBSStructureError(kind: .missingBody, url: url, message: "the table has no tbody")
        }
        let trs = body.children(named: "tr")
        var rows: [TBSRow] = []
        rows.reserveCapacity(trs.count)
        for (index, tr) in trs.enumerated() {
            let cells = tr.children().filter { $0.name == "td" || $0.name == "th" }
            guard cells.count == TBSColumn.allCases.count else {
                let first = cells.first?.inlineText ?? ""
                throw TBSStructureError(kind: .rowShape, url: url,
                                        message: "row \(index + 1) (\"\(first)\") has \(cells.count) cells, expected \(TBSColumn.allCases.count)")
            }
            rows.append(readRow(cells, position: index + 1, language: language))
        }
        guard rows.count >= minimumRows else {
            throw TBSStructureError(kind: .tooFewRows, url: url,
                                    message: "\(rows.count) rows, fewer than the sane minimum of \(minimumRows)")
        }
        return TBSTable(language: language, headers: headers, rows: rows)
    }

    private func readHeaders(_ table: HTMLNode, url: String) throws -> [String] {
        guard let head = table.children(named: "thead").first else {
            throw TBSStructureError(kind: .missingHeader, url: url, message: "the table has no thead")
        }
        guard let headerRow = head.children(named: "tr").last else {
            throw TBSStructureError(kind: .missingHeader, url: url, message: "the table's thead has no row")
        }
        return headerRow.children().filter { $0.name == "th" || $0.name == "td" }.map(\.inlineText)
    }

    /// Names the difference between the headers found and those expected: renamed, reordered,
    /// missing or extra columns.
    func checkHeaders(_ found: [String], language: TBSLanguage, url: String) throws {
        let expected = TBSColumn.headers(language)
        guard found != expected else { return }
        let missing = expected.filter { !found.contains($0) }
        let extra = found.filter { !expected.contains($0) }
        var parts: [String] = []
        if missing.isEmpty && extra.isEmpty {
            let moved = zip(expected, found).enumerated().filter { $0.element.0 != $0.element.1 }
                .map { "column \($0.offset + 1) is \"\($0.element.1)\" where \"\($0.element.0)\" was expected" }
            parts.append("columns are reordered: " + moved.joined(separator: "; "))
        } else if found.count == expected.count && missing.count == extra.count {
            let renamed = zip(expected, found).enumerated().filter { $0.element.0 != $0.element.1 }
                .map { "column \($0.offset + 1) \"\($0.element.0)\" is now \"\($0.element.1)\"" }
            parts.append("renamed: " + renamed.joined(separator: "; "))
        } else {
            if !missing.isEmpty { parts.append("missing column(s) " + missing.map { "\"\($0)\"" }.joined(separator: ", ")) }
            if !extra.isEmpty { parts.append("unexpected column(s) " + extra.map { "\"\($0)\"" }.joined(separator: ", ")) }
        }
        throw TBSStructureError(kind: .columnsDiffer, url: url,
                                message: "found \(found.count) columns, expected \(expected.count) (\(language.rawValue)); " + parts.joined(separator: "; "))
    }

    private struct Cell {
        var text: String?
        var isStrong: Bool
        var links: [(href: String, text: String)]
    }

    private func readCell(_ node: HTMLNode) -> Cell {
        let text = node.inlineText
        let isStrong = node.name == "th" || node.contains { $0.name == "strong" || $0.name == "b" }
        let links = node.descendants(named: "a").compactMap { anchor -> (String, String)? in
            guard let href = anchor.attribute("href") else { return nil }
            return (href, anchor.inlineText)
        }
        // N/A is an <abbr> (`N/A`, French `S.o.`): an empty value, not text.
        let abbreviations = node.descendants(named: "abbr")
        if links.isEmpty, abbreviations.count == 1,
           HTMLText.collapse(abbreviations[0].inlineText) == text,
           Self.notApplicableMarkers.contains(text.lowercased()) {
            return Cell(text: nil, isStrong: isStrong, links: [])
        }
        return Cell(text: text.isEmpty ? nil : text, isStrong: isStrong, links: links)
    }

    private func readRow(_ nodes: [HTMLNode], position: Int, language: TBSLanguage) -> TBSRow {
        let cells = nodes.map(readCell)
        var flags: [TBSFlag] = []
        let code = cells[TBSColumn.code.rawValue].text
        if let code {
            if code.contains("/") { flags.append(.multipleCodes) }
            else if code.count == 5 && code.allSatisfy(\.isASCIIDigit) { flags.append(.fiveDigitCode) }
            else if !code.allSatisfy(\.isASCIIDigit) { flags.append(.nonNumericCode) }
        } else {
            flags.append(.emptyCode)
        }
        let nameColumns: [(TBSColumn, TBSRowLevel)] = [(.occupationalGroup, .occupationalGroup), (.group, .group), (.subgroup, .subgroup)]
        let strong = nameColumns.filter { cells[$0.0.rawValue].isStrong }
        let level = strong.count == 1 ? strong[0].1 : .unknown
        if level == .unknown { flags.append(.unknownLevel) }
        func name(_ column: TBSColumn) -> TBSName? { cells[column.rawValue].text.map(TBSName.parse) }
        let names = [name(.occupationalGroup), name(.group), name(.subgroup)]
        if names.contains(where: { $0 != nil && $0?.code == nil }) { flags.append(.nameWithoutCode) }

        var links: [TBSLink] = []
        for column in TBSColumn.allCases {
            for link in cells[column.rawValue].links {
                links.append(resolve(href: link.href, text: link.text, column: column))
            }
        }
        if !TBSColumn.contentColumns.contains(where: { column in links.contains { $0.column == column } }) {
            flags.append(.noDocumentLinks)
        }
        return TBSRow(language: language, position: position,
                      groupAbbreviation: cells[TBSColumn.groupAbbreviation.rawValue].text, code: code,
                      occupationalGroup: names[0], group: names[1], subgroup: names[2], level: level,
                      links: links, flags: flags.sorted())
    }

    /// Resolves an href against the site, keeping it as written and flagging what is odd.
    func resolve(href: String, text: String, column: TBSColumn) -> TBSLink {
        var flags: [TBSFlag] = []
        let lowered = text.lowercased()
        if lowered == "info" || lowered == "renseignements" { flags.append(.infoLink) }
        let trimmed = href.trimmingCharacters(in: .whitespaces)
        guard let url = URL(string: trimmed, relativeTo: siteBase)?.absoluteURL,
              let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else {
            flags.append(.malformedHref)
            return TBSLink(column: column, href: href, text: text, url: nil, documentURL: nil, fragment: nil, flags: flags)
        }
        // A path whose `.html` is followed by more text (`po.html-ima`) is a broken link on the live page.
        let path = components.path
        if let range = path.range(of: ".html"), range.upperBound != path.endIndex { flags.append(.malformedHref) }
        if let host = url.host?.lowercased(), host != siteBase.host?.lowercased(), !host.hasSuffix("canada.ca") {
            flags.append(.offSiteLink)
        }
        let fragment = components.fragment.flatMap { $0.isEmpty ? nil : $0 }
        components.fragment = nil
        return TBSLink(column: column, href: href, text: text, url: url.absoluteString,
                       documentURL: components.string, fragment: fragment, flags: flags.sorted())
    }
}
