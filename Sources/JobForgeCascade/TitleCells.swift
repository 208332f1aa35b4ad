import Foundation
import JobForgeCore
import JobForgeStore
import JobForgeTitles

/// L7: a resolved job title inherits its own profile's authoritative cells (DESIGN step 3),
/// stored as candidates of the title so that precedence, overrides and exports treat title
/// cells like any other. Re-deriving is idempotent: an unchanged inheritance offers the same
/// candidates, which the store recognises and skips.
public enum TitleCells {
    public struct Report: Sendable, Codable {
        public var titles: Int
        public var resolved: Int
        public var cells: SubmitSummary
    }

    /// Inherits cells for every resolved title (or only `ids`).
    public static func inherit(store: SQLiteStore, runID: String, ids: Set<String>? = nil,
                               observedAt: Date = Date()) throws -> Report {
        var records = try store.jobTitles()
        if let ids { records = records.filter { ids.contains($0.id) } }
        let resolved = records.filter { TitleImporter.resolution($0).isResolved }
        let profiles = Set(resolved.compactMap(\.profileCode))
        let profileCells = try store.authoritativeProfileCandidates(Array(profiles))
        var candidates: [Candidate] = []
        for record in resolved {
            guard let profile = record.profileCode, let cells = profileCells[profile] else { continue }
            candidates += TitleInheritance.candidates(title: TitleImporter.jobTitle(record),
                                                      resolution: TitleImporter.resolution(record),
                                                      profileCandidates: cells, observedAt: observedAt)
        }
        let summary = try store.submit(candidates, runID: runID)
        return Report(titles: records.count, resolved: resolved.count, cells: summary)
    }
}
