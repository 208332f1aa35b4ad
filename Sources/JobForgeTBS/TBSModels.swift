import Foundation

// Plain values of the Treasury Board occupational groups source (JobForgeTBS), shared with the
// store so that tables and exports speak the same types. No I/O here.

/// The two official languages of canada.ca pages.
public enum TBSLanguage: String, Sendable, Codable, CaseIterable, Hashable {
    case en
    case fr
}

/// The 12 columns of the occupational groups table, in the order the page shows them.
public enum TBSColumn: Int, Sendable, Codable, CaseIterable, Hashable {
    case groupAbbreviation = 0
    case code
    case occupationalGroup
    case group
    case subgroup
    case definition
    case jobEvaluationStandard
    case qualificationStandard
    case bargainingUpdate
    case collectiveAgreement
    case ratesOfPayRepresented
    case ratesOfPayUnrepresented

    /// A stable name for tables, JSON and CSV.
    public var key: String {
        switch self {
        case .groupAbbreviation: "group_abbreviation"
        case .code: "code"
        case .occupationalGroup: "occupational_group"
        case .group: "group"
        case .subgroup: "subgroup"
        case .definition: "definition"
        case .jobEvaluationStandard: "job_evaluation_standard"
        case .qualificationStandard: "qualification_standard"
        case .bargainingUpdate: "bargaining_update"
        case .collectiveAgreement: "collective_agreement"
        case .ratesOfPayRepresented: "rates_of_pay_represented"
        case .ratesOfPayUnrepresented: "rates_of_pay_unrepresented"
        }
    }

    public init?(key: String) {
        guard let column = TBSColumn.allCases.first(where: { $0.key == key }) else { return nil }
        self = column
    }

    /// The columns whose links are documents describing the group (followed by the crawler).
    public static let contentColumns: [TBSColumn] = [.definition, .jobEvaluationStandard, .qualificationStandard]

    /// The header text the page shows, per language. The English texts are those of the real
    /// page (captured 2026-03-05). The French texts other than `Abréviation de groupe`, `Code` and
    /// `Groupe professionnel` are canada.ca's usual wording, not yet checked against a real capture.
    public func header(_ language: TBSLanguage) -> String {
        switch (self, language) {
        case (.groupAbbreviation, .en): "Group abbreviation"
        case (.code, .en): "Code"
        case (.occupationalGroup, .en): "Occupational Group (post 1999)"
        case (.group, .en): "Group"
        case (.subgroup, .en): "Subgroup"
        case (.definition, .en): "Definition"
        case (.jobEvaluationStandard, .en): "Job evaluation standard"
        case (.qualificationStandard, .en): "Qualification standard"
        case (.bargainingUpdate, .en): "Bargaining update"
        case (.collectiveAgreement, .en): "Collective agreement"
        case (.ratesOfPayRepresented, .en): "Rates of pay for represented employees"
        case (.ratesOfPayUnrepresented, .en): "Rates of pay for unrepresented/senior excluded employees"
        case (.groupAbbreviation, .fr): "Abréviation de groupe"
        case (.code, .fr): "Code"
        case (.occupationalGroup, .fr): "Groupe professionnel (après 1999)"
        case (.group, .fr): "Groupe"
        case (.subgroup, .fr): "Sous-groupe"
        case (.definition, .fr): "Définition"
        case (.jobEvaluationStandard, .fr): "Norme d’évaluation des emplois"
        case (.qualificationStandard, .fr): "Norme de qualification"
        case (.bargainingUpdate, .fr): "Mise à jour sur les négociations"
        case (.collectiveAgreement, .fr): "Convention collective"
        case (.ratesOfPayRepresented, .fr): "Taux de rémunération des employés représentés"
        case (.ratesOfPayUnrepresented, .fr): "Taux de rémunération des employés non représentés et exclus de niveau supérieur"
        }
    }

    public static func headers(_ language: TBSLanguage) -> [String] { allCases.map { $0.header(language) } }
}

/// Which of the three name columns is the row's own (the `<strong>` cell): a row describes an
/// occupational group, a group inside it, or a subgroup.
public enum TBSRowLevel: String, Sendable, Codable, Hashable {
    case occupationalGroup = "occupational_group"
    case group
    case subgroup
    case unknown
}

