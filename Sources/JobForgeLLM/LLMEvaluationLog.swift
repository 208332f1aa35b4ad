import Foundation
import GRDB
import JobForgeCore
import JobForgeStore

/// A model's answer to one cell of `evaluate llm` (a cell whose truth is known), kept per model
/// so that an interrupted evaluation resumes without asking it again.
public struct LLMEvaluationAnswer: Sendable, Equatable {
    public var model: String
    public var key: CellKey
    /// `answered`, `invalid`, `refused` or `missing` (a `failed` cell is not kept: it is asked again).
    public var status: String
    public var value: Double?
    public var confidence: Double?
    public var detail: String?
    public var at: Date

    public init(model: String, key: CellKey, status: String, value: Double?, confidence: Double?, detail: String?, at: Date) {
        self.model = model
        self.key = key
        self.status = status
        self.value = value
        self.confidence = confidence
        self.detail = detail
        self.at = at
    }
}

/// One evaluation of a model, as `evaluate llm` stored it: its figures as JSON, and the
/// calibration that maps the model's stated confidence to measured accuracy.
public struct LLMEvaluationRecord: Sendable, Equatable {
    public var id: Int64
    public var model: String
    public var evaluatedAt: Date
    public var sample: Int
    public var seed: UInt64
    /// The report, as `evaluate llm --json` prints it.
    public var report: String
    public var calibration: ConfidenceCalibration
}

extension LLMSchema {
    static func registerEvaluationMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2-llm-evaluation") { db in
            try db.execute(sql: """
                CREATE TABLE llm_evaluation_answer (
                    model TEXT NOT NULL,
                    subject_kind TEXT NOT NULL,
                    subject_code TEXT NOT NULL,
                    descriptor_code TEXT NOT NULL,
                    dimension TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('answered', 'refused', 'invalid', 'missing')),
                    value REAL,
                    confidence REAL,
                    detail TEXT,
                    at TEXT NOT NULL,
                    PRIMARY KEY (model, subject_kind, subject_code, descriptor_code, dimension)
                );
                CREATE TABLE llm_evaluation (
                    id INTEGER PRIMARY KEY,
                    model TEXT NOT NULL,
                    evaluated_at TEXT NOT NULL,
                    sample INTEGER NOT NULL,
                    seed INTEGER NOT NULL,
                    report TEXT NOT NULL,
                    calibration TEXT NOT NULL
                );
                CREATE INDEX llm_evaluation_model ON llm_evaluation(model, id);
                """)
        }
    }
}

extension LLMLog {
    // MARK: - Evaluation answers

