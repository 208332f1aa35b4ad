import Foundation
import GRDB
import JobForgeCore

extension SQLiteStore {
    /// A job title by id, or by exact title when no id matches.
    static func titleID(_ db: Database, matching text: String) throws -> String? {
        guard try db.tableExists("job_title") else { return nil }
        if let id = try String.fetchOne(db, sql: "SELECT id FROM job_title WHERE id = ?", arguments: [text]) { return id }
        return try String.fetchOne(db, sql: "SELECT id FROM job_title WHERE title = ? COLLATE NOCASE ORDER BY id LIMIT 1",
                                   arguments: [text])
    }

    static func titleHeader(_ db: Database, id: String) throws -> SubjectHeader? {
        guard try db.tableExists("job_title"),
              let row = try Row.fetchOne(db, sql: "SELECT * FROM job_title WHERE id = ?", arguments: [id]) else { return nil }
        var details: [String: String] = [:]
        for column in row.columnNames {
            let value: DatabaseValue = row[column]
            switch value.storage {
            case .string(let text) where !text.isEmpty: details[column] = text
            case .int64(let number): details[column] = String(number)
            case .double(let number): details[column] = String(number)
            default: break
            }
        }
        let profile = details["profile_code"]
        var lead: String?
        if let profile {
            lead = try String.fetchOne(db, sql: "SELECT lead_statement FROM profile WHERE code = ?", arguments: [profile])
        }
        return SubjectHeader(subject: .title(id), label: details["title"] ?? id, leadStatement: lead,
                             related: profile.map { [$0] } ?? [], details: details)
    }
}
