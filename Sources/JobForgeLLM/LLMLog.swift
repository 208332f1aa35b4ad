import Foundation
import GRDB
import JobForgeCore
import JobForgeStore

/// A response of the model kept in the cache: a re-run, or a run resumed after a kill,
/// finds it by model and prompt hash and makes no call.
public struct LLMResponseRecord: Sendable, Equatable {
    public var model: String
    /// SHA-256 of the request body (which includes the model, the messages and the schema).
    public var promptHash: String
    public var requestID: String?
    /// The chat completion as the server sent it (JSON text).
    public var responseBody: String
    public var promptTokens: Int
    public var completionTokens: Int
    public var receivedAt: Date
    public var runID: String

    public init(model: String, promptHash: String, requestID: String?, responseBody: String, promptTokens: Int,
                completionTokens: Int, receivedAt: Date, runID: String) {
        self.model = model
        self.promptHash = promptHash
        self.requestID = requestID
        self.responseBody = responseBody
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.receivedAt = receivedAt
        self.runID = runID
    }
}

/// What became of one cell asked of the model in one run: answered, refused, invalid,
/// unasked, missing or failed, with the why. Append-only history.
public struct LLMOutcomeRecord: Sendable, Equatable {
    public var runID: String
    public var subjectKind: String
    public var subjectCode: String
    public var descriptorCode: String
    public var dimension: String
    public var status: String
    public var value: Double?
    public var confidence: Double?
    public var rationale: String?
    public var detail: String?
    public var model: String
    public var requestID: String?
    public var promptHash: String?
    public var at: Date
    public var fromCache: Bool

    public init(runID: String, subjectKind: String, subjectCode: String, descriptorCode: String, dimension: String,
                status: String, value: Double?, confidence: Double?, rationale: String?, detail: String?, model: String,
                requestID: String?, promptHash: String?, at: Date, fromCache: Bool) {
        self.runID = runID
        self.subjectKind = subjectKind
        self.subjectCode = subjectCode
        self.descriptorCode = descriptorCode
        self.dimension = dimension
        self.status = status
        self.value = value
        self.confidence = confidence
        self.rationale = rationale
        self.detail = detail
        self.model = model
        self.requestID = requestID
        self.promptHash = promptHash
        self.at = at
        self.fromCache = fromCache
    }
}

/// A NOC 2021 unit group proposed by the model for a title the user gave no code.
/// Only a suggestion: the resolver never lets it override a code the user gave.
public struct LLMNOCSuggestionRecord: Sendable, Equatable {
    public var titleID: String
    /// `suggested`, `invalid`, `refused` or `failed`.
    public var status: String
    public var unitGroup: String?
    public var unitGroupTitle: String?
    public var confidence: Double?
    public var rationale: String?
    public var detail: String?
    public var model: String
    public var requestID: String?
    public var at: Date
    public var runID: String

    public init(titleID: String, status: String, unitGroup: String?, unitGroupTitle: String?, confidence: Double?,
                rationale: String?, detail: String?, model: String, requestID: String?, at: Date, runID: String) {
        self.titleID = titleID
        self.status = status
        self.unitGroup = unitGroup
        self.unitGroupTitle = unitGroupTitle
        self.confidence = confidence
        self.rationale = rationale
        self.detail = detail
        self.model = model
        self.requestID = requestID
        self.at = at
        self.runID = runID
    }
}