/// Something unusual about a value, kept as it is and flagged rather than dropped or "fixed".
public enum TBSFlag: String, Sendable, Codable, Hashable, Comparable {
    case emptyCode = "empty_code"
    case fiveDigitCode = "five_digit_code"
    case multipleCodes = "multiple_codes"
    case nonNumericCode = "non_numeric_code"
    case noDocumentLinks = "no_document_links"
    case infoLink = "info_link"
    case malformedHref = "malformed_href"
    case offSiteLink = "off_site_link"
    case unknownLevel = "unknown_level"
    case nameWithoutCode = "name_without_code"

    public static func < (lhs: TBSFlag, rhs: TBSFlag) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A name cell such as `Non-Operational (AI-NOP)`: the text as shown, then split into name and code.
public struct TBSName: Sendable, Codable, Hashable {
    /// The whole text with its spacing normalized (`<br>` is a space): `Air Traffic Control (AI)`.
    public var text: String
    /// The part before the last parenthesis: `Air Traffic Control`.
    public var name: String
    /// The code in the last parenthesis: `AI`, `AI-NOP`; nil when the text has none.
    public var code: String?

    public init(text: String, name: String, code: String?) {
        self.text = text
        self.name = name
        self.code = code
    }

    /// Splits `Name (CODE)` on its last parenthesised part.
    public static func parse(_ text: String) -> TBSName {
        guard text.hasSuffix(")"), let open = text.lastIndex(of: "(") else {
            return TBSName(text: text, name: text, code: nil)
        }
        let code = String(text[text.index(after: open)..<text.index(before: text.endIndex)])
            .trimmingCharacters(in: .whitespaces)
        let name = String(text[..<open]).trimmingCharacters(in: .whitespaces)
        guard !code.isEmpty, !name.isEmpty else { return TBSName(text: text, name: text, code: nil) }
        return TBSName(text: text, name: name, code: code)
    }
}

/// A link found in a table cell, as written and as resolved.
public struct TBSLink: Sendable, Codable, Hashable {
    public var column: TBSColumn
    /// The `href` attribute exactly as the page has it.
    public var href: String
    /// The link's text (`Yes`, `Info`, `Yes SR-MGT-01`).
    public var text: String
    /// The absolute canonical URL (on the page's own site, not the host it was fetched from),
    /// with its fragment; nil when the href cannot be resolved.
    public var url: String?
    /// The document: `url` without its fragment.
    public var documentURL: String?
    /// The fragment (`def-ai-nop`), without `#`.
    public var fragment: String?
    public var flags: [TBSFlag]

    public init(column: TBSColumn, href: String, text: String, url: String?, documentURL: String?,
                fragment: String?, flags: [TBSFlag]) {
        self.column = column
        self.href = href
        self.text = text
        self.url = url
        self.documentURL = documentURL
        self.fragment = fragment
        self.flags = flags
    }
}

/// One row of the occupational groups table.
public struct TBSRow: Sendable, Codable, Hashable {
    public var language: TBSLanguage
    /// 1-based position in the table body, as the page orders it (languages differ).
    public var position: Int
    /// The abbreviation column (`AI`); nil when N/A.
    public var groupAbbreviation: String?
    /// The code column as written (`402`, `30401`, `602/652`); nil when empty or N/A.
    public var code: String?
    public var occupationalGroup: TBSName?
    public var group: TBSName?
    public var subgroup: TBSName?
    public var level: TBSRowLevel
    /// Every link of the row, in column order.
    public var links: [TBSLink]
    public var flags: [TBSFlag]

    public init(language: TBSLanguage, position: Int, groupAbbreviation: String?, code: String?,
                occupationalGroup: TBSName?, group: TBSName?, subgroup: TBSName?, level: TBSRowLevel,
                links: [TBSLink], flags: [TBSFlag]) {
        self.language = language
        self.position = position
        self.groupAbbreviation = groupAbbreviation
        self.code = code
        self.occupationalGroup = occupationalGroup
        self.group = group
        self.subgroup = subgroup
        self.level = level
        self.links = links
        self.flags = flags
    }

    /// The name of the row's own level (the bold cell).
    public var ownName: TBSName? {
        switch level {
        case .occupationalGroup: occupationalGroup
        case .group: group
        case .subgroup: subgroup
        case .unknown: subgroup ?? group ?? occupationalGroup
        }
    }

    public func link(_ column: TBSColumn) -> TBSLink? { links.first { $0.column == column } }

