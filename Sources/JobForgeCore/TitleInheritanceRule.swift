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
    public static let method = CandidateMethod.inherited

    /// What the rule needs to know of a title's resolution.
    public struct Resolution: Sendable, Equatable {
        public var titleID: String
        public var profileCode: String
        public var method: String
        public var confidence: Double
        public var unitGroupSource: String?
        public var fuzzyScore: Double?

        /// The one definition of "a title is resolved": it has a profile at a confidence above 0.
        /// Only resolved titles inherit, and only they have a row in the store's `title_resolution`.
        public var isResolved: Bool { confidence > 0 }

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
        guard resolution.isResolved else { return [] }
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
        let profileSubject = Subject.profile(profile)
        let sourceIDs = [profile]
        var last: (method: CandidateMethod, confidence: Double, metadata: [String: String])?
        var inherited: [Candidate] = []
        inherited.reserveCapacity(profileCandidates.count)
        // The sources are read in place: copying each would retain every one of its fields.
        for index in profileCandidates.indices {
            let kind = profileCandidates[index].source
            guard kind == .authoritative || kind == .onet, profileCandidates[index].key.subject == profileSubject else { continue }
            let method = profileCandidates[index].method, confidence = profileCandidates[index].confidence
            let own = profileCandidates[index].metadata
            let metadata: [String: String]
            if own.isEmpty, let last, last.method == method, last.confidence == confidence {
                metadata = last.metadata
            } else {
                var built = base
                built["source_confidence"] = String(confidence)
                built["source_method"] = method.rawValue
                metadata = own.isEmpty ? built : own.merging(built) { _, inherited in inherited }
                if own.isEmpty { last = (method, confidence, metadata) }
            }
            let key = CellKey(subject: subject, descriptor: profileCandidates[index].key.descriptor,
                              dimension: profileCandidates[index].key.dimension)
            let time = observedAt ?? profileCandidates[index].observedAt
            if kind == .onet {
                inherited.append(Candidate(key: key, value: profileCandidates[index].value, text: profileCandidates[index].text,
                                           source: .onet, method: method, sourceLevel: profileCandidates[index].sourceLevel,
                                           sourceIDs: profileCandidates[index].sourceIDs, confidence: confidence * resolution.confidence,
                                           rationale: profileCandidates[index].rationale, release: profileCandidates[index].release,
                                           observedAt: time, metadata: metadata))
            } else {
                inherited.append(Candidate(key: key, value: profileCandidates[index].value, text: profileCandidates[index].text,
                                           source: .authoritative, method: Self.method, sourceLevel: .l6, sourceIDs: sourceIDs,
                                           confidence: confidence * resolution.confidence, rationale: rationale,
                                           release: profileCandidates[index].release, observedAt: time, metadata: metadata))
            }
        }
        return inherited
    }
}
