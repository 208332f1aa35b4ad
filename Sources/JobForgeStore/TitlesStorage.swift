import Foundation
import GRDB
import JobForgeCore

extension SQLiteStore {
    /// Tables of the Titles source. Add migrations here, named "v1-titles", "v2-...", never edit shipped ones.
    static func registerTitlesMigrations(_ migrator: inout DatabaseMigrator) {
    }
}
