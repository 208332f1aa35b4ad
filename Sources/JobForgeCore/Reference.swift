import Foundation

/// A class of the NOC 2021 structure, levels 1 (broad category) to 5 (unit group).
public struct NOCClass: Sendable, Codable, Equatable {
    public var code: String
    public var level: Int
    public var hierarchy: String
    public var title: String
    public var definition: String
    public var parent: String?

    public init(code: String, level: Int, hierarchy: String, title: String, definition: String, parent: String?) {
        self.code = code
        self.level = level
        self.hierarchy = hierarchy
        self.title = title
        self.definition = definition
        self.parent = parent
    }
}

/// An OaSIS profile (L6): `21211.00`, a refinement of a NOC unit group.
public struct Profile: Sendable, Codable, Equatable {
    public var code: String
    public var unitGroup: String
    public var label: String
    public var leadStatement: String?

    public init(code: String, unitGroup: String, label: String, leadStatement: String?) {
        self.code = code
        self.unitGroup = unitGroup
        self.label = label
        self.leadStatement = leadStatement
    }
}

/// A text attached to a profile: an example title, a main duty, an employment requirement, ...
public struct ProfileText: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case exampleTitle = "example_title"
        case mainDuty = "main_duty"
        case employmentRequirement = "employment_requirement"
        case exclusion
        case workplace
        case additionalInformation = "additional_information"
    }

    public var profileCode: String
    public var kind: Kind
    public var seq: Int
    public var text: String
    /// The example title's type (`Example`, `Index`, `Inclusion`).
    public var qualifier: String?
    /// A code the text refers to: the excluded profile, the example title's concordance number.
    public var reference: String?

    public init(profileCode: String, kind: Kind, seq: Int, text: String, qualifier: String? = nil, reference: String? = nil) {
        self.profileCode = profileCode
        self.kind = kind
        self.seq = seq
        self.text = text
        self.qualifier = qualifier
        self.reference = reference
    }
}

/// The categories of the OaSIS guide, in the order `show` prints them.
public enum Category: String, Sendable, Codable, CaseIterable {
    case skills = "Skills"
    case abilities = "Abilities"
    case personalAttributes = "Personal Attributes"
    case knowledge = "Knowledge"
    case workActivities = "Work Activities"
    case workContext = "Work Context"
    case interests = "Interests"

    /// Accepts `skills`, `work-context`, `Work Context`, `work_activities`, ...
    public init?(userInput: String) {
        let key = userInput.lowercased().filter(\.isLetter)
        guard let match = Category.allCases.first(where: { $0.rawValue.lowercased().filter(\.isLetter) == key }) else {
            return nil
        }
        self = match
    }

    /// A short file-name-friendly key: `work_context`.
    public var slug: String { rawValue.lowercased().replacingOccurrences(of: " ", with: "_") }
}

/// Where a row of the guide's hierarchy stands: only `descriptor` rows carry values.
public enum StructureType: String, Sendable, Codable, CaseIterable {
    case category = "Category"
    case subCategory = "Sub-Category"
    case similarityGroup = "Similarity Group"
    case descriptor = "Descriptor"
}

/// Who declared a descriptor: the OaSIS guide, or O*NET for an element with no OaSIS twin.
public enum DescriptorOrigin: String, Sendable, Codable, CaseIterable {
    case oasis
    case onet
}

/// The source a release record belongs to.
public enum ReleaseSource: String, Sendable, Codable, CaseIterable {
    case noc
    case oasis
    case onet
}

/// A descriptor of the OaSIS guide (`A01a02` Categorization Flexibility), or an O*NET-only element.
public struct Descriptor: Sendable, Codable, Equatable {
    public var code: String
    public var name: String
    public var category: Category
    public var structureType: StructureType
    public var parent: String?
    public var definition: String
    public var origin: DescriptorOrigin
    /// The position in the guide, to print descriptors in the guide's order.
    public var sortKey: Int

    public init(code: String, name: String, category: Category, structureType: StructureType, parent: String?,
                definition: String, origin: DescriptorOrigin = .oasis, sortKey: Int = 0) {
        self.code = code
        self.name = name
        self.category = category
        self.structureType = structureType
        self.parent = parent
        self.definition = definition
        self.origin = origin
        self.sortKey = sortKey
    }
}

/// The scale a descriptor is rated on along one dimension (`proficiency level 1-5`).
public struct DescriptorScale: Sendable, Codable, Equatable {
    public var descriptorCode: String
    public var dimension: CellDimension
    public var minimum: Double
    public var maximum: Double
    public var label: String
    /// The value meaning "not applicable" (OaSIS `0`), outside the scale but a value all the same.
    public var notApplicable: Double?
    /// 1 for the descriptor's main measure, 2 for a second one (work context's `Time Pressure`
    /// is measured by frequency, then importance).
    public var position: Int

    public init(descriptorCode: String, dimension: CellDimension, minimum: Double, maximum: Double, label: String,
                notApplicable: Double? = nil, position: Int = 1) {
        self.position = position
        self.descriptorCode = descriptorCode
        self.dimension = dimension
        self.minimum = minimum
        self.maximum = maximum
        self.label = label
        self.notApplicable = notApplicable
    }

    /// Whether `value` may be stored on this scale (inside it, or the not-applicable value).
    public func accepts(_ value: Double) -> Bool {
        (value >= minimum && value <= maximum) || value == notApplicable
    }

    /// `proficiency level 1-5 (0 = not applicable)`.
    public var summary: String {
        var text = "\(label) \(Self.format(minimum))-\(Self.format(maximum))"
        if let notApplicable { text += " (\(Self.format(notApplicable)) = not applicable)" }
        return text
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// A file a release was read from, with its fingerprint.
public struct SourceFileRecord: Sendable, Codable, Equatable {
    public var path: String
    public var sha256: String
    public var records: Int

    public init(path: String, sha256: String, records: Int) {
        self.path = path
        self.sha256 = sha256
        self.records = records
    }
}

/// A release of a source (`OaSIS 2023 v1.0`), identified by the fingerprint of its files.
public struct ReleaseRecord: Sendable, Codable, Equatable {
    public var source: ReleaseSource
    public var name: String
    public var files: [SourceFileRecord]

    public init(source: ReleaseSource, name: String, files: [SourceFileRecord]) {
        self.source = source
        self.name = name
        self.files = files
    }

    /// SHA-256 over the files' names and hashes: a release loaded twice has the same fingerprint.
    public var fingerprint: String {
        SHA256.hex(files.map { "\(($0.path as NSString).lastPathComponent)=\($0.sha256)" }.sorted().joined(separator: "\n"))
    }
}