    /// The answers kept for `model`, by cell.
    public func evaluationAnswers(model: String) throws -> [CellKey: LLMEvaluationAnswer] {
        try dbQueue.read { db in
            var answers: [CellKey: LLMEvaluationAnswer] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM llm_evaluation_answer WHERE model = ?", arguments: [model]) {
                guard let kind = Subject.Kind(rawValue: row["subject_kind"]) else {
                    throw StoreError.corrupt(table: "llm_evaluation_answer", column: "subject_kind", value: row["subject_kind"])
                }
                let key = CellKey(subject: Subject(kind: kind, code: row["subject_code"]), descriptor: row["descriptor_code"],
                                  dimension: CellDimension(row["dimension"]))
                let at: String = row["at"]
                guard let date = Timestamp.date(at) else {
                    throw StoreError.corrupt(table: "llm_evaluation_answer", column: "at", value: at)
                }
                answers[key] = LLMEvaluationAnswer(model: model, key: key, status: row["status"], value: row["value"],
                                                   confidence: row["confidence"], detail: row["detail"], at: date)
            }
            return answers
        }
    }

    /// Keeps a batch's answers (replacing any earlier answer of the same cell) and its responses
    /// (the cache) in one transaction.
    public func saveEvaluationBatch(responses: [LLMResponseRecord], answers: [LLMEvaluationAnswer]) throws {
        guard !responses.isEmpty || !answers.isEmpty else { return }
        try dbQueue.write { db in
            let cache = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO llm_response
                (model, prompt_hash, request_id, response_body, prompt_tokens, completion_tokens, received_at, run_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for record in responses {
                try cache.execute(arguments: [record.model, record.promptHash, record.requestID, record.responseBody,
                                              record.promptTokens, record.completionTokens,
                                              Timestamp.string(record.receivedAt), record.runID])
            }
            let statement = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO llm_evaluation_answer
                (model, subject_kind, subject_code, descriptor_code, dimension, status, value, confidence, detail, at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for answer in answers {
                try statement.execute(arguments: [
                    answer.model, answer.key.subject.kind.rawValue, answer.key.subject.code, answer.key.descriptor,
                    answer.key.dimension.rawValue, answer.status, answer.value, answer.confidence, answer.detail,
                    Timestamp.string(answer.at),
                ])
            }
        }
    }

    // MARK: - Evaluations

    public func recordEvaluation(model: String, at: Date, sample: Int, seed: UInt64, report: String,
                                 calibration: ConfidenceCalibration) throws {
        let calibrationText = String(decoding: try JSONEncoder().encode(calibration), as: UTF8.self)
        try dbQueue.write { db in
            try db.execute(sql: """
                INSERT INTO llm_evaluation (model, evaluated_at, sample, seed, report, calibration) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [model, Timestamp.string(at), sample, Int64(bitPattern: seed), report, calibrationText])
        }
    }

    /// The latest evaluation of `model`, or nil when it was never evaluated.
    public func latestEvaluation(model: String) throws -> LLMEvaluationRecord? {
        try dbQueue.read { db in try Self.latestEvaluation(model: model, in: db) }
    }

    /// The latest evaluation of every model evaluated, by model name (what the report shows).
    public func latestEvaluations() throws -> [LLMEvaluationRecord] {
        try dbQueue.read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT model FROM llm_evaluation ORDER BY model").compactMap {
                try Self.latestEvaluation(model: $0, in: db)
            }
        }
    }

    /// ``latestEvaluation(model:)`` in the caller's transaction.
    public static func latestEvaluation(model: String, in db: Database) throws -> LLMEvaluationRecord? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM llm_evaluation WHERE model = ? ORDER BY id DESC LIMIT 1",
                                         arguments: [model]) else { return nil }
        let calibrationText: String = row["calibration"], at: String = row["evaluated_at"]
        guard let calibration = try? JSONDecoder().decode(ConfidenceCalibration.self, from: Data(calibrationText.utf8)) else {
            throw StoreError.corrupt(table: "llm_evaluation", column: "calibration", value: calibrationText)
        }
        guard let date = Timestamp.date(at) else { throw StoreError.corrupt(table: "llm_evaluation", column: "evaluated_at", value: at) }
        let seed: Int64 = row["seed"]
        return LLMEvaluationRecord(id: row["id"], model: row["model"], evaluatedAt: date, sample: row["sample"],
                                   seed: UInt64(bitPattern: seed), report: row["report"], calibration: calibration)
    }
}

/// The recorder of `evaluate llm`: responses go to the shared cache, what became of each cell
/// to `llm_evaluation_answer` (never to `llm_cell_outcome`: these cells are not imputed).
public struct LLMEvaluationRecorder: LLMRecorder {
    public let log: LLMLog

    public init(_ log: LLMLog) { self.log = log }

    public func cachedResponse(model: String, promptHash: String) async throws -> LLMResponseRecord? {
        try log.cachedResponseRecord(model: model, promptHash: promptHash)
    }

    public func saveResponse(_ record: LLMResponseRecord) async throws {
        try log.saveResponseRecord(record)
    }

    public func saveOutcomes(_ outcomes: [CellOutcome]) async throws {
        try log.saveEvaluationBatch(responses: [], answers: Self.answers(outcomes))
    }

    public func saveBatch(responses: [LLMResponseRecord], outcomes: [CellOutcome]) async throws {
        try log.saveEvaluationBatch(responses: responses, answers: Self.answers(outcomes))
    }

    /// The outcomes worth keeping: a failed cell is asked again; an answer not asked is no cell.
    static func answers(_ outcomes: [CellOutcome]) -> [LLMEvaluationAnswer] {
        outcomes.filter { $0.status != .failed && $0.status != .unasked }.map {
            LLMEvaluationAnswer(model: $0.model, key: $0.key, status: $0.status.rawValue, value: $0.value,
                                confidence: $0.confidence, detail: $0.detail, at: $0.at)
        }
    }
}
