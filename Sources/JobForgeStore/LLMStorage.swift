import Foundation
import GRDB
import JobForgeCore

extension SQLiteStore {
    /// Tables of the LLM source. Add migrations here, named "v1-llm", "v2-...", never edit shipped ones.
    static func registerLLMMigrations(_ migrator: inout DatabaseMigrator) {
    }
}
