import Foundation
import GRDB

/// The store's one time format: ISO 8601 UTC text with milliseconds (`2026-03-05T14:02:11.042Z`),
/// which sorts as text. Exact to the millisecond both ways: a time read back is the very `Date`
/// that ``rounded(_:)`` gives, so a cached answer carries the same time as when it was received.
/// Every table of every module writes its times through this type.
public enum Timestamp {
    private static let lock = NSLock()
    /// The texts of the last few dates written: an export prints the same few load times
    /// hundreds of thousands of times.
    nonisolated(unsafe) private static var recent: [(Date, String)] = []
    private static let recentLimit = 16

    /// `date` at millisecond precision, as it will read back from the store.
    public static func rounded(_ date: Date) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds(date)) / 1000)
    }

    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// The stored text of `date`.
    public static func string(_ date: Date) -> String {
        lock.lock(); defer { lock.unlock() }
        for (known, text) in recent where known == date { return text }
        let total = milliseconds(date)
        let seconds = total >= 0 ? total / 1000 : (total - 999) / 1000
        let millis = Int(total - seconds * 1000)
        let base = Date(timeIntervalSince1970: Double(seconds)).formatted(Date.ISO8601FormatStyle())
        let digits = [millis / 100, millis / 10 % 10, millis % 10].map { Character(String($0)) }
        let text = String(base.dropLast()) + "." + String(digits) + "Z"
        if recent.count == recentLimit { recent.removeFirst() }
        recent.append((date, text))
        return text
    }

    /// The date of a stored text; nil when it is not one.
    public static func date(_ text: String?) -> Date? {
        guard let text else { return nil }
        let parts = text.split(separator: ".")
        if parts.count == 2, let base = try? Date.ISO8601FormatStyle().parse(parts[0] + "Z"),
           let millis = Int64(parts[1].filter(\.isNumber).prefix(3)) {
            return Date(timeIntervalSince1970: Double(Int64(base.timeIntervalSince1970.rounded()) * 1000 + millis) / 1000)
        }
        return try? Date.ISO8601FormatStyle().parse(text)
    }

    /// The date in `column` of a row of `table`; a text that is not a time is an error that names them.
    public static func decode(_ row: Row, _ column: String, table: String) throws -> Date {
        let text: String? = row[column]
        guard let date = date(text) else { throw StoreError.corrupt(table: table, column: column, value: text ?? "NULL") }
        return date
    }
}

/// What went wrong with the store itself, with the evidence.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stored value that this version cannot read (an unknown source, kind or time): the file
    /// was damaged or written by another program.
    case corrupt(table: String, column: String, value: String)

    public var description: String {
        switch self {
        case .corrupt(let table, let column, let value):
            "the store holds a value it cannot read: \(table).\(column) = '\(value.prefix(80))'. "
                + "The file was damaged or written by another program; rebuild it with `jobforge build` into a new file."
        }
    }
}

extension Row {
    /// A typed vocabulary value (`Source`, `Subject.Kind`, ...) decoded from its raw text, or
    /// `StoreError.corrupt` naming the table, column and value: never a silent default.
    public func decode<T: RawRepresentable>(_ column: String, table: String, as type: T.Type = T.self) throws -> T
    where T.RawValue == String {
        let text: String? = self[column]
        guard let text, let value = T(rawValue: text) else {
            throw StoreError.corrupt(table: table, column: column, value: text ?? "NULL")
        }
        return value
    }

    /// As ``decode(_:table:as:)`` for a column by position.
    public func decode<T: RawRepresentable>(at index: Int, table: String, column: String, as type: T.Type = T.self) throws -> T
    where T.RawValue == String {
        let text: String? = self[index]
        guard let text, let value = T(rawValue: text) else {
            throw StoreError.corrupt(table: table, column: column, value: text ?? "NULL")
        }
        return value
    }
}