    /// The definition fragment (`def-ai-nop`): what joins English and French rows.
    public var definitionFragment: String? { link(.definition)?.fragment }

    /// A key that identifies the row across versions and languages: the definition fragment,
    /// else the abbreviation with the row's own code or name.
    public var identity: String {
        if let fragment = definitionFragment { return fragment }
        return "\(groupAbbreviation ?? "-")|\(ownName?.code ?? ownName?.text ?? "-")"
    }
}

/// Facts about one fetched page, kept with every value read from it.
public struct TBSPageProvenance: Sendable, Codable, Hashable {
    /// The canonical URL (on canada.ca even when fetched from a mirror or test host), no fragment.
    public var url: String
    public var fetchedAt: Date
    /// The page's `<title>`.
    public var title: String?
    /// SHA-256 of the body, hex.
    public var contentHash: String
    /// The page's own modified date: `dcterms.modified`, else `gcds-date-modified`.
    public var pageModified: String?
    public var httpLastModified: String?
    public var etag: String?
    public var bytes: Int
    /// The canonical URL the body was finally read from when `url` redirected (on the allow-list,
    /// hop by hop); nil when `url` answered itself.
    public var finalURL: String?

    public init(url: String, fetchedAt: Date, title: String?, contentHash: String, pageModified: String?,
                httpLastModified: String?, etag: String?, bytes: Int, finalURL: String? = nil) {
        self.url = url
        self.finalURL = finalURL
        self.fetchedAt = fetchedAt
        self.title = title
        self.contentHash = contentHash
        self.pageModified = pageModified
        self.httpLastModified = httpLastModified
        self.etag = etag
        self.bytes = bytes
    }
}

/// What happened when a linked document was requested.
public enum TBSLinkStatus: String, Sendable, Codable, Hashable {
    case ok
    case notFound = "not_found"
    case failed
    /// Not requested: another host, a column that is not crawled, robots.txt, or too deep.
    case notFollowed = "not_followed"
    /// The fragment the link names does not exist in the document.
    case fragmentMissing = "fragment_missing"
}

/// The text of one fragment (section) of a linked document.
public struct TBSSection: Sendable, Codable, Hashable {
    /// The fragment (`def-ai-nop`); empty for a whole document linked without a fragment.
    public var fragment: String
    /// The section's heading text.
    public var heading: String?
    /// The section's text, blocks separated by newlines.
    public var text: String
    /// How the text was taken out of the page (for provenance).
    public var method: String
    /// Links inside the section (absolute canonical URLs): the second crawl level.
    public var links: [String]

    public init(fragment: String, heading: String?, text: String, method: String, links: [String]) {
        self.fragment = fragment
        self.heading = heading
        self.text = text
        self.method = method
        self.links = links
    }
}

/// What a page is to the crawler.
public enum TBSPageRole: String, Sendable, Codable, Hashable {
    /// The occupational groups page itself.
    case table
    /// A document linked from the table (depth 1) or from a linked section (depth 2).
    case document
}

/// What happened to one URL during a scrape.
public enum TBSFetchResult: String, Sendable, Codable, Hashable {
    /// 200 with a body (the store decides whether it is a new version).
    case fetched
    /// 304: the stored version is current.
    case notModified = "not_modified"
    case notFound = "not_found"
    case failed
    case notFollowed = "not_followed"
}

/// One URL of a scrape, with what was read from it.
public struct TBSFetchedPage: Sendable {
    /// Canonical URL, no fragment.
    public var url: String
    public var language: TBSLanguage?
    public var role: TBSPageRole
    /// 0 for the table page, 1 for documents it links, 2 for documents those sections link.
    public var depth: Int
    public var result: TBSFetchResult
    public var httpStatus: Int?
    public var reason: String?
    /// Set when a body was read (fetched, or a 304 re-read from the store).
    public var provenance: TBSPageProvenance?
    /// The body, when fetched (kept so a version can be re-read and audited).
    public var body: Data?
    /// How the rows or sections were extracted from the page.
    public var extractionMethod: String?
    public var rows: [TBSRow]
    public var sections: [TBSSection]
    /// When the request was made.
    public var checkedAt: Date
    /// Body bytes transferred for this URL (0 for a 304).
    public var bytesTransferred: Int

