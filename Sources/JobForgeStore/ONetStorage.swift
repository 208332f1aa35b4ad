import Foundation
import GRDB
import JobForgeCore

extension SQLiteStore {
    /// Tables of the ONet source. Add migrations here, named "v1-onet", "v2-...", never edit shipped ones.
    static func registerONetMigrations(_ migrator: inout DatabaseMigrator) {
    }
}
