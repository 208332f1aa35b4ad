import Foundation
import GRDB
import JobForgeCore

extension SQLiteStore {
    /// Tables of the TBS source. Add migrations here, named "v1-tbs", "v2-...", never edit shipped ones.
    static func registerTBSMigrations(_ migrator: inout DatabaseMigrator) {
    }
}
