import Foundation
import JobForgeCore
import JobForgeStore

/// A linked section as shown to people and tools: its text and where it came from.
public struct TBSSectionView: Sendable, Codable, Hashable {
    /// The source URL with its fragment.
    public var sourceURL: String
    public var heading: String?
    public var text: String
    public var extractionMethod: String
    public var provenance: TBSPageProvenance
}

/// A link with the status its last check gave it.
public struct TBSLinkView: Sendable, Codable, Hashable {
    public var column: String
    public var href: String
    public var text: String
    public var url: String?
    public var status: TBSLinkStatus?
    public var reason: String?
    public var flags: [TBSFlag]
    /// The section the link names, when it was fetched.
    public var content: TBSSectionView?
}

/// One table row with its linked content and provenance.
public struct TBSRowView: Sendable, Codable, Hashable {
    public var row: TBSRow
    public var links: [TBSLinkView]
    public var source: TBSPageProvenance
    public var extractionMethod: String?

    public var definition: TBSSectionView? { links.first { $0.column == TBSColumn.definition.key }?.content }
}

/// Reads the stored TBS data for `show` and `export`.
public struct TBSReader: Sendable {
    public let archive: TBSArchive

    public init(store: SQLiteStore) { archive = TBSArchive(store) }

    /// The rows of the newest table version in a language, with linked content and link statuses.
    public func currentRows(language: TBSLanguage) throws -> (version: TBSPageVersion, rows: [TBSRowView])? {
        guard let version = try archive.tableVersions(language: language).last else { return nil }
        let rows = try archive.rows(pageVersionID: version.id)
        let sections = try archive.latestSections()
        let statuses = try archive.linkStatuses()
        let views = rows.map { row in
            TBSRowView(row: row, links: row.links.map { link in
                var content: TBSSectionView?
                if let document = link.documentURL, let (section, sectionVersion) = sections[document]?[link.fragment ?? ""] {
                    content = TBSSectionView(sourceURL: link.url ?? document, heading: section.heading, text: section.text,
                                             extractionMethod: section.method, provenance: sectionVersion.provenance)
                }
                let check = link.url.flatMap { statuses[$0] }
                return TBSLinkView(column: link.column.key, href: link.href, text: link.text, url: link.url,
                                   status: check?.status, reason: check?.reason, flags: link.flags, content: content)
            }, source: version.provenance, extractionMethod: version.extractionMethod)
        }
        return (version, views)
    }

    /// The rows of a group (by abbreviation, or by its own or a subgroup's code), in page order.
    public func group(_ code: String, language: TBSLanguage) throws -> [TBSRowView] {
        guard let current = try currentRows(language: language) else { return [] }
        let wanted = code.uppercased()
        return current.rows.filter { view in
            let row = view.row
            return row.groupAbbreviation?.uppercased() == wanted
                || [row.occupationalGroup, row.group, row.subgroup].contains { $0?.code?.uppercased() == wanted }
        }
    }
}

/// What changed between two versions of the table.
public struct TBSDiff: Sendable, Codable {
    public enum Kind: String, Sendable, Codable { case added, removed, changed }

    public struct Change: Sendable, Codable {
        public var kind: Kind
        public var identity: String
        public var before: TBSRow?
        public var after: TBSRow?
        /// The fields that differ (for `changed`): `code`, `subgroup`, `link:definition`, ...
        public var fields: [String]
    }

    public var language: TBSLanguage
    public var from: TBSPageVersion
    public var to: TBSPageVersion
    public var changes: [Change]
    public var unchanged: Int

    /// Compares rows by identity (the definition fragment, never the position).
    public static func rows(_ old: [TBSRow], _ new: [TBSRow]) -> (changes: [Change], unchanged: Int) {
        func keyed(_ rows: [TBSRow]) -> [(String, TBSRow)] {
            var seen: [String: Int] = [:]
            return rows.map { row in
                let count = seen[row.identity, default: 0]
                seen[row.identity] = count + 1
                return (count == 0 ? row.identity : "\(row.identity)#\(count + 1)", row)
            }
        }
        let oldRows = keyed(old), newRows = keyed(new)
        let oldByKey = Dictionary(oldRows, uniquingKeysWith: { first, _ in first })
        let newByKey = Dictionary(newRows, uniquingKeysWith: { first, _ in first })
        var changes: [Change] = []
        var unchanged = 0
        for (key, row) in oldRows where newByKey[key] == nil {
            changes.append(Change(kind: .removed, identity: key, before: row, after: nil, fields: []))
        }
        for (key, row) in newRows {
            guard let before = oldByKey[key] else {
                changes.append(Change(kind: .added, identity: key, before: nil, after: row, fields: []))
                continue
            }
            let fields = differences(before, row)
            if fields.isEmpty { unchanged += 1 } else {
                changes.append(Change(kind: .changed, identity: key, before: before, after: row, fields: fields))
            }
        }
        return (changes, unchanged)
    }

