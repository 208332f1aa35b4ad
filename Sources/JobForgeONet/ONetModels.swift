import Foundation
import JobForgeCore

/// The O*NET rating files JobForge reads, by the name of the text release's file and the
/// Web Services `database/rows/{table}` id.
public enum ONetRatingTable: String, Sendable, Codable, CaseIterable {
    case skills
    case knowledge
    case abilities
    case workActivities = "work_activities"
    case workContext = "work_context"

    /// The file of the text release (`Work Activities.txt`).
    public var fileName: String {
        switch self {
        case .skills: "Skills.txt"
        case .knowledge: "Knowledge.txt"
        case .abilities: "Abilities.txt"
        case .workActivities: "Work Activities.txt"
        case .workContext: "Work Context.txt"
        }
    }

    /// The OaSIS / O*NET category name (`Work Activities`).
    public var categoryName: String {
        switch self {
        case .skills: "Skills"
        case .knowledge: "Knowledge"
        case .abilities: "Abilities"
        case .workActivities: "Work Activities"
        case .workContext: "Work Context"
        }
    }
}

/// One row of an O*NET rating file: an element of one occupation on one scale.
/// `nil` stands for O*NET's `n/a` (an empty value), never for zero.
public struct ONetRating: Sendable, Codable, Equatable {
    public var table: ONetRatingTable
    /// O*NET-SOC code, `15-1252.00`.
    public var soc: String
    /// Content-model element id, `2.A.1.a`.
    public var elementID: String
    public var elementName: String
    /// `IM` importance 1-5, `LV` level 0-7, `CX`/`CXP`/`CT`/`CTP` work context.
    public var scaleID: String
    /// Work Context's response category (`CXP` / `CTP` rows); 0 when the file has none.
    public var category: Int
    public var value: Double?
    public var n: Int?
    public var standardError: Double?
    public var lowerCI: Double?
    public var upperCI: Double?
    /// `Recommend Suppress = Y`: O*NET advises not to use the value (small sample, large error).
    public var recommendSuppress: Bool?
    /// `Not Relevant = Y` (LV rows): the element was rated not relevant for the occupation.
    public var notRelevant: Bool?
    /// `MM/YYYY` as O*NET writes it.
    public var date: String?
    /// `Analyst`, `Incumbent`, `Analyst - Transition`, ...
    public var domainSource: String?

    public init(table: ONetRatingTable, soc: String, elementID: String, elementName: String, scaleID: String,
                category: Int = 0, value: Double?, n: Int? = nil, standardError: Double? = nil,
                lowerCI: Double? = nil, upperCI: Double? = nil, recommendSuppress: Bool? = nil,
                notRelevant: Bool? = nil, date: String? = nil, domainSource: String? = nil) {
        self.table = table
        self.soc = soc
        self.elementID = elementID
        self.elementName = elementName
        self.scaleID = scaleID
        self.category = category
        self.value = value
        self.n = n
        self.standardError = standardError
        self.lowerCI = lowerCI
        self.upperCI = upperCI
        self.recommendSuppress = recommendSuppress
        self.notRelevant = notRelevant
        self.date = date
        self.domainSource = domainSource
    }
}

/// An O*NET-SOC occupation from `Occupation Data.txt`.
public struct ONetOccupation: Sendable, Codable, Equatable {
    public var code: String
    public var title: String
    public var description: String

    public init(code: String, title: String, description: String) {
        self.code = code
        self.title = title
        self.description = description
    }
}

/// One NOC 2021 unit group <-> O*NET-SOC pair of the crosswalk (normalized, distinct).
public struct CrosswalkPair: Sendable, Codable, Equatable, Hashable {
    public var unitGroup: String
    public var soc: String
    /// The NOC title as the crosswalk file writes it.
    public var nocTitle: String
    /// The O*NET title as the crosswalk file writes it (sometimes a 2010-era title: display
    /// titles come from `Occupation Data.txt`).
    public var crosswalkONetTitle: String

