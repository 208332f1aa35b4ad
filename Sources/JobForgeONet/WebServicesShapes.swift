import Foundation
import JobForgeCore

/// Every assumption about O*NET Web Services v2 in one place (see
/// shared/contracts/onet-web-services-v2.md): paths, parameters, headers and response shapes.
/// A difference found against the live API is a change to this file only.
///
/// Assumed (reported by third-party clients, not confirmed by O*NET):
/// - `GET database/rows/{table}?filter=onetsoc_code.eq.{code}&start=1&end=N` returns
///   `{"start","end","total","next"?,"row":[{...}]}` with the database's column names
///   (`onetsoc_code`, `element_id`, `scale_id`, `data_value`, `recommend_suppress`, ...),
///   at most 2000 rows a page; `next` is present when more pages follow.
/// - 422 with `{"error": "..."}` means "no data of this kind for this code" (or an unknown code).
/// - `GET about` returns `{"api_version": "2.0", ...}`.
public enum ONetAPI {
    public static let defaultBaseURL = URL(string: "https://api-v2.onetcenter.org/")!
    public static let apiKeyHeader = "X-API-Key"
    public static let maxPageSize = 2000
    /// O*NET asks clients to wait at least this long before retrying.
    public static let minimumRetryDelay: TimeInterval = 0.2

    /// The request headers of every call (the key is added by the client, never logged).
    public static func headers(apiKey: String, userAgent: String) -> [String: String] {
        [apiKeyHeader: apiKey, "Accept": "application/json", "User-Agent": userAgent]
    }

    /// Path and query of one page of one rating table for one O*NET-SOC code.
    public static func ratingRows(table: ONetRatingTable, soc: String, start: Int, end: Int) -> (path: String, query: [URLQueryItem]) {
        ("database/rows/\(table.rawValue)", [
            URLQueryItem(name: "filter", value: "onetsoc_code.eq.\(soc)"),
            URLQueryItem(name: "start", value: String(start)),
            URLQueryItem(name: "end", value: String(end)),
        ])
    }

    public static let aboutPath = "about"

    /// A page of `database/rows/{table}`.
    struct RowsPage: Decodable {
        var start: Int?
        var end: Int?
        var total: Int?
        var next: String?
        var row: [[String: JSONScalar]]
    }

    struct ErrorBody: Decodable {
        var error: String
    }

    struct About: Decodable {
        var api_version: String?
    }

    /// Decoded with JSONSerialization: `JSONDecoder` with a mixed-type scalar is several times
    /// slower on Linux, and a full fetch decodes thousands of pages.
    static func decodePage(_ body: Data) throws -> RowsPage {
        guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw ONetShapeError(detail: "the body is not a JSON object")
        }
        guard let rows = object["row"] as? [[String: Any]] else {
            throw ONetShapeError(detail: "missing \"row\" array")
        }
        func int(_ key: String) -> Int? { (object[key] as? NSNumber)?.intValue ?? (object[key] as? String).flatMap { Int($0) } }
        return RowsPage(start: int("start"), end: int("end"), total: int("total"), next: object["next"] as? String,
                        row: rows.map { $0.mapValues(JSONScalar.init(any:)) })
    }

    /// The message of a 422 body, or the body's excerpt when it is not the expected shape.
    static func errorMessage(_ body: Data) -> String? {
        (try? JSONDecoder().decode(ErrorBody.self, from: body))?.error
    }

    static func apiVersion(_ body: Data) -> String? {
        (try? JSONDecoder().decode(About.self, from: body))?.api_version
    }

    /// One row of a rating table, with the database's column names.
    static func rating(from row: [String: JSONScalar], table: ONetRatingTable) throws -> ONetRating {
        func text(_ name: String) -> String? { row[name]?.text }
        func number(_ name: String) throws -> Double? {
            guard let scalar = row[name] else { return nil }
            if case .null = scalar { return nil }
            if let value = scalar.number { return value }
            if ONetValue.isEmpty(scalar.text) { return nil }
            throw ONetShapeError(detail: "\(name) is \(scalar.text ?? "?"), not a number")
        }
        func flag(_ name: String) -> Bool? {
            guard let value = text(name), !ONetValue.isEmpty(value) else { return nil }
            return value.uppercased() == "Y" || value.lowercased() == "true" || value == "1"
        }
        guard let code = text("onetsoc_code").flatMap(Codes.onetSOC) else {
            throw ONetShapeError(detail: "a row has no valid onetsoc_code")
        }
        guard let element = text("element_id"), let scale = text("scale_id") else {
            throw ONetShapeError(detail: "a row of \(code) has no element_id or scale_id")
        }
        return ONetRating(table: table, soc: code, elementID: element, elementName: text("element_name") ?? "",
                          scaleID: scale, category: Int(try number("category") ?? 0),
                          value: try number("data_value"), n: try number("n").map { Int($0) },
                          standardError: try number("standard_error"), lowerCI: try number("lower_ci_bound"),
                          upperCI: try number("upper_ci_bound"), recommendSuppress: flag("recommend_suppress"),
                          notRelevant: flag("not_relevant"), date: text("date_updated") ?? text("date"),
                          domainSource: text("domain_source"))
    }
}

/// A response that does not have the shape `ONetAPI` expects.
struct ONetShapeError: Error, CustomStringConvertible {
    var detail: String
    var description: String { detail }
}

/// A JSON scalar: the database rows mix numbers, strings (`"n/a"`, `"Y"`) and nulls.
enum JSONScalar: Decodable, Sendable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else { self = .string(try container.decode(String.self)) }
    }

    /// Numbers are tried first, then strings: nearly every value is one of the two, and on Linux
    /// the failed bridging casts of the other order (an NSNumber as String, then as Bool) took
    /// longer than parsing the page itself.
    init(any value: Any) {
        if let number = value as? NSNumber {
            self = type(of: value) == Bool.self ? .bool(number.boolValue) : .number(number.doubleValue)
        } else if let string = value as? String {
            self = .string(string)
        } else if value is NSNull {
            self = .null
        } else {
            self = .string("\(value)")
        }
    }

    var text: String? {
        switch self {
        case .string(let value): value
        case .number(let value): value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
        case .bool(let value): value ? "Y" : "N"
        case .null: nil
        }
    }

    var number: Double? {
        switch self {
        case .number(let value): value
        case .string(let value): Double(value.trimmingCharacters(in: .whitespaces))
        default: nil
        }
    }
}
