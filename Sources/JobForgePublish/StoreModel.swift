import Foundation
import GRDB
import GRDBSQLite
import JobForgeCore
import JobForgeStore

/// The store's published model (`docs/DATA-MODEL.md`) as `jobforge publish` reads it: the
/// relations named in ``tables``, with the columns and types their declarations give
/// (`PublishedModel.relations`, `TitlesSchema.publishedRelations`), read through the store's
/// views, and the change tracking (`model_state`, `model_change`, `model_title_change`) that
/// tells which subjects changed since a generation.
///
/// ```swift
/// let model = try StoreModel(store: store, declared: PublishedModel.relations + TitlesSchema.publishedRelations)
/// let generation = try model.generation()         // "20261207T050854Z-937daf:42": the store and its model_state
/// ```
public struct StoreModel: PublicationSource {
    /// How a declared relation becomes a PostgreSQL table: its key, and the indexes for the
    /// joins Power BI makes (fact_cell to dim_subject, dim_descriptor and dim_title).
    public struct TableChoice: Sendable {
        public var name: String
        /// False when the declared key may hold NULL (fact_candidate's `candidate_id` is NULL
        /// for a derived value): PostgreSQL's primary keys cannot.
        public var keyed: Bool
        public var indexes: [[String]]

        public init(_ name: String, keyed: Bool = true, indexes: [[String]]) {
            self.name = name
            self.keyed = keyed
            self.indexes = indexes
        }
    }

    /// The relations published, in writing order. title_coverage is not one: it is a count
    /// derived from fact_cell and dim_descriptor, which PostgreSQL answers from the published
    /// tables (docs/DATA-MODEL.md, query 3); the change-tracking relations are bookkeeping of
    /// the store, not data.
    public static let tables: [TableChoice] = [
        .init("dim_descriptor", indexes: [["category"]]),
        .init("dim_subject", indexes: [["subject_code"]]),
        .init("dim_title", indexes: [["profile_code"], ["unit_group_code"]]),
        .init("fact_cell", indexes: [["descriptor_code", "dimension"], ["subject_code"]]),
        .init("fact_candidate", keyed: false, indexes: [["subject_kind", "subject_code"], ["descriptor_code", "dimension"]]),
        .init("fact_override", indexes: [["subject_kind", "subject_code"]]),
    ]

    /// Past this many changed subjects a publish reads every row (one pass per relation) rather
    /// than each changed subject's rows (a few milliseconds per subject and relation).
    public static let incrementalLimit = 200

    public let store: SQLiteStore
    public let relations: [PublicationTable]

    /// `declared`: the published model's declarations, from the composition root; every
    /// relation of ``tables`` must be among them.
    public init(store: SQLiteStore, declared: [PublishedRelation]) throws {
        self.store = store
        self.relations = try Self.tables.map { choice in
            guard let relation = declared.first(where: { $0.name == choice.name }) else {
                throw MissingRelation(name: choice.name)
            }
            return try PublicationTable(relation, keyed: choice.keyed, indexes: choice.indexes)
        }
    }

    public struct MissingRelation: Error, CustomStringConvertible {
        public var name: String
        public var description: String { "the published model declares no relation \(name)" }
    }

    public struct UnknownType: Error, CustomStringConvertible {
        public var relation: String
        public var column: String
        public var sqlType: String
        public var description: String { "\(relation).\(column) is declared \(sqlType): publish knows TEXT, REAL and INTEGER" }
    }

    /// The store's identity (its first run) and its model's generation: equal to a previous
    /// publication's only when nothing published has changed since; another store (rebuilt
    /// from scratch) never matches.
    public func generation() throws -> String {
        try store.dbQueue.read { db in try Self.generation(db) }
    }

    static func generation(_ db: Database) throws -> String {
        let identity = try String.fetchOne(db, sql: "SELECT id FROM run ORDER BY rowid LIMIT 1") ?? "empty"
        let generation = try Int64.fetchOne(db, sql: "SELECT generation FROM model_state") ?? 0
        return "\(identity):\(generation)"
    }

    /// One read transaction: the generation, then, when `since` is a generation of this store
    /// and few subjects changed after it, those subjects' rows only; otherwise every row.
    public func read(into rows: [PublicationRows], since: String?) throws -> String {
        try store.dbQueue.read { db in
            if db.isInsideTransaction { return try read(db, rows, since: since) }
            var generation = ""
            try db.inTransaction(.deferred) {
                generation = try read(db, rows, since: since)
                return .commit
            }
            return generation
        }
    }