    public init(url: String, language: TBSLanguage?, role: TBSPageRole, depth: Int, result: TBSFetchResult,
                httpStatus: Int? = nil, reason: String? = nil, provenance: TBSPageProvenance? = nil, body: Data? = nil,
                extractionMethod: String? = nil, rows: [TBSRow] = [], sections: [TBSSection] = [],
                checkedAt: Date, bytesTransferred: Int = 0) {
        self.url = url
        self.language = language
        self.role = role
        self.depth = depth
        self.result = result
        self.httpStatus = httpStatus
        self.reason = reason
        self.provenance = provenance
        self.body = body
        self.extractionMethod = extractionMethod
        self.rows = rows
        self.sections = sections
        self.checkedAt = checkedAt
        self.bytesTransferred = bytesTransferred
    }
}

/// The status of one link (URL with fragment) after a scrape.
public struct TBSLinkCheck: Sendable, Codable, Hashable {
    public var url: String
    public var documentURL: String
    public var fragment: String?
    public var status: TBSLinkStatus
    public var reason: String?
    public var httpStatus: Int?

    public init(url: String, documentURL: String, fragment: String?, status: TBSLinkStatus, reason: String?, httpStatus: Int?) {
        self.url = url
        self.documentURL = documentURL
        self.fragment = fragment
        self.status = status
        self.reason = reason
        self.httpStatus = httpStatus
    }
}

/// A whole scrape, written to the store in one transaction.
/// What a scrape did: fetch everything, or re-check with conditional requests.
public enum TBSScrapeKind: String, Sendable, Codable, Hashable, CaseIterable {
    case scrape
    case refresh
}

public struct TBSScrapeRecord: Sendable {
    public var kind: TBSScrapeKind
    public var startedAt: Date
    public var finishedAt: Date
    public var languages: [TBSLanguage]
    /// The host actually contacted (canada.ca, or a mirror / test server).
    public var fetchedFrom: String
    public var userAgent: String
    public var requests: Int
    public var bytesReceived: Int
    public var pages: [TBSFetchedPage]
    public var links: [TBSLinkCheck]
    /// Languages asked for whose table page could not be read; `languages` are those stored.
    public var failures: [TBSLanguageFailure]

    public init(kind: TBSScrapeKind, startedAt: Date, finishedAt: Date, languages: [TBSLanguage], fetchedFrom: String,
                userAgent: String, requests: Int, bytesReceived: Int, pages: [TBSFetchedPage], links: [TBSLinkCheck],
                failures: [TBSLanguageFailure] = []) {
        self.failures = failures
        self.kind = kind
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.languages = languages
        self.fetchedFrom = fetchedFrom
        self.userAgent = userAgent
        self.requests = requests
        self.bytesReceived = bytesReceived
        self.pages = pages
        self.links = links
    }
}

/// A stored version of a page: its provenance and what it is.
public struct TBSPageVersion: Sendable, Codable, Hashable {
    public var id: Int64
    public var role: TBSPageRole
    public var language: TBSLanguage?
    public var provenance: TBSPageProvenance
    public var extractionMethod: String?
    public var scrapeID: Int64

    public init(id: Int64, role: TBSPageRole, language: TBSLanguage?, provenance: TBSPageProvenance,
                extractionMethod: String?, scrapeID: Int64) {
        self.id = id
        self.role = role
        self.language = language
        self.provenance = provenance
        self.extractionMethod = extractionMethod
        self.scrapeID = scrapeID
    }
}

/// What a saved scrape changed.
public struct TBSScrapeSummary: Sendable, Codable, Hashable {
    public var scrapeID: Int64
    public var newVersions: Int
    public var unchangedPages: Int
    public var notModifiedPages: Int
    public var notFound: Int
    public var failed: Int
    public var notFollowed: Int
    public var rowsStored: Int
    public var sectionsStored: Int

    public init(scrapeID: Int64, newVersions: Int, unchangedPages: Int, notModifiedPages: Int, notFound: Int,
                failed: Int, notFollowed: Int, rowsStored: Int, sectionsStored: Int) {
        self.scrapeID = scrapeID
        self.newVersions = newVersions
        self.unchangedPages = unchangedPages
        self.notModifiedPages = notModifiedPages
        self.notFound = notFound
        self.failed = failed
        self.notFollowed = notFollowed
        self.rowsStored = rowsStored
        self.sectionsStored = sectionsStored
    }
}
