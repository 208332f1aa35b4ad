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
        let profileSubject = Subject.profile(profile)
        // Shared by every inherited cell of the title: computed once (a profile has ~250 cells).
        let sourceIDs = [profile]
        var base: [String: String] = [
            "profile_code": profile,
            "resolution_method": resolution.method.rawValue,
            "resolution_confidence": String(resolution.confidence),
        ]
        if let unitGroupSource = resolution.unitGroupSource { base["unit_group_source"] = unitGroupSource.rawValue }
        if let score = resolution.fuzzyScore, resolution.method == .fuzzy { base["fuzzy_score"] = String(score) }
        let rationale = "inherited from OaSIS profile \(profile) (\(resolution.method.rawValue), confidence \(resolution.confidence))"
        var last: (method: String, confidence: Double, metadata: [String: String])?
        var inherited: [Candidate] = []
        inherited.reserveCapacity(profileCandidates.count)
        // The sources are read in place: copying each would retain every one of its fields.
        for index in profileCandidates.indices {
            guard profileCandidates[index].source == .authoritative, profileCandidates[index].key.subject == profileSubject else {
                continue
            }
            let method = profileCandidates[index].method, confidence = profileCandidates[index].confidence
            let metadata: [String: String]
            if profileCandidates[index].metadata.isEmpty, let last, last.method == method, last.confidence == confidence {
                metadata = last.metadata
            } else {
                var built = base
                built["source_confidence"] = String(confidence)
                built["source_method"] = method
                let own = profileCandidates[index].metadata
                metadata = own.isEmpty ? built : own.merging(built) { _, inherited in inherited }
                if own.isEmpty { last = (method, confidence, metadata) }
            }
            inherited.append(Candidate(
                key: CellKey(subject: subject, descriptor: profileCandidates[index].key.descriptor,
                             dimension: profileCandidates[index].key.dimension),
                value: profileCandidates[index].value, text: profileCandidates[index].text, source: .authoritative,
                method: Self.method, sourceLevel: .l6, sourceIDs: sourceIDs,
                confidence: confidence * resolution.confidence,
                rationale: rationale, release: profileCandidates[index].release, observedAt: observedAt, metadata: metadata))
        }
        return inherited
    }
}
