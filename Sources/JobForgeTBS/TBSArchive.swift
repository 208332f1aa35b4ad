import Foundation
import GRDB
import JobForgeCore
import JobForgeStore

/// The TBS source's tables. Add migrations here, named "v1-tbs", "v2-...", never edit shipped ones.
///
/// A scrape is one transaction. A page gets a new `tbs_page_version` only when its content hash
/// changes; rows, links and sections belong to the version they were read from, so earlier
/// versions stay whole. `tbs_fetch` says what every scrape saw for every URL.
public enum TBSSchema: StoreSchema {
    public static func registerMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v1-tbs") { db in
            try db.execute(sql: """
                CREATE TABLE tbs_scrape (
                    id INTEGER PRIMARY KEY,
                    kind TEXT NOT NULL,
                    started_at TEXT NOT NULL,
                    finished_at TEXT NOT NULL,
                    languages TEXT NOT NULL,
                    fetched_from TEXT NOT NULL,
                    user_agent TEXT NOT NULL,
                    requests INTEGER NOT NULL,
                    bytes_received INTEGER NOT NULL,
                    new_versions INTEGER NOT NULL
                );
                CREATE TABLE tbs_page_version (
                    id INTEGER PRIMARY KEY,
                    url TEXT NOT NULL,
                    role TEXT NOT NULL,
                    language TEXT,
                    content_hash TEXT NOT NULL,
                    fetched_at TEXT NOT NULL,
                    title TEXT,
                    page_modified TEXT,
                    http_last_modified TEXT,
                    etag TEXT,
                    bytes INTEGER NOT NULL,
                    extraction_method TEXT,
                    body BLOB NOT NULL,
                    scrape_id INTEGER NOT NULL REFERENCES tbs_scrape(id),
                    UNIQUE(url, content_hash)
                );
                CREATE INDEX tbs_page_version_role ON tbs_page_version(role, language);
                CREATE TABLE tbs_fetch (
                    scrape_id INTEGER NOT NULL REFERENCES tbs_scrape(id),
                    url TEXT NOT NULL,
                    language TEXT,
                    role TEXT NOT NULL,
                    depth INTEGER NOT NULL,
                    result TEXT NOT NULL,
                    new_version INTEGER NOT NULL DEFAULT 0,
                    http_status INTEGER,
                    reason TEXT,
                    page_version_id INTEGER REFERENCES tbs_page_version(id),
                    checked_at TEXT NOT NULL,
                    bytes_transferred INTEGER NOT NULL,
                    PRIMARY KEY (scrape_id, url)
                );
                CREATE TABLE tbs_row (
                    page_version_id INTEGER NOT NULL REFERENCES tbs_page_version(id),
                    position INTEGER NOT NULL,
                    language TEXT NOT NULL,
                    identity TEXT NOT NULL,
                    group_abbreviation TEXT,
                    code TEXT,
                    occupational_group TEXT,
                    occupational_group_name TEXT,
                    occupational_group_code TEXT,
                    group_text TEXT,
                    group_name TEXT,
                    group_code TEXT,
                    subgroup TEXT,
                    subgroup_name TEXT,
                    subgroup_code TEXT,
                    level TEXT NOT NULL,
                    definition_fragment TEXT,
                    flags TEXT NOT NULL,
                    PRIMARY KEY (page_version_id, position)
                );
                CREATE INDEX tbs_row_fragment ON tbs_row(definition_fragment, language);
                CREATE INDEX tbs_row_abbreviation ON tbs_row(group_abbreviation);
                CREATE TABLE tbs_row_link (
                    page_version_id INTEGER NOT NULL REFERENCES tbs_page_version(id),
                    position INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    column_key TEXT NOT NULL,
                    href TEXT NOT NULL,
                    text TEXT NOT NULL,
                    url TEXT,
                    document_url TEXT,
                    fragment TEXT,
                    flags TEXT NOT NULL,
                    PRIMARY KEY (page_version_id, position, seq)
                );
                CREATE TABLE tbs_section (
                    page_version_id INTEGER NOT NULL REFERENCES tbs_page_version(id),
                    fragment TEXT NOT NULL,
                    heading TEXT,
                    text TEXT NOT NULL,
                    method TEXT NOT NULL,
                    links TEXT NOT NULL,
                    PRIMARY KEY (page_version_id, fragment)
                );
                CREATE TABLE tbs_link_status (
                    scrape_id INTEGER NOT NULL REFERENCES tbs_scrape(id),
                    url TEXT NOT NULL,
                    document_url TEXT NOT NULL,
                    fragment TEXT,
                    status TEXT NOT NULL,
                    reason TEXT,
                    http_status INTEGER,
                    PRIMARY KEY (scrape_id, url)
                );
                -- English and French rows side by side, joined on the definition fragment
                -- (never on position: the two pages order rows differently), latest versions only.
                CREATE VIEW tbs_row_bilingual AS
                    WITH latest AS (
                        SELECT language, MAX(id) AS id FROM tbs_page_version WHERE role = 'table' GROUP BY language
                    )
                    SELECT en.definition_fragment AS definition_fragment,
                           en.group_abbreviation AS group_abbreviation, en.code AS code, en.level AS level,
                           en.occupational_group AS occupational_group_en, fr.occupational_group AS occupational_group_fr,
                           en.group_text AS group_en, fr.group_text AS group_fr,
                           en.subgroup AS subgroup_en, fr.subgroup AS subgroup_fr,
                           en.page_version_id AS page_version_en, fr.page_version_id AS page_version_fr
                    FROM tbs_row en
                    JOIN latest le ON le.language = 'en' AND le.id = en.page_version_id
                    LEFT JOIN latest lf ON lf.language = 'fr'
                    LEFT JOIN tbs_row fr ON fr.page_version_id = lf.id AND fr.definition_fragment = en.definition_fragment
                    WHERE en.definition_fragment IS NOT NULL;
                """)
        }
        // Where a redirected page was finally read from (NULL: the page answered at its own URL).
        migrator.registerMigration("v2-tbs-final-url") { db in
            try db.execute(sql: "ALTER TABLE tbs_page_version ADD COLUMN final_url TEXT")
        }
    }
}

