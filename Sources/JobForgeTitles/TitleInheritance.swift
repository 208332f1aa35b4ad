import Foundation
import JobForgeCore

/// A resolved title inherits the authoritative cells of its own profile (never those of the
/// other profiles of its unit group), each marked as inherited from L6 with the profile code,
/// the resolution method and a confidence scaled by the resolution's. The rule itself is
/// `TitleInheritanceRule`, which the store applies when it reads a title's cells.
public enum TitleInheritance {
    /// The method of an inherited candidate.
    public static let method = TitleInheritanceRule.method

    /// The title's inherited authoritative candidates from `profileCandidates`; anything else
    /// passed in is ignored. An unresolved title inherits nothing.
    public static func candidates(title: JobTitle, resolution: TitleResolution, profileCandidates: [Candidate],
                                  observedAt: Date = Date()) -> [Candidate] {
        guard resolution.isResolved, let profile = resolution.profileCode else { return [] }
        let rule = TitleInheritanceRule.Resolution(titleID: title.id, profileCode: profile, method: resolution.method.rawValue,
                                                   confidence: resolution.confidence,
                                                   unitGroupSource: resolution.unitGroupSource?.rawValue,
                                                   fuzzyScore: resolution.fuzzyScore)
        return TitleInheritanceRule.candidates(rule, profileCandidates: profileCandidates.filter { $0.source == .authoritative },
                                               observedAt: observedAt)
    }
}
