import Foundation

/// How a job title (L7) gets its values from the OaSIS profile it resolved to (L6).
///
/// - Authoritative cells of the profile itself (never of the other profiles of its unit group)
///   become the title's, method `inherited`, source level L6, with the profile code, the
///   resolution's method and confidence, and a confidence of source x resolution.
/// - O*NET cells of the profile come along the same way (the title's unit group is the
///   profile's, so its crosswalked SOC codes are too), confidence scaled the same.
/// - An unresolved title inherits nothing.
///
/// The store applies this rule when a title's cells are read, so a title's inherited cells
/// always follow its current resolution and its profile's current values.
public enum TitleInheritanceRule {
    /// The method of an inherited authoritative candidate.
    public static let method = "inherited"

    /// What the rule needs to know of a title's resolution.
    public struct Resolution: Sendable, Equatable {
        public var titleID: String
        public var profileCode: String
        public var method: String
        public var confidence: Double
        public var unitGroupSource: String?
        public var fuzzyScore: Double?

        public init(titleID: String, profileCode: String, method: String, confidence: Double,
                    unitGroupSource: String? = nil, fuzzyScore: Double? = nil) {
            self.titleID = titleID
            self.profileCode = profileCode
            self.method = method
            self.confidence = confidence
            self.unitGroupSource = unitGroupSource
            self.fuzzyScore = fuzzyScore
        }
    }

    /// The title's candidates from its profile's candidates. Only the resolved profile's own
    /// authoritative and O*NET candidates are used; anything else passed in is ignored.
    /// `observedAt` defaults to each source candidate's own time.
    public static func candidates(_ resolution: Resolution, profileCandidates: [Candidate],
                                  observedAt: Date? = nil) -> [Candidate] {
        guard resolution.confidence > 0 else { return [] }
        let subject = Subject.title(resolution.titleID)
        let profile = resolution.profileCode
        // Shared by every inherited cell of the title: computed once (a profile has ~250 cells).
        var base: [String: String] = [
            "profile_code": profile,
            "resolution_method": resolution.method,
            "resolution_confidence": String(resolution.confidence),
        ]
        if let unitGroupSource = resolution.unitGroupSource { base["unit_group_source"] = unitGroupSource }
        if let score = resolution.fuzzyScore, resolution.method == "fuzzy" { base["fuzzy_score"] = String(score) }
        let rationale = "inherited from OaSIS profile \(profile) (\(resolution.method), confidence \(resolution.confidence))"
        var last: (method: String, confidence: Double, metadata: [String: String])?
        return profileCandidates.compactMap { source in
            guard source.key.subject == .profile(profile), source.source == .authoritative || source.source == .onet else {
                return nil
            }
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
            let key = CellKey(subject: subject, descriptor: source.key.descriptor, dimension: source.key.dimension)
            let confidence = source.confidence * resolution.confidence
            if source.source == .onet {
                return Candidate(key: key, value: source.value, text: source.text, source: .onet, method: source.method,
                                 sourceLevel: source.sourceLevel, sourceIDs: source.sourceIDs, confidence: confidence,
                                 rationale: source.rationale, release: source.release,
                                 observedAt: observedAt ?? source.observedAt, metadata: metadata)
            }
            return Candidate(key: key, value: source.value, text: source.text, source: .authoritative, method: method,
                             sourceLevel: .l6, sourceIDs: [profile], confidence: confidence,
                             rationale: rationale, release: source.release, observedAt: observedAt ?? source.observedAt,
                             metadata: metadata)
        }
    }
}
