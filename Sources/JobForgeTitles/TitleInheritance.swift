import Foundation
import JobForgeCore

/// A resolved title inherits the authoritative cells of its own profile (never those of the
/// other profiles of its unit group), each marked as inherited from L6 with the profile code,
/// the resolution method and a confidence scaled by the resolution's.
public enum TitleInheritance {
    /// The method of an inherited candidate.
    public static let method = "inherited"

    /// The title's candidates from `profileCandidates`. Only authoritative candidates of the
    /// resolved profile itself are used; anything else passed in is ignored. An unresolved
    /// title inherits nothing. `observedAt` is the time of the resolution: a later
    /// re-resolution to another profile then wins the cells on the precedence rule's time tiebreak.
    public static func candidates(title: JobTitle, resolution: TitleResolution, profileCandidates: [Candidate],
                                  observedAt: Date = Date()) -> [Candidate] {
        guard resolution.isResolved, let profile = resolution.profileCode else { return [] }
        let subject = Subject.title(title.id)
        // Shared by every inherited cell of the title: computed once (a profile has ~250 cells).
        var base: [String: String] = [
            "profile_code": profile,
            "resolution_method": resolution.method.rawValue,
            "resolution_confidence": String(resolution.confidence),
        ]
        if let unitGroupSource = resolution.unitGroupSource { base["unit_group_source"] = unitGroupSource.rawValue }
        if let score = resolution.fuzzyScore, resolution.method == .fuzzy { base["fuzzy_score"] = String(score) }
        let rationale = "inherited from OaSIS profile \(profile) (\(resolution.method.rawValue), confidence \(resolution.confidence))"
        var last: (method: String, confidence: Double, metadata: [String: String])?
        return profileCandidates.compactMap { source in
            guard source.source == .authoritative, source.key.subject == .profile(profile) else { return nil }
            let metadata: [String: String]
            if source.metadata.isEmpty, let last, last.method == source.method, last.confidence == source.confidence {
                metadata = last.metadata
            } else {
                var built = base
                built["source_confidence"] = String(source.confidence)
                built["source_method"] = source.method
                metadata = source.metadata.merging(built) { _, inherited in inherited }
                if source.metadata.isEmpty { last = (source.method, source.confidence, metadata) }
            }
            return Candidate(
                key: CellKey(subject: subject, descriptor: source.key.descriptor, dimension: source.key.dimension),
                value: source.value, text: source.text, source: .authoritative, method: method,
                sourceLevel: .l6, sourceIDs: [profile],
                confidence: source.confidence * resolution.confidence,
                rationale: rationale, release: source.release, observedAt: observedAt, metadata: metadata)
        }
    }
}