    static func differences(_ a: TBSRow, _ b: TBSRow) -> [String] {
        var fields: [String] = []
        if a.groupAbbreviation != b.groupAbbreviation { fields.append("group_abbreviation") }
        if a.code != b.code { fields.append("code") }
        if a.occupationalGroup?.text != b.occupationalGroup?.text { fields.append("occupational_group") }
        if a.group?.text != b.group?.text { fields.append("group") }
        if a.subgroup?.text != b.subgroup?.text { fields.append("subgroup") }
        if a.level != b.level { fields.append("level") }
        for column in TBSColumn.allCases {
            let left = a.links.filter { $0.column == column }.map(\.href)
            let right = b.links.filter { $0.column == column }.map(\.href)
            if left != right { fields.append("link:\(column.key)") }
        }
        return fields
    }
}

extension TBSReader {
    /// The diff between two stored table versions (default: the last two) of a language.
    public func diff(language: TBSLanguage, from: Int64? = nil, to: Int64? = nil) throws -> TBSDiff {
        let versions = try archive.tableVersions(language: language)
        guard let toVersion = try to.flatMap(archive.pageVersion(id:)) ?? versions.last else {
            throw TBSReportError("no stored \(language.rawValue) table: run `jobforge tbs scrape` first")
        }
        let fromVersion: TBSPageVersion
        if let from {
            guard let found = try archive.pageVersion(id: from) else { throw TBSReportError("no page version \(from)") }
            fromVersion = found
        } else {
            guard let previous = versions.last(where: { $0.id < toVersion.id }) else {
                throw TBSReportError("only one \(language.rawValue) table version is stored (id \(toVersion.id)): nothing to compare yet")
            }
            fromVersion = previous
        }
        let result = TBSDiff.rows(try archive.rows(pageVersionID: fromVersion.id), try archive.rows(pageVersionID: toVersion.id))
        return TBSDiff(language: language, from: fromVersion, to: toVersion, changes: result.changes, unchanged: result.unchanged)
    }
}

public struct TBSReportError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Writes the stored TBS data for tools: one JSON file per language (rows, linked content,
/// provenance) and CSV files (rows, links).
public struct TBSExporter: Sendable {
    public let reader: TBSReader

    public init(store: SQLiteStore) { reader = TBSReader(store: store) }

    public struct LanguageExport: Sendable, Codable {
        public var language: TBSLanguage
        public var table: TBSPageProvenance
        public var extractionMethod: String?
        public var rows: [TBSRowView]
    }

    /// Writes the files into `directory`; returns their URLs.
    public func export(to directory: URL, languages: [TBSLanguage] = TBSLanguage.allCases) throws -> [URL] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var written: [URL] = []
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        for language in languages {
            guard let current = try reader.currentRows(language: language) else { continue }
            let export = LanguageExport(language: language, table: current.version.provenance,
                                        extractionMethod: current.version.extractionMethod, rows: current.rows)
            let json = directory.appendingPathComponent("tbs_occupational_groups_\(language.rawValue).json")
            try encoder.encode(export).write(to: json)
            written.append(json)

            let iso = ISO8601DateFormatter()
            var rows = CSVWriter.byteOrderMark + CSVWriter.line([
                "language", "position", "group_abbreviation", "code", "occupational_group", "group", "subgroup",
                "subgroup_code", "level", "definition_fragment", "definition_url", "definition_text",
                "job_evaluation_standard_url", "job_evaluation_standard_status", "qualification_standard_url",
                "qualification_standard_status", "flags", "source_url", "fetched_at", "content_hash", "page_modified",
            ])
            var links = CSVWriter.byteOrderMark + CSVWriter.line([
                "language", "position", "identity", "column", "href", "text", "url", "status", "reason", "flags",
            ])
            for view in current.rows {
                let row = view.row
                func link(_ column: TBSColumn) -> TBSLinkView? { view.links.first { $0.column == column.key } }
                rows += CSVWriter.line([
                    language.rawValue, String(row.position), row.groupAbbreviation ?? "", row.code ?? "",
                    row.occupationalGroup?.text ?? "", row.group?.text ?? "", row.subgroup?.text ?? "",
                    row.subgroup?.code ?? "", row.level.rawValue, row.definitionFragment ?? "",
                    link(.definition)?.url ?? "", view.definition?.text ?? "",
                    link(.jobEvaluationStandard)?.url ?? "", link(.jobEvaluationStandard)?.status?.rawValue ?? "",
                    link(.qualificationStandard)?.url ?? "", link(.qualificationStandard)?.status?.rawValue ?? "",
                    row.flags.map(\.rawValue).joined(separator: ";"), view.source.url, iso.string(from: view.source.fetchedAt),
                    view.source.contentHash, view.source.pageModified ?? "",
                ])
                for item in view.links {
                    links += CSVWriter.line([
                        language.rawValue, String(row.position), row.identity, item.column, item.href, item.text, item.url ?? "",
                        item.status?.rawValue ?? "", item.reason ?? "", item.flags.map(\.rawValue).joined(separator: ";"),
                    ])
                }
            }
            let rowsURL = directory.appendingPathComponent("tbs_rows_\(language.rawValue).csv")
            try Data(rows.utf8).write(to: rowsURL)
            let linksURL = directory.appendingPathComponent("tbs_links_\(language.rawValue).csv")
            try Data(links.utf8).write(to: linksURL)
            written += [rowsURL, linksURL]
        }
        return written
    }
}
