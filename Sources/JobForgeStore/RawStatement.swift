import Foundation
import GRDB
import GRDBSQLite

/// Binds straight to a prepared SQLite statement. The cascade writes hundreds of thousands of
/// candidates per build; going through SQLite's C API for them cuts the per-row cost several
/// times compared with building `StatementArguments` for each row.
public struct RawStatement {
    public let statement: Statement
    private var handle: OpaquePointer { statement.sqliteStatement }
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    public init(_ statement: Statement) { self.statement = statement }

    public func bind(_ index: Int32, _ value: String?) {
        guard var text = value else {
            sqlite3_bind_null(handle, index)
            return
        }
        text.withUTF8 { buffer in
            _ = sqlite3_bind_text(handle, index, UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self),
                                  Int32(buffer.count), Self.transient)
        }
    }

    public func bind(_ index: Int32, _ value: Double?) {
        if let value { sqlite3_bind_double(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }

    public func bind(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }

    /// Runs the bound statement and resets it for the next row.
    public func step(_ db: Database) throws {
        let code = sqlite3_step(handle)
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                                sql: statement.sql)
        }
    }

    /// `(?, ?, ?), (?, ?, ?)`: the VALUES of `rows` rows of `columns` columns.
    public static func placeholders(rows: Int, columns: Int) -> String {
        let row = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        return Array(repeating: row, count: rows).joined(separator: ", ")
    }

    /// Writes `items` in order, ``rowsPerStatement`` rows per statement (`sql(rows)` makes the
    /// statement of `rows` rows; `bind` binds an item as the statement's row `row`, from 0) and
    /// the rest one by one: one statement's fixed work is shared by many rows.
    ///
    /// ```swift
    /// try RawStatement.forEachChunk(of: pairs, in: db, sql: { "INSERT INTO t (a, b) VALUES \(RawStatement.placeholders(rows: $0, columns: 2))" }) {
    ///     statement, row, pair in statement.bind(row * 2 + 1, pair.a); statement.bind(row * 2 + 2, pair.b)
    /// }
    /// ```
    public static func forEachChunk<Item>(of items: [Item], in db: Database, sql: (Int) -> String,
                                          bind: (RawStatement, Int32, Item) -> Void) throws {
        guard !items.isEmpty else { return }
        let chunked = items.count / rowsPerStatement * rowsPerStatement
        if chunked > 0 {
            let multiple = RawStatement(try db.cachedStatement(sql: sql(rowsPerStatement)))
            for start in stride(from: 0, to: chunked, by: rowsPerStatement) {
                for row in 0..<rowsPerStatement { bind(multiple, Int32(row), items[start + row]) }
                try multiple.step(db)
            }
        }
        if chunked < items.count {
            let single = RawStatement(try db.cachedStatement(sql: sql(1)))
            for item in items[chunked...] {
                bind(single, 0, item)
                try single.step(db)
            }
        }
    }

    /// Rows per statement of ``forEachChunk(of:in:sql:bind:)``: 50 rows of 20 columns bind
    /// 1,000 values, far below SQLite's limit.
    public static let rowsPerStatement = 50
}