/// A stored page version's body and validators, for conditional refresh and re-reading.
public struct TBSStoredPage: Sendable {
    public var version: TBSPageVersion
    public var body: Data
}

/// A scrape as listed by `tbs diff` and `tbs show`.
public struct TBSScrapeInfo: Sendable, Codable, Hashable {
    public var id: Int64
    public var kind: TBSScrapeKind
    public var startedAt: Date
    public var finishedAt: Date
    public var languages: [TBSLanguage]
    public var fetchedFrom: String
    public var requests: Int
    public var bytesReceived: Int
    public var newVersions: Int
}


private func flagsText(_ flags: [TBSFlag]) -> String { flags.map(\.rawValue).joined(separator: ",") }
private func flags(_ text: String?) -> [TBSFlag] {
    (text ?? "").split(separator: ",").compactMap { TBSFlag(rawValue: String($0)) }
}

/// The TBS source's archive over a store: every scrape, page version, table row, link and
/// section, with their provenance.
public struct TBSArchive: Sendable {
    public let store: SQLiteStore
    public init(_ store: SQLiteStore) { self.store = store }
    var dbQueue: DatabaseQueue { store.dbQueue }
}

extension TBSArchive {
    /// Writes a whole scrape in one transaction: new page versions (only for changed content),
    /// their rows, links and sections, what each URL returned, and each link's status.
    @discardableResult
    public func saveScrape(_ record: TBSScrapeRecord) throws -> TBSScrapeSummary {
        try dbQueue.write { db in
            try db.execute(sql: """
                INSERT INTO tbs_scrape (kind, started_at, finished_at, languages, fetched_from, user_agent, requests,
                                        bytes_received, new_versions)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)
                """, arguments: [record.kind.rawValue, Timestamp.string(record.startedAt), Timestamp.string(record.finishedAt),
                                 record.languages.map(\.rawValue).joined(separator: ","), record.fetchedFrom,
                                 record.userAgent, record.requests, record.bytesReceived])
            let scrapeID = db.lastInsertedRowID
            var summary = TBSScrapeSummary(scrapeID: scrapeID, newVersions: 0, unchangedPages: 0, notModifiedPages: 0,
                                           notFound: 0, failed: 0, notFollowed: 0, rowsStored: 0, sectionsStored: 0)
            let insertRow = try db.cachedStatement(sql: """
                INSERT INTO tbs_row (page_version_id, position, language, identity, group_abbreviation, code,
                    occupational_group, occupational_group_name, occupational_group_code, group_text, group_name, group_code,
                    subgroup, subgroup_name, subgroup_code, level, definition_fragment, flags)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let insertLink = try db.cachedStatement(sql: """
                INSERT INTO tbs_row_link (page_version_id, position, seq, column_key, href, text, url, document_url, fragment, flags)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let insertSection = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO tbs_section (page_version_id, fragment, heading, text, method, links)
                VALUES (?, ?, ?, ?, ?, ?)
                """)
            let insertFetch = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO tbs_fetch (scrape_id, url, language, role, depth, result, new_version, http_status,
                    reason, page_version_id, checked_at, bytes_transferred)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)

            for page in record.pages {
                var versionID: Int64?
                var isNew = false
                switch page.result {
                case .fetched:
                    if let provenance = page.provenance, let body = page.body {
                        if let existing = try Int64.fetchOne(db, sql: "SELECT id FROM tbs_page_version WHERE url = ? AND content_hash = ?",
                                                             arguments: [page.url, provenance.contentHash]) {
                            versionID = existing
                            summary.unchangedPages += 1
                        } else {
                            try db.execute(sql: """
                                INSERT INTO tbs_page_version (url, role, language, content_hash, fetched_at, title, page_modified,
                                    http_last_modified, etag, bytes, extraction_method, body, scrape_id, final_url)
                                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                                """, arguments: [page.url, page.role.rawValue, page.language?.rawValue, provenance.contentHash,
                                                 Timestamp.string(provenance.fetchedAt), provenance.title, provenance.pageModified,
                                                 provenance.httpLastModified, provenance.etag, provenance.bytes,
                                                 page.extractionMethod, body, scrapeID, provenance.finalURL])
                            versionID = db.lastInsertedRowID
                            isNew = true
                            summary.newVersions += 1
                            for row in page.rows {
                                try insertRow.execute(arguments: [
                                    versionID, row.position, row.language.rawValue, row.identity, row.groupAbbreviation, row.code,
                                    row.occupationalGroup?.text, row.occupationalGroup?.name, row.occupationalGroup?.code,
                                    row.group?.text, row.group?.name, row.group?.code,
                                    row.subgroup?.text, row.subgroup?.name, row.subgroup?.code,
                                    row.level.rawValue, row.definitionFragment, flagsText(row.flags),
                                ])
                                for (seq, link) in row.links.enumerated() {
                                    try insertLink.execute(arguments: [
                                        versionID, row.position, seq, link.column.key, link.href, link.text, link.url,
                                        link.documentURL, link.fragment, flagsText(link.flags),
                                    ])
                                }
                            }
                            summary.rowsStored += page.rows.count
                        }
                    }
                case .notModified:
                    versionID = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM tbs_page_version WHERE url = ?", arguments: [page.url])
                    summary.notModifiedPages += 1
                case .notFound: summary.notFound += 1
                case .failed: summary.failed += 1
                case .notFollowed: summary.notFollowed += 1
                }
                if let versionID {
                    for section in page.sections {
                        let links = String(decoding: try JSONEncoder().encode(section.links), as: UTF8.self)
                        try insertSection.execute(arguments: [versionID, section.fragment, section.heading, section.text,
                                                              section.method, links])
                        if db.changesCount > 0 { summary.sectionsStored += 1 }
                    }
                }
                try insertFetch.execute(arguments: [
                    scrapeID, page.url, page.language?.rawValue, page.role.rawValue, page.depth, page.result.rawValue,
                    isNew ? 1 : 0, page.httpStatus, page.reason, versionID, Timestamp.string(page.checkedAt), page.bytesTransferred,
                ])
            }
            let insertStatus = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO tbs_link_status (scrape_id, url, document_url, fragment, status, reason, http_status)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            for link in record.links {
                try insertStatus.execute(arguments: [scrapeID, link.url, link.documentURL, link.fragment, link.status.rawValue,
                                                     link.reason, link.httpStatus])
            }
            try db.execute(sql: "UPDATE tbs_scrape SET new_versions = ? WHERE id = ?", arguments: [summary.newVersions, scrapeID])
            return summary
        }
    }

    private static func version(from row: Row) throws -> TBSPageVersion {
        let table = "tbs_page_version"
        let language: TBSLanguage? = row["language"] == nil ? nil : try row.decode("language", table: table)
        return TBSPageVersion(
            id: row["id"], role: try row.decode("role", table: table), language: language,
            provenance: TBSPageProvenance(url: row["url"], fetchedAt: try Timestamp.decode(row, "fetched_at", table: table), title: row["title"],
                                          contentHash: row["content_hash"], pageModified: row["page_modified"],
                                          httpLastModified: row["http_last_modified"], etag: row["etag"], bytes: row["bytes"],
                                          finalURL: row["final_url"]),
            extractionMethod: row["extraction_method"], scrapeID: row["scrape_id"])
    }

    private static func sectionLinks(_ row: Row) throws -> [String] {
        let text: String = row["links"]
        guard let links = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else {
            throw StoreError.corrupt(table: "tbs_section", column: "links", value: String(text.prefix(200)))
        }
        return links
    }

    private static let versionColumns = "id, url, role, language, content_hash, fetched_at, title, page_modified, http_last_modified, etag, bytes, extraction_method, scrape_id, final_url"

    /// The newest stored version of a page, with its body (for conditional requests and re-reading).
    public func latestPage(url: String) throws -> TBSStoredPage? {
        try dbQueue.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT \(Self.versionColumns), body FROM tbs_page_version WHERE url = ? ORDER BY id DESC LIMIT 1",
                                             arguments: [url]) else { return nil }
            return TBSStoredPage(version: try Self.version(from: row), body: row["body"])
        }
    }

    /// Every stored version of the occupational groups table in a language, oldest first.
    public func tableVersions(language: TBSLanguage) throws -> [TBSPageVersion] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.versionColumns) FROM tbs_page_version WHERE role = 'table' AND language = ? ORDER BY id",
                             arguments: [language.rawValue]).map(Self.version(from:))
        }
    }

    public func pageVersion(id: Int64) throws -> TBSPageVersion? {
        try dbQueue.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.versionColumns) FROM tbs_page_version WHERE id = ?", arguments: [id])
                .map(Self.version(from:))
        }
    }

    /// The rows of a table version, in page order, with their links.
    public func rows(pageVersionID: Int64) throws -> [TBSRow] {
        try dbQueue.read { db in
            var links: [Int: [TBSLink]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM tbs_row_link WHERE page_version_id = ? ORDER BY position, seq",
                                        arguments: [pageVersionID]) {
                guard let column = TBSColumn(key: row["column_key"]) else { continue }
                links[row["position"], default: []].append(TBSLink(
                    column: column, href: row["href"], text: row["text"], url: row["url"], documentURL: row["document_url"],
                    fragment: row["fragment"], flags: flags(row["flags"])))
            }
            func name(_ row: Row, _ prefix: String) -> TBSName? {
                guard let text: String = row[prefix == "group" ? "group_text" : prefix] else { return nil }
                return TBSName(text: text, name: row["\(prefix)_name"] ?? text, code: row["\(prefix)_code"])
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM tbs_row WHERE page_version_id = ? ORDER BY position",
                                    arguments: [pageVersionID]).map { row in
                TBSRow(language: try row.decode("language", table: "tbs_row"), position: row["position"],
                       groupAbbreviation: row["group_abbreviation"], code: row["code"],
                       occupationalGroup: name(row, "occupational_group"), group: name(row, "group"),
                       subgroup: name(row, "subgroup"), level: try row.decode("level", table: "tbs_row"),
                       links: links[row["position"]] ?? [], flags: flags(row["flags"]))
            }
        }
    }

    /// The section a link names, from the newest stored version of its document that has it.
    public func section(documentURL: String, fragment: String) throws -> (TBSSection, TBSPageVersion)? {
        try dbQueue.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT s.fragment, s.heading, s.text, s.method, s.links,
                       v.id, v.url, v.role, v.language, v.content_hash, v.fetched_at, v.title, v.page_modified,
                       v.http_last_modified, v.etag, v.bytes, v.extraction_method, v.scrape_id, v.final_url
                FROM tbs_section s JOIN tbs_page_version v ON v.id = s.page_version_id
                WHERE v.url = ? AND s.fragment = ? ORDER BY v.id DESC LIMIT 1
                """, arguments: [documentURL, fragment]) else { return nil }
            let links = try Self.sectionLinks(row)
            let section = TBSSection(fragment: row["fragment"], heading: row["heading"], text: row["text"],
                                     method: row["method"], links: links)
            return (section, try Self.version(from: row))
        }
    }

