import Foundation
import GRDB
import JobForgeCore
import JobForgeStore

/// The published model read from a store, until the store declares its own: descriptors,
/// subjects and every cell's winner with its provenance.
///
/// ```swift
/// let model = StoreModel(store: try SQLiteStore(path: "jobforge.sqlite", schemas: schemas, mode: .readOnly),
///                        labels: try SubjectDirectory(store).labels())
/// ```
public struct StoreModel: PublicationSource {
    public let store: SQLiteStore
    public let labels: [Subject: String]

    public init(store: SQLiteStore, labels: [Subject: String]) {
        self.store = store
        self.labels = labels
    }

    static let descriptor = PublicationTable(
        name: "dim_descriptor",
        columns: [.init("descriptor_code", .text), .init("name", .text), .init("category", .text),
                  .init("parent_code", .text, nullable: true), .init("definition", .text), .init("guide_order", .integer)],
        primaryKey: ["descriptor_code"],
        indexes: [["category"]])

    static let subject = PublicationTable(
        name: "dim_subject",
        columns: [.init("subject_kind", .text), .init("subject_code", .text), .init("label", .text, nullable: true)],
        primaryKey: ["subject_kind", "subject_code"],
        indexes: [["subject_code"]],
        subjectColumns: ["subject_kind", "subject_code"])

    static let cell = PublicationTable(
        name: "fact_cell",
        columns: [.init("subject_kind", .text), .init("subject_code", .text), .init("descriptor_code", .text),
                  .init("dimension", .text), .init("value", .double), .init("value_text", .text, nullable: true),
                  .init("scale", .text, nullable: true), .init("source", .text), .init("precedence", .integer),
                  .init("method", .text), .init("source_level", .text), .init("confidence", .double),
                  .init("release", .text, nullable: true), .init("observed_at", .timestamp), .init("run_id", .text)],
        primaryKey: ["subject_kind", "subject_code", "descriptor_code", "dimension"],
        // Power BI joins cells to dim_descriptor by descriptor_code and to dim_subject by subject.
        indexes: [["descriptor_code"], ["subject_code"]],
        subjectColumns: ["subject_kind", "subject_code"])

    public var relations: [PublicationTable] { [Self.descriptor, Self.subject, Self.cell] }

    /// Changes with every run that wrote to the store (each writer records one) and with every
    /// committed build step: a store no run has touched since the last publish is unchanged.
    public func generation() throws -> String {
        try store.dbQueue.read { db in try Self.generation(db) }
    }

    static func generation(_ db: Database) throws -> String {
        let runs = try String.fetchOne(db, sql: """
            SELECT COUNT(*) || '|' || COALESCE(MAX(started_at), '') || '|' || COALESCE(MAX(finished_at), '') FROM run
            """) ?? ""
        let steps = try String.fetchAll(db, sql: "SELECT name || ':' || fingerprint || ':' || completed_at FROM step ORDER BY name")
        let text = runs + "|" + steps.joined(separator: "|")
        return SHA256.hex(Data(text.utf8))
    }

    /// One read transaction: the generation, the descriptors, and one pass over the winning
    /// cells that writes fact_cell and, at each new subject, its dim_subject row.
    public func read(into rows: [PublicationRows]) throws -> String {
        let byName = Dictionary(rows.map { ($0.relation.name, $0) }, uniquingKeysWith: { first, _ in first })
        return try store.dbQueue.read { db in
            if db.isInsideTransaction { return try read(db, byName) }
            var generation = ""
            try db.inTransaction(.deferred) {
                generation = try read(db, byName)
                return .commit
            }
            return generation
        }
    }

    private func read(_ db: Database, _ rows: [String: PublicationRows]) throws -> String {
        let generation = try Self.generation(db)
        if let out = rows[Self.descriptor.name] {
            for info in try SQLiteStore.descriptors(category: nil, in: db) {
                let descriptor = info.descriptor
                out.beginRow(subject: "")
                out.text(descriptor.code); out.text(descriptor.name); out.text(descriptor.category.rawValue)
                out.text(descriptor.parent); out.text(descriptor.definition); out.integer(Int64(descriptor.sortKey))
                out.endRow()
            }
        }
        let subjects = rows[Self.subject.name], cells = rows[Self.cell.name]
        if subjects != nil || cells != nil {
            var last: Subject?
            var key = ""
            try SQLiteStore.forEachWinner(db, filter: CellFilter()) { cell in
                if cell.subject != last {
                    last = cell.subject
                    key = Self.key(cell.subject)
                    if let subjects {
                        subjects.beginRow(subject: key)
                        subjects.text(cell.subject.kind.rawValue); subjects.text(cell.subject.code); subjects.text(labels[cell.subject])
                        subjects.endRow()
                    }
                }
                guard let cells else { return }
                cells.beginRow(subject: key)
                cells.text(cell.subject.kind.rawValue); cells.text(cell.subject.code); cells.text(cell.descriptorCode)
                cells.text(cell.dimension.rawValue); cells.double(cell.value); cells.text(cell.text); cells.text(cell.scale)
                cells.text(cell.source.rawValue); cells.integer(Int64(cell.precedence)); cells.text(cell.method.rawValue)
                cells.text(cell.sourceLevel.rawValue); cells.double(cell.confidence); cells.text(cell.release)
                cells.timestamp(Timestamp.string(cell.observedAt)); cells.text(cell.runID)
                cells.endRow()
            }
        }
        for relation in rows.values { relation.finish() }
        return generation
    }

    static func key(_ subject: Subject) -> String { subject.kind.rawValue + "\t" + subject.code }
}
