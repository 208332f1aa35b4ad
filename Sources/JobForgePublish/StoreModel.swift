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
        try store.dbQueue.read { db in
            let runs = try String.fetchOne(db, sql: """
                SELECT COUNT(*) || '|' || COALESCE(MAX(started_at), '') || '|' || COALESCE(MAX(finished_at), '') FROM run
                """) ?? ""
            let steps = try String.fetchAll(db, sql: "SELECT name || ':' || fingerprint || ':' || completed_at FROM step ORDER BY name")
            let text = runs + "|" + steps.joined(separator: "|")
            return SHA256.hex(Data(text.utf8))
        }
    }

    public func forEachRow(of relation: PublicationTable, _ body: (String, [PublicationValue]) throws -> Void) throws {
        switch relation.name {
        case Self.descriptor.name:
            for info in try store.descriptors(category: nil) {
                let descriptor = info.descriptor
                try body("", [.text(descriptor.code), .text(descriptor.name), .text(descriptor.category.rawValue),
                              .text(descriptor.parent), .text(descriptor.definition), .integer(Int64(descriptor.sortKey))])
            }
        case Self.subject.name:
            var seen = Set<Subject>()
            try store.forEachWinner(filter: CellFilter()) { cell in
                guard seen.insert(cell.subject).inserted else { return }
                try body(Self.key(cell.subject), [.text(cell.subject.kind.rawValue), .text(cell.subject.code), .text(labels[cell.subject])])
            }
        case Self.cell.name:
            try store.forEachWinner(filter: CellFilter()) { cell in
                try body(Self.key(cell.subject), [
                    .text(cell.subject.kind.rawValue), .text(cell.subject.code), .text(cell.descriptorCode),
                    .text(cell.dimension.rawValue), .double(cell.value), .text(cell.text), .text(cell.scale),
                    .text(cell.source.rawValue), .integer(Int64(cell.precedence)), .text(cell.method.rawValue),
                    .text(cell.sourceLevel.rawValue), .double(cell.confidence), .text(cell.release),
                    .timestamp(Timestamp.string(cell.observedAt)), .text(cell.runID),
                ])
            }
        default:
            return
        }
    }

    static func key(_ subject: Subject) -> String { subject.kind.rawValue + "\t" + subject.code }
}