    /// All sections of the newest version of each document that has sections, keyed by URL then fragment.
    public func latestSections() throws -> [String: [String: (TBSSection, TBSPageVersion)]] {
        try dbQueue.read { db in
            var result: [String: [String: (TBSSection, TBSPageVersion)]] = [:]
            let rows = try Row.fetchAll(db, sql: """
                SELECT s.fragment, s.heading, s.text, s.method, s.links,
                       v.id, v.url, v.role, v.language, v.content_hash, v.fetched_at, v.title, v.page_modified,
                       v.http_last_modified, v.etag, v.bytes, v.extraction_method, v.scrape_id, v.final_url
                FROM tbs_section s JOIN tbs_page_version v ON v.id = s.page_version_id
                WHERE v.id = (SELECT MAX(id) FROM tbs_page_version WHERE url = v.url)
                """)
            for row in rows {
                let links = try Self.sectionLinks(row)
                let section = TBSSection(fragment: row["fragment"], heading: row["heading"], text: row["text"],
                                         method: row["method"], links: links)
                let version = try Self.version(from: row)
                result[version.provenance.url, default: [:]][section.fragment] = (section, version)
            }
            return result
        }
    }

    /// Link statuses of a scrape (the latest when nil), keyed by URL with fragment.
    public func linkStatuses(scrapeID: Int64? = nil) throws -> [String: TBSLinkCheck] {
        try dbQueue.read { db in
            guard let id = try scrapeID ?? Int64.fetchOne(db, sql: "SELECT MAX(id) FROM tbs_scrape") else { return [:] }
            var result: [String: TBSLinkCheck] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM tbs_link_status WHERE scrape_id = ?", arguments: [id]) {
                let check = TBSLinkCheck(url: row["url"], documentURL: row["document_url"], fragment: row["fragment"],
                                         status: try row.decode("status", table: "tbs_link_status"), reason: row["reason"],
                                         httpStatus: row["http_status"])
                result[check.url] = check
            }
            return result
        }
    }

    public func scrapes() throws -> [TBSScrapeInfo] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM tbs_scrape ORDER BY id").map { row in
                TBSScrapeInfo(id: row["id"], kind: try row.decode("kind", table: "tbs_scrape"),
                              startedAt: try Timestamp.decode(row, "started_at", table: "tbs_scrape"),
                              finishedAt: try Timestamp.decode(row, "finished_at", table: "tbs_scrape"),
                              languages: try (row["languages"] as String).split(separator: ",").map { code in
                                  guard let language = TBSLanguage(rawValue: String(code)) else {
                                      throw StoreError.corrupt(table: "tbs_scrape", column: "languages", value: String(code))
                                  }
                                  return language
                              },
                              fetchedFrom: row["fetched_from"], requests: row["requests"], bytesReceived: row["bytes_received"],
                              newVersions: row["new_versions"])
            }
        }
    }
}
