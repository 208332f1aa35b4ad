import GRDB

extension TitleCatalog {
    /// How many titles the store holds, and how many of them are resolved (have a profile at a
    /// confidence above 0, as `TitleInheritanceRule.Resolution.isResolved` says).
    public static func counts(in db: Database) throws -> (titles: Int, resolved: Int) {
        let row = try Row.fetchOne(db, sql: """
            SELECT COUNT(*), COUNT(CASE WHEN profile_code IS NOT NULL AND confidence > 0 THEN 1 END) FROM job_title
            """)
        return (row?[0] ?? 0, row?[1] ?? 0)
    }
}
