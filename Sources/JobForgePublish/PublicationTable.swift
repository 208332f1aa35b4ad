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

/// The rows of one relation as a publish reads them: COPY's text format written straight into
/// one buffer, and per subject where its rows lie, how many there are and their hash.
///
/// ```swift
/// rows.beginRow(subject: "profile\t21211.00")
/// rows.text("21211.00"); rows.double(3.5); rows.text(nil)      // nil is NULL
/// rows.endRow()
/// ```
///
/// Rows of one subject are expected together (a subject met again later still counts: its
/// ranges and hash continue).
public final class PublicationRows: @unchecked Sendable {
    public let relation: PublicationTable

    struct SubjectRows {
        var ranges: [Range<Int>] = []
        var rows = 0
        var hash: UInt64 = PublicationRows.hashSeed
    }

    /// Every row's COPY text, in reading order.
    private(set) var bytes: [UInt8] = []
    private(set) var subjects: [String: SubjectRows] = [:]
    /// Subjects in the order first read.
    private(set) var order: [String] = []
    private(set) var rowCount = 0

    private var current: String?
    private var runStart = 0
    private var runRows = 0
    private var fields = 0

    public init(relation: PublicationTable) {
        self.relation = relation
        bytes.reserveCapacity(1 << 20)
    }

    /// Starts a row of `subject`: the relation's subject columns' values joined by tabs, "" for
    /// a relation without subject columns.
    public func beginRow(subject: String) {
        if subject != current {
            closeRun()
            current = subject
            runStart = bytes.count
        }
        fields = 0
    }

    public func endRow() {
        bytes.append(0x0A)
        runRows += 1
        rowCount += 1
    }

    @inline(__always) private func separate() {
        if fields > 0 { bytes.append(0x09) }
        fields += 1
    }

    public func null() {
        separate()
        bytes.append(0x5C); bytes.append(0x4E)
    }

    /// Text with backslash, tab, newline and carriage return escaped; nil is NULL.
    public func text(_ value: String?) {
        guard let value else { return null() }
        separate()
        var utf8Text = value
        utf8Text.withUTF8 { utf8 in
            var start = 0
            for index in 0..<utf8.count {
                let escaped: UInt8
                switch utf8[index] {
                case 0x5C: escaped = 0x5C
                case 0x09: escaped = 0x74
                case 0x0A: escaped = 0x6E
                case 0x0D: escaped = 0x72
                default: continue
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                bytes.append(0x5C); bytes.append(escaped)
                start = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
    }

    /// An instant, as ISO 8601 UTC text.
    public func timestamp(_ value: String) { text(value) }

    public func integer(_ value: Int64) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
    }

    public func double(_ value: Double?) {
        guard let value else { return null() }
        separate()
        let text = value.isFinite ? value.description : value.isNaN ? "NaN" : value > 0 ? "Infinity" : "-Infinity"
        bytes.append(contentsOf: text.utf8)
    }

    public func boolean(_ value: Bool) {
        separate()
        bytes.append(value ? 0x74 : 0x66)
    }

    /// Ends the reading: the last subject's rows are counted and hashed.
    func finish() {
        closeRun()
        current = nil
    }

    private func closeRun() {
        guard let key = current, bytes.count > runStart else { return }
        let range = runStart..<bytes.count
        if subjects[key] == nil {
            subjects[key] = SubjectRows()
            order.append(key)
        }
        subjects[key]!.ranges.append(range)
        subjects[key]!.rows += runRows
        let seed = subjects[key]!.hash
        let hash = bytes.withUnsafeBufferPointer { Self.hash(UnsafeBufferPointer(rebasing: $0[range]), from: seed) }
        subjects[key]!.hash = hash
        runRows = 0
        runStart = bytes.count
    }

    static let hashSeed: UInt64 = 0xcbf2_9ce4_8422_2325

    /// FNV-1a, 64 bits, continued from `hash`: a change detector for one subject's rows, not a
    /// defence against forgery.
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>, from hash: UInt64) -> UInt64 {
        var hash = hash
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }
}

/// What `jobforge publish` reads: the relations of the published model, their rows, and a
/// generation that changes whenever the model's content may have.
///
/// ```swift
/// let model = StoreModel(store: store, labels: labels)
/// let generation = try model.generation()          // same text as published: nothing to do
/// let rows = model.relations.map(PublicationRows.init)
/// let read = try model.read(into: rows)            // the generation of what was read
/// ```
public protocol PublicationSource: Sendable {
    var relations: [PublicationTable] { get }
    /// Equal to the generation of a previous publication only when nothing has changed since.
    func generation() throws -> String
    /// Reads every relation's rows into `rows` (one per relation, in `relations`' order) and
    /// returns the generation of what it read, all from one snapshot of the store.
    func read(into rows: [PublicationRows]) throws -> String
}
