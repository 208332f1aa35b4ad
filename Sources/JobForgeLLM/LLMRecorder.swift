import Foundation
import JobForgeCore
import JobForgeStore

/// Where the tier keeps its cache and its outcomes. The store in production; memory in tests
/// and dry runs. Each call is one transaction, so a killed run keeps everything saved before.
public protocol LLMRecorder: Sendable {
    func cachedResponse(model: String, promptHash: String) async throws -> LLMResponseRecord?
    func saveResponse(_ record: LLMResponseRecord) async throws
    func saveOutcomes(_ outcomes: [CellOutcome]) async throws
    /// A finished batch: its responses and outcomes, in one transaction.
    func saveBatch(responses: [LLMResponseRecord], outcomes: [CellOutcome]) async throws
}

extension LLMRecorder {
    public func saveBatch(responses: [LLMResponseRecord], outcomes: [CellOutcome]) async throws {
        for response in responses { try await saveResponse(response) }
        try await saveOutcomes(outcomes)
    }
}

extension LLMLog: LLMRecorder {
    public func cachedResponse(model: String, promptHash: String) async throws -> LLMResponseRecord? {
        try cachedResponseRecord(model: model, promptHash: promptHash)
    }

    public func saveResponse(_ record: LLMResponseRecord) async throws {
        try saveResponseRecord(record)
    }

    public func saveOutcomes(_ outcomes: [CellOutcome]) async throws {
        try saveOutcomeRecords(outcomes.map(\.record))
    }

    public func saveBatch(responses: [LLMResponseRecord], outcomes: [CellOutcome]) async throws {
        try saveBatchRecords(responses: responses, outcomes: outcomes.map(\.record))
    }
}

/// A recorder that forgets everything when the process ends.
public actor InMemoryLLMRecorder: LLMRecorder {
    public private(set) var responses: [String: LLMResponseRecord] = [:]
    public private(set) var outcomes: [CellOutcome] = []

    public init() {}

    public func cachedResponse(model: String, promptHash: String) async throws -> LLMResponseRecord? {
        responses[model + "\u{1F}" + promptHash]
    }

    public func saveResponse(_ record: LLMResponseRecord) async throws {
        // Only validated answers are saved: one replaces whatever failed validation before.
        responses[record.model + "\u{1F}" + record.promptHash] = record
    }

    public func saveOutcomes(_ outcomes: [CellOutcome]) async throws {
        self.outcomes += outcomes
    }
}

extension CellOutcome {
    /// The row the store keeps.
    public var record: LLMOutcomeRecord {
        LLMOutcomeRecord(runID: runID, subjectKind: key.subject.kind.rawValue, subjectCode: key.subject.code,
                         descriptorCode: key.descriptor, dimension: key.dimension.rawValue, status: status.rawValue,
                         value: value, confidence: confidence, rationale: rationale, detail: detail, model: model,
                         requestID: requestID, promptHash: promptHash, at: at, fromCache: fromCache)
    }
}