    private func read(_ db: Database, _ rows: [PublicationRows], since: String?) throws -> String {
        let generation = try Self.generation(db)
        let changed = try changedSubjects(db, since: since, now: generation)
        for out in rows {
            let relation = out.relation
            let columns = relation.columns.map { "\"\($0.name)\"" }.joined(separator: ", ")
            if let changed, let scope = Self.scope(of: relation, changed) {
                out.limit(to: Set(scope.map { $0.joined(separator: "\t") }))
                let match = relation.subjectColumns.map { "\"\($0)\" = ?" }.joined(separator: " AND ")
                let statement = try db.cachedStatement(sql: "SELECT \(columns) FROM \(relation.name) WHERE \(match)")
                for key in scope {
                    try statement.setArguments(StatementArguments(key))
                    try copy(statement, into: out)
                }
            } else {
                try copy(try db.makeStatement(sql: "SELECT \(columns) FROM \(relation.name)"), into: out)
            }
            out.finish()
        }
        return generation
    }

    /// The subjects (kind, code) whose rows changed after `since`, or nil when every row must
    /// be read: a first publish, another store, or too many changes.
    func changedSubjects(_ db: Database, since: String?, now: String) throws -> [[String]]? {
        guard let since, let colon = since.lastIndex(of: ":"), let last = Int64(since[since.index(after: colon)...]),
              let nowColon = now.lastIndex(of: ":"), since[..<colon] == now[..<nowColon] else { return nil }
        var subjects = Set<[String]>()
        for row in try Row.fetchAll(db, sql: "SELECT subject_kind, subject_code FROM model_change WHERE generation > ?",
                                    arguments: [last]) {
            subjects.insert([row[0], row[1]])
        }
        for title in try String.fetchAll(db, sql: "SELECT DISTINCT title_id FROM model_title_change WHERE generation > ?",
                                         arguments: [last]) {
            subjects.insert(["title", title])
        }
        return subjects.count > Self.incrementalLimit ? nil : subjects.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// The keys (values of the relation's subject columns) to read of `relation` for the changed
    /// subjects, or nil when the relation is read whole (it has no subject columns).
    static func scope(of relation: PublicationTable, _ changed: [[String]]) -> [[String]]? {
        switch relation.subjectColumns {
        case ["subject_kind", "subject_code"]: return changed
        case ["title_id"]: return changed.filter { $0[0] == "title" }.map { [$0[1]] }
        default: return nil
        }
    }

    /// Each row of `statement` as COPY text, its subject key the values of the relation's subject
    /// columns; straight from SQLite's C API (hundreds of thousands of rows).
    private func copy(_ statement: Statement, into out: PublicationRows) throws {
        let handle = statement.sqliteStatement
        let relation = out.relation
        let subjectIndexes = relation.subjectColumns.compactMap { name in relation.columns.firstIndex { $0.name == name } }
        let types = relation.columns.map(\.type)
        var key: [UInt8] = []
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else {
                let message = String(cString: sqlite3_errmsg(sqlite3_db_handle(handle)))
                sqlite3_reset(handle)
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
            }
            key.removeAll(keepingCapacity: true)
            for (position, index) in subjectIndexes.enumerated() {
                if position > 0 { key.append(0x09) }
                if let text = sqlite3_column_text(handle, Int32(index)) {
                    key.append(contentsOf: UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(handle, Int32(index)))))
                }
            }
            out.beginRow(subject: String(decoding: key, as: UTF8.self))
            for (index, type) in types.enumerated() {
                let column = Int32(index)
                if sqlite3_column_type(handle, column) == SQLITE_NULL {
                    out.null()
                    continue
                }
                switch type {
                case .text:
                    let text = sqlite3_column_text(handle, column)
                    out.text(UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(handle, column))))
                case .double: out.double(sqlite3_column_double(handle, column))
                case .integer: out.integer(sqlite3_column_int64(handle, column))
                }
            }
            out.endRow()
        }
        sqlite3_reset(handle)
    }
}

extension PublicationTable {
    /// The PostgreSQL table of a declared relation: its columns and types as declared (TEXT,
    /// REAL, INTEGER to text, double precision, bigint), its key when `keyed`.
    init(_ relation: PublishedRelation, keyed: Bool, indexes: [[String]]) throws {
        let columns = try relation.columns.map { column in
            guard let type = PublicationType(sqlType: column.sqlType) else {
                throw StoreModel.UnknownType(relation: relation.name, column: column.name, sqlType: column.sqlType)
            }
            return PublicationColumn(column.name, type)
        }
        self.init(name: relation.name, columns: columns,
                  primaryKey: keyed ? relation.primaryKey : [], indexes: indexes, subjectColumns: relation.subjectColumns)
    }
}