/// The LLM source's tables: the response cache, what became of every cell asked, and NOC
/// suggestions. Add migrations here, named "v1-llm", "v2-...", never edit shipped ones.
public enum LLMSchema: StoreSchema {
    public static func registerMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v1-llm") { db in
            try db.execute(sql: """
                CREATE TABLE llm_response (
                    model TEXT NOT NULL,
                    prompt_hash TEXT NOT NULL,
                    request_id TEXT,
                    response_body TEXT NOT NULL,
                    prompt_tokens INTEGER NOT NULL DEFAULT 0,
                    completion_tokens INTEGER NOT NULL DEFAULT 0,
                    received_at TEXT NOT NULL,
                    run_id TEXT NOT NULL,
                    PRIMARY KEY (model, prompt_hash)
                );
                CREATE TABLE llm_cell_outcome (
                    id INTEGER PRIMARY KEY,
                    run_id TEXT NOT NULL,
                    subject_kind TEXT NOT NULL,
                    subject_code TEXT NOT NULL,
                    descriptor_code TEXT NOT NULL,
                    dimension TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('answered', 'refused', 'invalid', 'unasked', 'missing', 'failed')),
                    value REAL,
                    confidence REAL,
                    rationale TEXT,
                    detail TEXT,
                    model TEXT NOT NULL,
                    request_id TEXT,
                    prompt_hash TEXT,
                    at TEXT NOT NULL,
                    from_cache INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX llm_cell_outcome_cell ON llm_cell_outcome(subject_kind, subject_code, descriptor_code, dimension);
                CREATE INDEX llm_cell_outcome_run ON llm_cell_outcome(run_id, status);
                CREATE TABLE llm_noc_suggestion (
                    id INTEGER PRIMARY KEY,
                    title_id TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('suggested', 'invalid', 'refused', 'failed')),
                    unit_group TEXT,
                    unit_group_title TEXT,
                    confidence REAL,
                    rationale TEXT,
                    detail TEXT,
                    model TEXT NOT NULL,
                    request_id TEXT,
                    at TEXT NOT NULL,
                    run_id TEXT NOT NULL
                );
                CREATE INDEX llm_noc_suggestion_title ON llm_noc_suggestion(title_id);
                """)
        }
        registerEvaluationMigrations(&migrator)
    }
}

/// The LLM source's log over a store: the response cache, cell outcomes and NOC suggestions.
/// It is also the tier's `LLMRecorder` in production (each call one transaction, so a killed
/// run keeps everything saved before it).
public struct LLMLog: Sendable {
    public let store: SQLiteStore
    public init(_ store: SQLiteStore) { self.store = store }
    var dbQueue: DatabaseQueue { store.dbQueue }
}

extension LLMLog {
    // MARK: - Response cache

    public func cachedResponseRecord(model: String, promptHash: String) throws -> LLMResponseRecord? {
        try dbQueue.read { db in
            try Row.fetchOne(db, sql: """
                SELECT model, prompt_hash, request_id, response_body, prompt_tokens, completion_tokens, received_at, run_id
                FROM llm_response WHERE model = ? AND prompt_hash = ?
                """, arguments: [model, promptHash]).map(Self.responseRecord)
        }
    }

    /// Caches a response. Only answers that validated are saved (the tier and the suggester check
    /// first), and an answer is only asked again when the cached one failed validation, so a
    /// saved answer replaces only such garbage, never a good answer.
    public func saveResponseRecord(_ record: LLMResponseRecord) throws {
        try dbQueue.write { db in
            try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO llm_response
                (model, prompt_hash, request_id, response_body, prompt_tokens, completion_tokens, received_at, run_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [record.model, record.promptHash, record.requestID, record.responseBody,
                                         record.promptTokens, record.completionTokens,
                                         Timestamp.string(record.receivedAt), record.runID])
        }
    }

    public func cachedResponseCount(model: String? = nil) throws -> Int {
        try dbQueue.read { db in
            if let model {
                return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM llm_response WHERE model = ?", arguments: [model]) ?? 0
            }
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM llm_response") ?? 0
        }
    }

    /// Which cached responses `clearCachedResponses` removes.
    public enum CachedResponseSelection: Sendable, Equatable {
        case all
        /// Responses that are no usable answer: see `isReplayable(body:)`, or whose cells were
        /// recorded invalid, unasked or missing (the off-scale values of a store written before
        /// answers were checked).
        case invalid
    }

