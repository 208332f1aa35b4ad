import Foundation
import JobForgeCore

/// The scale a descriptor is rated on, as the OaSIS guide (or O*NET) states it.
public struct RatingScale: Sendable, Hashable, Codable {
    public var minimum: Double
    public var maximum: Double
    /// What the numbers mean, in words: `importance, 1 (not important) to 5 (extremely important)`.
    public var label: String
    /// A value outside `minimum...maximum` that still counts as a rating (OaSIS `0`, not applicable).
    public var notApplicable: Double?

    public init(minimum: Double, maximum: Double, label: String, notApplicable: Double? = nil) {
        self.minimum = minimum
        self.maximum = maximum
        self.label = label
        self.notApplicable = notApplicable
    }

    /// Whether `value` is on this scale. Never clamps: a value off the scale is an invalid answer.
    public func contains(_ value: Double) -> Bool {
        guard value.isFinite else { return false }
        if let notApplicable, value == notApplicable { return true }
        return value >= minimum && value <= maximum
    }

    /// The scale of a descriptor as the store keeps it.
    public init(_ scale: DescriptorScale) {
        self.init(minimum: scale.minimum, maximum: scale.maximum, label: scale.label, notApplicable: scale.notApplicable)
    }

    public var rangeText: String { "\(JSONValue.format(minimum))-\(JSONValue.format(maximum))" }
}

/// A value already known for the title, given to the model as context.
public struct KnownValue: Sendable, Hashable, Codable {
    public var descriptorCode: String
    public var name: String
    public var dimension: CellDimension
    public var value: Double

    public init(descriptorCode: String, name: String, dimension: CellDimension, value: Double) {
        self.descriptorCode = descriptorCode
        self.name = name
        self.dimension = dimension
        self.value = value
    }
}

/// Everything the job architecture says about a title. User text: quoted as data in prompts.
public struct TitleContext: Sendable, Hashable, Codable {
    public var title: String
    public var titleFrench: String?
    public var function: String?
    public var family: String?
    public var managerialLevel: String?
    public var unitGroupCode: String?
    public var unitGroupTitle: String?
    public var leadStatement: String?
    public var knownValues: [KnownValue]

    public init(title: String, titleFrench: String? = nil, function: String? = nil, family: String? = nil,
                managerialLevel: String? = nil, unitGroupCode: String? = nil, unitGroupTitle: String? = nil,
                leadStatement: String? = nil, knownValues: [KnownValue] = []) {
        self.title = title
        self.titleFrench = titleFrench
        self.function = function
        self.family = family
        self.managerialLevel = managerialLevel
        self.unitGroupCode = unitGroupCode
        self.unitGroupTitle = unitGroupTitle
        self.leadStatement = leadStatement
        self.knownValues = knownValues
    }
}

/// A cell no higher source filled, with what the model needs to answer on the right scale.
public struct MissingCell: Sendable, Hashable, Codable {
    public var descriptorCode: String
    public var name: String
    public var dimension: CellDimension
    public var definition: String
    public var scale: RatingScale

    public init(descriptorCode: String, name: String, dimension: CellDimension, definition: String, scale: RatingScale) {
        self.descriptorCode = descriptorCode
        self.name = name
        self.dimension = dimension
        self.definition = definition
        self.scale = scale
    }
}

/// The tier's input for one subject: its context and the cells still empty.
public struct ImputationRequest: Sendable, Hashable, Codable {
    public var subject: Subject
    public var context: TitleContext
    public var missing: [MissingCell]
    /// The subject's context as the store held it when the request was made: the answers are
    /// tied to it (`Candidate.askedContext`) and stop counting if the title changes.
    public var askedContext: String?

    public init(subject: Subject, context: TitleContext, missing: [MissingCell], askedContext: String? = nil) {
        self.subject = subject
        self.context = context
        self.missing = missing
        self.askedContext = askedContext
    }
}

// MARK: - The answer, in the types the schema is derived from

/// The model's answer to one batch: one item per attribute asked.
public struct ImputationAnswer: StructuredOutput, Equatable {
    public var answers: [ImputedAttribute]

    public static let schemaName = "attribute_imputation"
    public static let fieldDescriptions: [String: String] = [
        "answers": "One item per attribute asked, in any order; no attribute that was not asked.",
        "attribute": "The attribute code exactly as asked (for example A01a02).",
        "rationale": "One or two sentences: why this value fits this job title.",
        "value": "The estimate on the attribute's own scale, between its min and max inclusive.",
        "confidence": "How sure the estimate is, from 0 (a guess) to 1 (certain).",
    ]

    public init(answers: [ImputedAttribute]) { self.answers = answers }
}

/// One attribute's estimate. The order of the fields is the order the model writes them:
/// the rationale comes before the value it justifies.
public struct ImputedAttribute: Decodable, Sendable, Equatable {
    public var attribute: String
    public var rationale: String
    public var value: Double
    public var confidence: Double

    public init(attribute: String, rationale: String, value: Double, confidence: Double) {
        self.attribute = attribute
        self.rationale = rationale
        self.value = value
        self.confidence = confidence
    }
}

// MARK: - Outcomes

/// What became of one cell asked (or one answer not asked for). Nothing is dropped silently.
public enum CellOutcomeStatus: String, Sendable, Codable, CaseIterable {
    /// A value on the scale with a confidence in 0...1: becomes a candidate.
    case answered
    /// The model refused (`message.refusal`).
    case refused
    /// Off the scale, confidence outside 0...1, undecodable, or truncated even alone; after one retry.
    case invalid
    /// An answer for an attribute that was not asked (or a second answer for one that was).
    case unasked
    /// Asked, not answered, even after being asked again in a smaller batch.
    case missing
    /// No usable response from the service (HTTP error after retries, timeout): asked again next run.
    case failed
}

public struct CellOutcome: Sendable, Equatable {
    public var key: CellKey
    public var status: CellOutcomeStatus
    public var value: Double?
    public var confidence: Double?
    public var rationale: String?
    /// Why the cell has this status, for anything but `answered`.
    public var detail: String?
    public var model: String
    public var requestID: String?
    public var promptHash: String?
    public var at: Date
    public var runID: String
    public var fromCache: Bool

    public init(key: CellKey, status: CellOutcomeStatus, value: Double? = nil, confidence: Double? = nil,
                rationale: String? = nil, detail: String? = nil, model: String, requestID: String?,
                promptHash: String?, at: Date, runID: String, fromCache: Bool = false) {
        self.key = key
        self.status = status
        self.value = value
        self.confidence = confidence
        self.rationale = rationale
        self.detail = detail
        self.model = model
        self.requestID = requestID
        self.promptHash = promptHash
        self.at = at
        self.runID = runID
        self.fromCache = fromCache
    }
}
