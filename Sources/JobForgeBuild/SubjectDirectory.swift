import Foundation
import JobForgeCore
import JobForgeStore
import JobForgeTitles

/// Subjects as a user names them, with their headings and labels: unit groups and profiles are
/// the engine's (the store's reference tables), job titles the Titles source's (`TitleCatalog`).
///
/// ```swift
/// let directory = SubjectDirectory(store)
/// if let subject = try directory.subject(named: "JA-0002"), let header = try directory.header(of: subject) {
///     print(header.label)    // the title, its profile's lead statement in header.leadStatement
/// }
/// ```
public struct SubjectDirectory: Sendable {
    public let store: SQLiteStore
    public init(_ store: SQLiteStore) { self.store = store }

    /// A unit group (`21211`), a profile (`21211.00`), or a job title by id or exact title.
    public func subject(named text: String) throws -> Subject? {
        if let subject = try store.resolveSubject(text) { return subject }
        return try TitleCatalog(store).titleID(matching: text).map(Subject.title)
    }

    /// The heading `show` and `explain` print.
    public func header(of subject: Subject) throws -> SubjectHeader? {
        subject.kind == .title ? try TitleCatalog(store).header(id: subject.code) : try store.subjectHeader(subject)
    }

    /// A readable label for every subject: unit group titles, profile labels, job titles.
    public func labels() throws -> [Subject: String] {
        try store.subjectLabels().merging(try TitleCatalog(store).labels()) { engine, _ in engine }
    }
}