    public init(unitGroup: String, soc: String, nocTitle: String, crosswalkONetTitle: String) {
        self.unitGroup = unitGroup
        self.soc = soc
        self.nocTitle = nocTitle
        self.crosswalkONetTitle = crosswalkONetTitle
    }
}

/// How an O*NET element was matched to an OaSIS descriptor in the reviewed mapping table.
public enum ONetMatchKind: String, Sendable, Codable, CaseIterable {
    case exact
    case normalized
    case manual
    /// No OaSIS twin: the element is an O*NET-only descriptor (`ONET:2.A.1.f`).
    case none
}

/// A row of `data/mappings/onet_oasis_descriptors.csv`.
public struct ONetElementMapping: Sendable, Codable, Equatable {
    public var elementID: String
    public var elementName: String
    public var onetCategory: Category
    public var oasisCode: String?
    public var oasisName: String?
    public var oasisCategory: String?
    public var matchKind: ONetMatchKind
    public var note: String

    public init(elementID: String, elementName: String, onetCategory: Category, oasisCode: String?, oasisName: String?,
                oasisCategory: String?, matchKind: ONetMatchKind, note: String) {
        self.elementID = elementID
        self.elementName = elementName
        self.onetCategory = onetCategory
        self.oasisCode = oasisCode
        self.oasisName = oasisName
        self.oasisCategory = oasisCategory
        self.matchKind = matchKind
        self.note = note
    }

    /// The descriptor code the element's values are stored under: the OaSIS code when mapped,
    /// else `ONET:<element id>`.
    public var descriptorCode: String { oasisCode ?? ONetElementMapping.onetOnlyCode(elementID) }

    public static let onetOnlyPrefix = "ONET:"
    public static func onetOnlyCode(_ elementID: String) -> String { onetOnlyPrefix + elementID }
}

/// "This O*NET-SOC code has no data of this kind": a 422 from Web Services or a code that the
/// database release does not rate. Recorded so that nobody asks again and the LLM tier knows.
public struct ONetNoDataRecord: Sendable, Codable, Equatable {
    public var soc: String
    public var table: ONetRatingTable
    public var reason: String
    public var recordedAt: Date

    public init(soc: String, table: ONetRatingTable, reason: String, recordedAt: Date) {
        self.soc = soc
        self.table = table
        self.reason = reason
        self.recordedAt = recordedAt
    }
}

/// A NOC unit group for which O*NET offers nothing, with the reason, shown to users and read by
/// the LLM tier ("no O*NET data: ask").
public struct ONetUnitGroupGap: Sendable, Codable, Equatable {
    public var unitGroup: String
    /// The crosswalked O*NET-SOC codes (empty when the crosswalk has none).
    public var socCodes: [String]
    public var reason: String

    public init(unitGroup: String, socCodes: [String], reason: String) {
        self.unitGroup = unitGroup
        self.socCodes = socCodes
        self.reason = reason
    }
}

/// Where an O*NET release was read from.
public enum ONetReleaseOrigin: String, Sendable, Codable, Hashable, CaseIterable {
    /// O*NET's database files (a release folder or zip).
    case database
    /// The Web Services API.
    case webServices = "web_services"
}

/// An O*NET release loaded into the store (database files or Web Services).
public struct ONetReleaseInfo: Sendable, Codable, Equatable {
    /// `O*NET 29.3`.
    public var name: String
    public var origin: ONetReleaseOrigin
    /// SHA-256 over the files read (database) or the base URL (Web Services).
    public var fingerprint: String
    public var location: String
    public var loadedAt: Date
    public var ratings: Int

    public init(name: String, origin: ONetReleaseOrigin, fingerprint: String, location: String, loadedAt: Date, ratings: Int) {
        self.name = name
        self.origin = origin
        self.fingerprint = fingerprint
        self.location = location
        self.loadedAt = loadedAt
        self.ratings = ratings
    }
}
