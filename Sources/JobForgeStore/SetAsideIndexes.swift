import Foundation
import GRDB

/// The secondary indexes of some tables, dropped while a transaction writes many rows to them
/// and built again before it ends. SQLite builds an index from the sorted rows several times
/// faster than it inserts the same rows one by one in random key order: 200,000 imported titles
/// spent about 3 s of CPU in the four indexes of `job_title` and `title_resolution`, and
/// rebuilding them takes about 0.7 to 1 s. Only indexes made by `CREATE INDEX` that are not UNIQUE
/// are set aside: primary keys and unique indexes enforce constraints while the rows arrive.
///
/// ```swift
/// try dbQueue.write { db in
///     let indexes = try SetAsideIndexes.drop(on: ["job_title"], in: db)
///     // ... insert many rows
///     try indexes.restore(in: db)      // before the transaction commits
/// }
/// ```
///
/// Dropped and rebuilt in the caller's transaction: an error that rolls it back restores them,
/// and other connections never see the store without them.
public struct SetAsideIndexes: Sendable {
    /// The `CREATE INDEX` statements of the dropped indexes, as the schema held them.
    public let definitions: [String]

    /// Drops the plain indexes of `tables` in `db`'s transaction. Outside a transaction it drops
    /// nothing (a crash could otherwise leave the store without them).
    public static func drop(on tables: [String], in db: Database) throws -> SetAsideIndexes {
        guard db.isInsideTransaction else { return SetAsideIndexes(definitions: []) }
        var definitions: [String] = []
        for table in tables {
            let indexes = try Row.fetchAll(db, sql: """
                SELECT m.name, m.sql FROM pragma_index_list(?) l JOIN sqlite_master m ON m.type = 'index' AND m.name = l.name
                WHERE l.origin = 'c' AND l."unique" = 0 AND m.sql IS NOT NULL ORDER BY m.name
                """, arguments: [table])
            for index in indexes {
                let name: String = index[0]
                definitions.append(index[1])
                try db.execute(sql: "DROP INDEX \(name.quotedDatabaseIdentifier)")
            }
        }
        return SetAsideIndexes(definitions: definitions)
    }

    /// Builds the dropped indexes again, in `db`'s transaction.
    public func restore(in db: Database) throws {
        for definition in definitions { try db.execute(sql: definition) }
    }
}

/// Triggers dropped while a transaction writes many rows whose effect the writer applies itself,
/// set-based, and created again before it ends (as ``SetAsideIndexes`` does for indexes). The
/// published model's change-marking triggers cost about a second per 200,000 imported titles,
/// row by row; the importer marks the titles it changed with one statement per batch instead.
///
/// ```swift
/// try dbQueue.write { db in
///     let triggers = try SetAsideTriggers.drop(named: ["model_mark_title_insert"], in: db)
///     // ... insert many rows, doing what the triggers did
///     try triggers.restore(in: db)      // before the transaction commits
/// }
/// ```
public struct SetAsideTriggers: Sendable {
    /// The `CREATE TRIGGER` statements of the dropped triggers, as the schema held them.
    public let definitions: [String]

    /// Drops the triggers of `names` that exist, in `db`'s transaction. Outside a transaction it
    /// drops nothing (a crash could otherwise leave the store without them).
    public static func drop(named names: [String], in db: Database) throws -> SetAsideTriggers {
        guard db.isInsideTransaction else { return SetAsideTriggers(definitions: []) }
        var definitions: [String] = []
        for name in names {
            guard let sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                                                arguments: [name]) else { continue }
            definitions.append(sql)
            try db.execute(sql: "DROP TRIGGER \(name.quotedDatabaseIdentifier)")
        }
        return SetAsideTriggers(definitions: definitions)
    }

    /// Whether `name` was dropped (it existed).
    public func contains(_ name: String) -> Bool {
        definitions.contains { $0.contains(name) }
    }

    /// Creates the dropped triggers again, in `db`'s transaction.
    public func restore(in db: Database) throws {
        for definition in definitions { try db.execute(sql: definition) }
    }
}