    /// Deletes cached responses (of one model, or all) in one transaction and returns how many;
    /// the cells they answered are asked again on the next run. Outcomes and candidates stay.
    @discardableResult
    public func clearCachedResponses(model: String? = nil, selection: CachedResponseSelection = .all) throws -> Int {
        try dbQueue.write { db in
            var sql = "SELECT model, prompt_hash, response_body FROM llm_response"
            var arguments: StatementArguments = []
            if let model {
                sql += " WHERE model = ?"
                arguments = [model]
            }
            let flagged = selection == .invalid ? Set(try Row.fetchAll(db, sql: """
                SELECT DISTINCT model, prompt_hash FROM llm_cell_outcome
                WHERE prompt_hash IS NOT NULL AND status IN ('invalid', 'unasked', 'missing')
                """).map { (row: Row) -> String in (row["model"] as String) + "\u{1F}" + (row["prompt_hash"] as String) }) : []
            let delete = try db.cachedStatement(sql: "DELETE FROM llm_response WHERE model = ? AND prompt_hash = ?")
            var removed = 0
            for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
                let model: String = row["model"], hash: String = row["prompt_hash"], body: String = row["response_body"]
                if selection == .invalid, Self.isReplayable(body: body), !flagged.contains(model + "\u{1F}" + hash) { continue }
                try delete.execute(arguments: [model, hash])
                removed += 1
            }
            return removed
        }
    }

    /// Whether a cached body can be read as an answer: a chat completion that is a refusal, or
    /// whose content is an imputation or a NOC suggestion that follows its schema, with finite
    /// values and confidences within 0-1, not cut at the token limit.
    public static func isReplayable(body: String) -> Bool {
        guard let response = try? JSONDecoder().decode(ChatCompletionResponse.self, from: Data(body.utf8)),
              let choice = response.choices.first else { return false }
        if let refusal = choice.message.refusal, !refusal.isEmpty { return true }
        if choice.finishReason == "content_filter" { return true }
        guard choice.finishReason != "length", let content = choice.message.content else { return false }
        let data = Data(content.utf8)
        if let answer = try? JSONDecoder().decode(ImputationAnswer.self, from: data) {
            return answer.answers.allSatisfy { $0.value.isFinite && $0.confidence.isFinite && (0...1).contains($0.confidence) }
        }
        if let suggestion = try? JSONDecoder().decode(NOCSuggestionAnswer.self, from: data) {
            return (0...1).contains(suggestion.confidence)
        }
        return false
    }

    // MARK: - Cell outcomes

    /// Appends outcomes in one transaction.
    public func saveOutcomeRecords(_ records: [LLMOutcomeRecord]) throws {
        try saveBatchRecords(responses: [], outcomes: records)
    }

    /// A batch's responses (cache) and outcomes in one transaction: one commit per batch.
    public func saveBatchRecords(responses: [LLMResponseRecord], outcomes records: [LLMOutcomeRecord]) throws {
        guard !records.isEmpty || !responses.isEmpty else { return }
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
                INSERT INTO llm_cell_outcome
                (run_id, subject_kind, subject_code, descriptor_code, dimension, status, value, confidence, rationale,
                 detail, model, request_id, prompt_hash, at, from_cache)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for record in records {
                try statement.execute(arguments: [
                    record.runID, record.subjectKind, record.subjectCode, record.descriptorCode, record.dimension,
                    record.status, record.value, record.confidence, record.rationale, record.detail, record.model,
                    record.requestID, record.promptHash, Timestamp.string(record.at), record.fromCache,
                ])
            }
        }
    }

    /// Outcomes of one run (or of every run), in the order they were recorded.
    public func outcomes(runID: String? = nil) throws -> [LLMOutcomeRecord] {
        try dbQueue.read { db in
            let select = "SELECT * FROM llm_cell_outcome"
            let rows = if let runID {
                try Row.fetchAll(db, sql: select + " WHERE run_id = ? ORDER BY id", arguments: [runID])
            } else {
                try Row.fetchAll(db, sql: select + " ORDER BY id")
            }
            return rows.map(Self.outcomeRecord)
        }
    }

    /// The latest outcome of each cell of a subject: what `explain` shows beside the LLM value.
    public func latestOutcomes(subject: Subject) throws -> [LLMOutcomeRecord] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT o.* FROM llm_cell_outcome o
                WHERE o.subject_kind = ? AND o.subject_code = ?
                  AND o.id = (SELECT MAX(id) FROM llm_cell_outcome l
                              WHERE l.subject_kind = o.subject_kind AND l.subject_code = o.subject_code
                                AND l.descriptor_code = o.descriptor_code AND l.dimension = o.dimension)
                ORDER BY o.descriptor_code, o.dimension
                """, arguments: [subject.kind.rawValue, subject.code]).map(Self.outcomeRecord)
        }
    }

    /// Outcome counts by status, for one run or all.
    public func outcomeCounts(runID: String? = nil) throws -> [String: Int] {
        try dbQueue.read { db in
            let rows = if let runID {
                try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM llm_cell_outcome WHERE run_id = ? GROUP BY status", arguments: [runID])
            } else {
                try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM llm_cell_outcome GROUP BY status")
            }
            var counts: [String: Int] = [:]
            for row in rows { counts[row["status"]] = row["n"] }
            return counts
        }
    }

    // MARK: - NOC suggestions

    public func saveNOCSuggestions(_ records: [LLMNOCSuggestionRecord]) throws {
        guard !records.isEmpty else { return }
        try dbQueue.write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT INTO llm_noc_suggestion
                (title_id, status, unit_group, unit_group_title, confidence, rationale, detail, model, request_id, at, run_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for record in records {
                try statement.execute(arguments: [
                    record.titleID, record.status, record.unitGroup, record.unitGroupTitle, record.confidence,
                    record.rationale, record.detail, record.model, record.requestID, Timestamp.string(record.at), record.runID,
                ])
            }
        }
    }

    /// The latest suggestion per title (any status), by title id.
    public func latestNOCSuggestions() throws -> [LLMNOCSuggestionRecord] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT s.* FROM llm_noc_suggestion s
                WHERE s.id = (SELECT MAX(id) FROM llm_noc_suggestion l WHERE l.title_id = s.title_id)
                ORDER BY s.title_id
                """).map { row in
                LLMNOCSuggestionRecord(
                    titleID: row["title_id"], status: row["status"], unitGroup: row["unit_group"],
                    unitGroupTitle: row["unit_group_title"], confidence: row["confidence"], rationale: row["rationale"],
                    detail: row["detail"], model: row["model"], requestID: row["request_id"],
                    at: (Timestamp.date(row["at"]) ?? Date(timeIntervalSince1970: 0)), runID: row["run_id"])
            }
        }
    }

    private static func responseRecord(_ row: Row) -> LLMResponseRecord {
        LLMResponseRecord(model: row["model"], promptHash: row["prompt_hash"], requestID: row["request_id"],
                          responseBody: row["response_body"], promptTokens: row["prompt_tokens"],
                          completionTokens: row["completion_tokens"], receivedAt: (Timestamp.date(row["received_at"]) ?? Date(timeIntervalSince1970: 0)),
                          runID: row["run_id"])
    }

    private static func outcomeRecord(_ row: Row) -> LLMOutcomeRecord {
        LLMOutcomeRecord(runID: row["run_id"], subjectKind: row["subject_kind"], subjectCode: row["subject_code"],
                         descriptorCode: row["descriptor_code"], dimension: row["dimension"], status: row["status"],
                         value: row["value"], confidence: row["confidence"], rationale: row["rationale"], detail: row["detail"],
                         model: row["model"], requestID: row["request_id"], promptHash: row["prompt_hash"],
                         at: (Timestamp.date(row["at"]) ?? Date(timeIntervalSince1970: 0)), fromCache: row["from_cache"])
    }
}

