import Foundation
import GRDB
import GRDBSQLite

/// Binds straight to a prepared SQLite statement. The cascade writes hundreds of thousands of
/// candidates per build; going through SQLite's C API for them cuts the per-row cost several
/// times compared with building `StatementArguments` for each row.
public struct RawStatement {
    public let statement: Statement
    private var handle: OpaquePointer { statement.sqliteStatement }
    private let texts: BoundTexts

    public init(_ statement: Statement) {
        self.statement = statement
        texts = BoundTexts(statement)
    }

    /// Binds a copy of `value` that SQLite reads in place until the statement runs (``step(_:)``).
    public func bind(_ index: Int32, _ value: String?) {
        guard var text = value else {
            sqlite3_bind_null(handle, index)
            return
        }
        text.withUTF8 { buffer in
            // A nil destructor is SQLITE_STATIC: SQLite keeps the pointer instead of copying the text.
            _ = sqlite3_bind_text(handle, index, texts.copy(buffer), Int32(buffer.count), nil)
        }
    }

    public func bind(_ index: Int32, _ value: Double?) {
        if let value { sqlite3_bind_double(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }

    public func bind(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }

    /// Runs the bound statement and resets it for the next row. A statement with a `RETURNING`
    /// clause hands each row it returns to `row` (read it with ``text(_:)``).
    public func step(_ db: Database, row: ((RawStatement) -> Void)? = nil) throws {
        var code = sqlite3_step(handle)
        while code == SQLITE_ROW {
            row?(self)
            code = sqlite3_step(handle)
        }
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        texts.reuse()
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                                sql: statement.sql)
        }
    }

    /// The text of column `index` (from 0) of the row the statement returned; "" for NULL.
    public func text(_ index: Int32) -> String {
        guard let bytes = sqlite3_column_text(handle, index) else { return "" }
        return String(decoding: UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(handle, index))), as: UTF8.self)
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
                                          bind: (RawStatement, Int32, Item) -> Void,
                                          returned: ((RawStatement) -> Void)? = nil) throws {
        guard !items.isEmpty else { return }
        let chunked = items.count / rowsPerStatement * rowsPerStatement
        if chunked > 0 {
            let multiple = RawStatement(try db.cachedStatement(sql: sql(rowsPerStatement)))
            for start in stride(from: 0, to: chunked, by: rowsPerStatement) {
                for row in 0..<rowsPerStatement { bind(multiple, Int32(row), items[start + row]) }
                try multiple.step(db, row: returned)
            }
        }
        if chunked < items.count {
            let single = RawStatement(try db.cachedStatement(sql: sql(1)))
            for item in items[chunked...] {
                bind(single, 0, item)
                try single.step(db, row: returned)
            }
        }
    }

    /// Rows per statement of ``forEachChunk(of:in:sql:bind:)``: 50 rows of 20 columns bind
    /// 1,000 values, far below SQLite's limit.
    public static let rowsPerStatement = 50
}

/// The texts bound to a statement until it runs, copied into blocks that the next rows reuse.
/// SQLite copying each text itself (SQLITE_TRANSIENT) cost a malloc and a free per value: about
/// a tenth of a large titles import.
final class BoundTexts {
    private let statement: Statement
    private var blocks: [UnsafeMutableRawBufferPointer] = []
    /// The block being filled, and how much of it is.
    private var block = 0
    private var used = 0
    /// Whether the statement holds pointers into the blocks.
    private var bound = false
    static let blockSize = 64 * 1024

    init(_ statement: Statement) { self.statement = statement }

    /// A copy of `bytes` that stays where it is until ``reuse()``.
    func copy(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafePointer<CChar> {
        bound = true
        let count = bytes.count
        if block == blocks.count || used + count > blocks[block].count {
            // A block once written stays in place: the next one, or a new one large enough.
            if block < blocks.count { block += 1 }
            used = 0
            if block == blocks.count || blocks[block].count < count {
                blocks.insert(.allocate(byteCount: max(Self.blockSize, count), alignment: 1), at: block)
            }
        }
        let start = blocks[block].baseAddress! + used
        if count > 0 { start.copyMemory(from: bytes.baseAddress!, byteCount: count) }
        used += count
        return UnsafePointer(start.assumingMemoryBound(to: CChar.self))
    }

    /// After the statement ran and its bindings were cleared: the blocks are free again.
    func reuse() {
        block = 0
        used = 0
        bound = false
    }

    deinit {
        // Bound but never run: the cached statement must not keep pointers into freed blocks.
        if bound { sqlite3_clear_bindings(statement.sqliteStatement) }
        for block in blocks { block.deallocate() }
    }
}
