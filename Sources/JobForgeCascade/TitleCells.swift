import Foundation
import JobForgeCore
import JobForgeStore
import JobForgeTitles

/// L7: a resolved job title inherits its own profile's cells (DESIGN step 3). The store derives
/// them when a title is read (`TitleInheritanceRule`), so they always follow the title's current
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

    /// Runs `change` (an import, a re-resolution), then brings the titles' stored winners in line
    /// with their new resolutions, logging each change of winner.
    public static func resolving<T>(store: SQLiteStore, runID: String, _ change: () throws -> T) throws -> (T, Report) {
        let before = try store.snapshotTitleCells()
        let result = try change()
        let reconciled = try store.reconcileTitleCells(since: before, runID: runID)
        let records = try store.jobTitles()
        // Resolved: a profile at a confidence above 0 (what `TitleResolution.isResolved` says), read
        // from the columns without decoding each title's candidates.
        let resolved = records.filter { $0.profileCode != nil && $0.confidence > 0 }.count
        return (result, Report(titles: records.count, resolved: resolved, inheritedCells: try store.derivedTitleCellCount(),
                               overridden: reconciled.overridden))
    }
}
