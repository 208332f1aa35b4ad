import Foundation
import GRDB
import JobForgeCore
import JobForgeLLM
import JobForgeStore
import JobForgeTitles

/// L7: a resolved job title inherits its own profile's cells. The store derives them when a
/// title is read (`TitleInheritanceRule`), so they always follow the title's current
/// resolution; what changes with a new resolution is logged for the titles that also hold
/// values of their own (LLM answers), whose winners can change.
public enum TitleCells {
    public struct Report: Sendable, Codable {
        public var titles: Int
        public var resolved: Int
        /// Authoritative cells the resolved titles inherit (their profiles' O*NET values come too).
        public var inheritedCells: Int
        /// Cells of titles with values of their own whose winner changed with the new resolutions.
        public var overridden: Int
    }

    /// Runs `change` (an import, a re-resolution) in `db`'s transaction, then brings the titles'
    /// stored winners in line with their new resolutions, logging each change of winner: all of
    /// it commits or rolls back together.
    ///
    /// ```swift
    /// let (summary, report) = try store.dbQueue.write { db in
    ///     try TitleCells.resolving(in: db, runID: runID) { db in try importer.importFile(url, in: db) }
    /// }
    /// ```
    public static func resolving<T>(in db: Database, runID: String, _ change: (Database) throws -> T) throws -> (T, Report) {
        let before = try SQLiteStore.snapshotTitleCells(in: db)
        let result = try change(db)
        let reconciled = try SQLiteStore.reconcileTitleCells(since: before, runID: runID, in: db)
        // Counted in SQL: loading every title to count them was most of a large import's memory.
        let (titles, resolved) = try TitleCatalog.counts(in: db)
        return (result, Report(titles: titles, resolved: resolved,
                               inheritedCells: try SQLiteStore.derivedTitleCellCount(in: db), overridden: reconciled.overridden))
    }
}

/// The unit groups an LLM suggested for titles without a code (the LLM source's records), in
/// the form the Titles source applies them: the build hands them to `TitleImporter`, so that
/// neither source imports the other.
public enum AppliedSuggestions {
    /// The latest suggestion of each title that proposed a unit group.
    public static func latest(in store: SQLiteStore) throws -> [TitleImporter.SuggestedUnitGroup] {
        try LLMLog(store).latestNOCSuggestions().compactMap(suggestion)
    }

    /// A stored suggestion that proposed a unit group.
    public static func suggestion(_ record: LLMNOCSuggestionRecord) -> TitleImporter.SuggestedUnitGroup? {
        guard record.status == "suggested", let unitGroup = record.unitGroup, let confidence = record.confidence else { return nil }
        return TitleImporter.SuggestedUnitGroup(titleID: record.titleID, unitGroup: unitGroup, confidence: confidence,
                                                model: record.model)
    }
}
