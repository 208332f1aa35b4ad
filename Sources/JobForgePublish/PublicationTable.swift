import Foundation

/// A column's type in PostgreSQL, from the declared SQLite type, chosen so that Power BI and
/// Tableau read it typed: codes stay `text` (`00010` keeps its zeros), values are
/// `double precision`, counts and ids `bigint`.
public enum PublicationType: String, Sendable {
    case text
    case integer = "bigint"
    case double = "double precision"

    /// `TEXT`, `REAL`, `INTEGER` as `PublishedColumn.sqlType` declares them; nil for another type.
    public init?(sqlType: String) {
        switch sqlType.uppercased() {
        case "TEXT": self = .text
        case "REAL": self = .double
        case "INTEGER": self = .integer
        default: return nil
        }
    }
}

/// One column of a published relation.
public struct PublicationColumn: Sendable, Equatable {
    public var name: String
    public var type: PublicationType
    public var nullable: Bool

    public init(_ name: String, _ type: PublicationType, nullable: Bool = true) {
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
    /// The subjects this reading covers, nil for all: a subject of the scope with no rows
    /// read has none left (it was removed); subjects outside it are as published.
    private(set) var scope: Set<String>?

    private var current: String?
    /// `current`'s UTF-8 bytes.
    private var currentKey: [UInt8] = []
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
            currentKey = Array(subject.utf8)
            runStart = bytes.count
        }
        fields = 0
    }

    /// `beginRow(subject:)` with the key's UTF-8 bytes, as read from SQLite: a String is made
    /// only when the subject changes, not for each of a million rows.
    public func beginRow(subjectKey key: UnsafeBufferPointer<UInt8>) {
        if current == nil || !currentKey.elementsEqual(key) {
            beginRow(subject: String(decoding: key, as: UTF8.self))
        }
        fields = 0
    }

    /// Says that only the rows of `subjects` are read (an incremental publish).
    public func limit(to subjects: Set<String>) { scope = subjects }

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
        guard var value else { return null() }
        value.withUTF8 { text($0) }
    }

    /// UTF-8 text straight from SQLite, escaped as `text(_:)` does.
    public func text(_ utf8: UnsafeBufferPointer<UInt8>) {
        separate()
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

    public func integer(_ value: Int64) {
        separate()
        // Flags and precedences, one per row: a single digit goes in without a String.
        if (0..<10).contains(value) { return bytes.append(0x30 + UInt8(value)) }
        bytes.append(contentsOf: String(value).utf8)
    }

    public func double(_ value: Double?) {
        guard let value else { return null() }
        separate()
        let text = value.isFinite ? value.description : value.isNaN ? "NaN" : value > 0 ? "Infinity" : "-Infinity"
        bytes.append(contentsOf: text.utf8)
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
/// let model = try StoreModel(store: store, declared: PublishedModel.relations + TitlesSchema.publishedRelations)
/// let generation = try model.generation()          // same text as published: nothing to do
/// let rows = model.relations.map(PublicationRows.init)
/// let read = try model.read(into: rows, since: lastPublished)   // the generation of what was read
/// ```
public protocol PublicationSource: Sendable {
    var relations: [PublicationTable] { get }
    /// Equal to the generation of a previous publication only when nothing has changed since.
    func generation() throws -> String
    /// Reads the relations' rows into `rows` (one per relation, in `relations`' order) and
    /// returns the generation of what it read, all from one snapshot of the store. With
    /// `since` (the generation last published) it may read only the subjects changed since,
    /// each `rows` then limited to them (`PublicationRows.scope`).
    func read(into rows: [PublicationRows], since: String?) throws -> String
}
