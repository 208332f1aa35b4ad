import Foundation

/// A column's type in PostgreSQL, chosen so that Power BI and Tableau read it typed: codes stay
/// `text` (`00010` keeps its zeros), values are `double precision`.
public enum PublicationType: String, Sendable {
    case text
    case integer = "bigint"
    case double = "double precision"
    case boolean
    case timestamp = "timestamptz"
}

/// One column of a published relation.
public struct PublicationColumn: Sendable, Equatable {
    public var name: String
    public var type: PublicationType
    public var nullable: Bool

    public init(_ name: String, _ type: PublicationType, nullable: Bool = false) {
        self.name = name
        self.type = type
        self.nullable = nullable
    }
}

/// A table of the published model as PostgreSQL gets it: its columns, its key, the indexes for
/// the joins Power BI makes, and which columns say whose rows these are.
///
/// ```swift
/// PublicationTable(name: "fact_cell",
///                   columns: [.init("subject_code", .text), .init("descriptor_code", .text), ...],
///                   primaryKey: ["subject_kind", "subject_code", "descriptor_code", "dimension"],
///                   indexes: [["descriptor_code"]],
///                   subjectColumns: ["subject_kind", "subject_code"])
/// ```
///
/// A relation with `subjectColumns` is published subject by subject: a publish rewrites only
/// the rows of the subjects whose rows changed. One without them is rewritten whole when any
/// of its rows changed.
public struct PublicationTable: Sendable, Equatable {
    public var name: String
    public var columns: [PublicationColumn]
    public var primaryKey: [String]
    public var indexes: [[String]]
    public var subjectColumns: [String]

    public init(name: String, columns: [PublicationColumn], primaryKey: [String], indexes: [[String]] = [],
                subjectColumns: [String] = []) {
        self.name = name
        self.columns = columns
        self.primaryKey = primaryKey
        self.indexes = indexes
        self.subjectColumns = subjectColumns
    }

    /// A text that changes whenever the relation's shape does: a publication of another shape
    /// is replaced whole.
    var shapeText: String {
        name + "(" + columns.map { "\($0.name) \($0.type.rawValue)\($0.nullable ? "" : " not null")" }.joined(separator: ",")
            + ") key(" + primaryKey.joined(separator: ",") + ") index(" + indexes.map { $0.joined(separator: ",") }.joined(separator: ";")
            + ") subject(" + subjectColumns.joined(separator: ",") + ")"
    }
}

/// One field of a published row.
public enum PublicationValue: Sendable, Equatable {
    case text(String)
    case integer(Int64)
    case double(Double)
    case boolean(Bool)
    /// An instant, written as ISO 8601 UTC.
    case timestamp(String)
    case null

    public static func text(_ value: String?) -> PublicationValue { value.map(PublicationValue.text) ?? .null }
    public static func double(_ value: Double?) -> PublicationValue { value.map(PublicationValue.double) ?? .null }

    /// The field in COPY's text format: `\N` for null, backslash, tab, newline and carriage
    /// return escaped.
    func appendCopyText(to buffer: inout [UInt8]) {
        switch self {
        case .null: buffer.append(contentsOf: [0x5C, 0x4E])
        case .integer(let value): buffer.append(contentsOf: String(value).utf8)
        case .double(let value): buffer.append(contentsOf: (value.isFinite ? "\(value)" : value.isNaN ? "NaN" : value > 0 ? "Infinity" : "-Infinity").utf8)
        case .boolean(let value): buffer.append(value ? 0x74 : 0x66)
        case .text(let value), .timestamp(let value):
            for byte in value.utf8 {
                switch byte {
                case 0x5C: buffer.append(contentsOf: [0x5C, 0x5C])
                case 0x09: buffer.append(contentsOf: [0x5C, 0x74])
                case 0x0A: buffer.append(contentsOf: [0x5C, 0x6E])
                case 0x0D: buffer.append(contentsOf: [0x5C, 0x72])
                default: buffer.append(byte)
                }
            }
        }
    }
}

/// What `jobforge publish` reads: the relations of the published model, their rows, and a
/// generation that changes whenever the model's content may have.
///
/// ```swift
/// let model = try StoreModel(store: store, labels: labels)
/// let generation = try model.generation()          // same text: nothing to publish
/// try model.forEachRow(of: model.relations[0]) { subject, fields in ... }
/// ```
public protocol PublicationSource: Sendable {
    var relations: [PublicationTable] { get }
    /// Equal to the generation of a previous publication only when nothing has changed since.
    func generation() throws -> String
    /// Every row of `relation`, with the key of the subject it belongs to: its subject columns'
    /// values joined by tabs ("" for a relation without subject columns).
    func forEachRow(of relation: PublicationTable, _ body: (_ subject: String, _ fields: [PublicationValue]) throws -> Void) throws
}
