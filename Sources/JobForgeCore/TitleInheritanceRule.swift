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

    /// What a title's inherited values take from its resolution, worked out once per title and
    /// applied to each value of its profile: the confidence, the rationale of an authoritative
    /// value, and the metadata every inherited value carries.
    ///
    /// ```swift
    /// let inheritance = TitleInheritanceRule.Inheritance(resolution)!   // nil: unresolved, nothing inherited
    /// inheritance.confidence(0.9)                                        // 0.9 x the resolution's confidence
    /// inheritance.metadata(own: [:], method: .oasisRating, confidence: 1)
    /// // ["profile_code": "21211.00", "resolution_method": "exact_label", "resolution_confidence": "1.0",
    /// //  "source_confidence": "1.0", "source_method": "oasis_rating", ...]
    /// ```
    public struct Inheritance: Sendable {
        public let resolution: Resolution
        /// The rationale of an inherited authoritative value (an O*NET value keeps its own).
        public let rationale: String
        /// What every inherited value's metadata holds, whatever its source value.
        private let base: [String: String]

        public init?(_ resolution: Resolution) {
            guard resolution.isResolved else { return nil }
            self.resolution = resolution
            var base = [
                "profile_code": resolution.profileCode,
                "resolution_method": resolution.method,
                "resolution_confidence": String(resolution.confidence),
            ]
            if let unitGroupSource = resolution.unitGroupSource { base["unit_group_source"] = unitGroupSource }
            if let score = resolution.fuzzyScore, resolution.method == "fuzzy" { base["fuzzy_score"] = String(score) }
            self.base = base
            rationale = "inherited from OaSIS profile \(resolution.profileCode) (\(resolution.method), confidence \(resolution.confidence))"
        }

        /// The title's confidence in a value its profile holds with `confidence`: the source's x the resolution's.
        public func confidence(_ confidence: Double) -> Double { confidence * resolution.confidence }

        /// What the inheritance adds to the metadata of a value inherited from a candidate of
        /// this method and confidence.
        public func added(method: CandidateMethod, confidence: Double) -> [String: String] {
            var added = base
            added["source_confidence"] = String(confidence)
            added["source_method"] = method.rawValue
            return added
        }

        /// The inherited value's metadata: the source's own, with what the inheritance adds (its keys win).
        public func metadata(own: [String: String], method: CandidateMethod, confidence: Double) -> [String: String] {
            let added = added(method: method, confidence: confidence)
            return own.isEmpty ? added : own.merging(added) { _, inherited in inherited }
        }

        /// ``metadata(own:method:confidence:)`` as `JSONText.object` writes it, from the source's
        /// own metadata as pairs sorted by key and the pairs `added` sorted once by the caller: a
        /// long export writes one per inherited O*NET value, without a dictionary for each.
        public static func metadataObject(own: [(key: String, value: String)], added: [(key: String, value: String)]) -> String {
            var bytes: [UInt8] = [UInt8(ascii: "{")]
            bytes.reserveCapacity(64 * (own.count + added.count))
            var ownIndex = 0, addedIndex = 0
            while ownIndex < own.count || addedIndex < added.count {
                let pair: (key: String, value: String)
                if addedIndex == added.count || (ownIndex < own.count && own[ownIndex].key < added[addedIndex].key) {
                    pair = own[ownIndex]
                    ownIndex += 1
                } else {
                    // The same key in both: the inheritance's wins.
                    if ownIndex < own.count, own[ownIndex].key == added[addedIndex].key { ownIndex += 1 }
                    pair = added[addedIndex]
                    addedIndex += 1
                }
                if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
                JSONText.appendQuoted(pair.key, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                JSONText.appendQuoted(pair.value, to: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// The title's candidates from its profile's candidates. Only the resolved profile's own
    /// authoritative and O*NET candidates are used; anything else passed in is ignored.
    /// `observedAt` defaults to each source candidate's own time.
    public static func candidates(_ resolution: Resolution, profileCandidates: [Candidate],
                                  observedAt: Date? = nil) -> [Candidate] {
        guard let inheritance = Inheritance(resolution) else { return [] }
        let subject = Subject.title(resolution.titleID)
        let profile = resolution.profileCode
        let profileSubject = Subject.profile(profile)
        let sourceIDs = [profile]
        // Shared by the inherited cells of one method and confidence (most of a profile's ~250).
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
                metadata = inheritance.metadata(own: own, method: method, confidence: confidence)
                if own.isEmpty { last = (method, confidence, metadata) }
            }
            let key = CellKey(subject: subject, descriptor: profileCandidates[index].key.descriptor,
                              dimension: profileCandidates[index].key.dimension)
            let time = observedAt ?? profileCandidates[index].observedAt
            if kind == .onet {
                inherited.append(Candidate(key: key, value: profileCandidates[index].value, text: profileCandidates[index].text,
                                           source: .onet, method: method, sourceLevel: profileCandidates[index].sourceLevel,
                                           sourceIDs: profileCandidates[index].sourceIDs, confidence: inheritance.confidence(confidence),
                                           rationale: profileCandidates[index].rationale, release: profileCandidates[index].release,
                                           observedAt: time, metadata: metadata))
            } else {
                inherited.append(Candidate(key: key, value: profileCandidates[index].value, text: profileCandidates[index].text,
                                           source: .authoritative, method: Self.method, sourceLevel: .l6, sourceIDs: sourceIDs,
                                           confidence: inheritance.confidence(confidence), rationale: inheritance.rationale,
                                           release: profileCandidates[index].release, observedAt: time, metadata: metadata))
            }
        }
        return inherited
    }
}
