import Foundation

/// A value a source offers every subject of a NOC unit group: the unit group itself (L5) and
/// each of its OaSIS profiles (L6), which share its O*NET-SOC codes; titles (L7) inherit it from
/// their profile. The store keeps one copy per unit group and hands it to each subject as a
/// `Candidate` when the subject is read.
public struct UnitGroupOffer: Sendable {
    public var unitGroup: String
    public var descriptor: String
    public var dimension: CellDimension
    public var value: Double
    public var confidence: Double
    public var source: Source
    public var method: CandidateMethod
    public var sourceIDs: [String]
    public var release: String?
    public var observedAt: Date
    /// Facts kept for audit (a candidate's `metadata`), sorted by key so that the same offer
    /// always reads and packs the same; a list, as tens of thousands are made per build.
    public var details: [(key: String, value: String)]

    public init(unitGroup: String, descriptor: String, dimension: CellDimension, value: Double, confidence: Double,
                source: Source, method: CandidateMethod, sourceIDs: [String], release: String?, observedAt: Date,
                details: [(key: String, value: String)] = []) {
        self.unitGroup = unitGroup
        self.descriptor = descriptor
        self.dimension = dimension
        self.value = value
        self.confidence = confidence
        self.source = source
        self.method = method
        self.sourceIDs = sourceIDs
        self.release = release
        self.observedAt = observedAt
        self.details = details.sorted { $0.key < $1.key }
    }

    /// The offer as one subject's candidate: at the subject's own source level by default, its
    /// confidence scaled by `confidenceFactor` (a title's resolution, say) and kept within 0-1.
    public func candidate(for subject: Subject, sourceLevel: SourceLevel? = nil, confidenceFactor: Double = 1) -> Candidate {
        let scaled = confidenceFactor == 1 ? confidence : (min(1, max(0, confidenceFactor * confidence)) * 1000).rounded() / 1000
        return Candidate(key: CellKey(subject: subject, descriptor: descriptor, dimension: dimension), value: value,
                         source: source, method: method, sourceLevel: sourceLevel ?? subject.level, sourceIDs: sourceIDs,
                         confidence: scaled, release: release, observedAt: observedAt,
                         metadata: Dictionary(details, uniquingKeysWith: { first, _ in first }))
    }
}
