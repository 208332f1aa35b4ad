import Foundation
import GRDB
import JobForgeCore
import JobForgeStore

/// The O*NET tier measured against OaSIS, as `jobforge evaluate onet` prints it (`--json`) and
/// keeps it, so that a report reads the latest evaluation without computing it again.
public struct ONetEvaluationReport: Sendable, Codable, Equatable {
    public var evaluatedAt: Date
    /// The O*NET release the evaluated values came from.
    public var release: String?
    /// What the values were compared with.
    public var truth: String
    public var figures: TierEvaluation
    /// Importances (which OaSIS does not rate) measured against O*NET itself, leave-one-SOC-out;
    /// nil in evaluations kept before it was measured.
    public var importance: Importance?

    /// The importance figures and what they were compared with.
    public struct Importance: Sendable, Codable, Equatable {
        public var truth: String
        public var figures: TierEvaluation

        public init(truth: String, figures: TierEvaluation) {
            self.truth = truth
            self.figures = figures
        }

        enum CodingKeys: String, CodingKey {
            case truth, overall, categories, descriptors, calibration
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(truth, forKey: .truth)
            try container.encode(figures.overall, forKey: .overall)
            try container.encode(figures.categories, forKey: .categories)
            try container.encode(figures.descriptors, forKey: .descriptors)
            try container.encode(figures.calibration, forKey: .calibration)
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            truth = try container.decode(String.self, forKey: .truth)
            figures = TierEvaluation(overall: try container.decode(ErrorFigures.self, forKey: .overall),
                                     categories: try container.decode([TierEvaluation.Group].self, forKey: .categories),
                                     descriptors: try container.decode([TierEvaluation.DescriptorGroup].self, forKey: .descriptors),
                                     calibration: try container.decode([TierEvaluation.CalibrationBucket].self, forKey: .calibration))
        }
    }

    public init(evaluatedAt: Date, release: String?, truth: String, figures: TierEvaluation, importance: Importance? = nil) {
        self.evaluatedAt = evaluatedAt
        self.release = release
        self.truth = truth
        self.figures = figures
        self.importance = importance
    }

    enum CodingKeys: String, CodingKey {
        case tier, evaluatedAt = "evaluated_at", release, truth, overall, categories, descriptors, calibration, importance
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("onet", forKey: .tier)
        try container.encode(Timestamp.string(evaluatedAt), forKey: .evaluatedAt)
        try container.encodeIfPresent(release, forKey: .release)
        try container.encode(truth, forKey: .truth)
        try container.encode(figures.overall, forKey: .overall)
        try container.encode(figures.categories, forKey: .categories)
        try container.encode(figures.descriptors, forKey: .descriptors)
        try container.encode(figures.calibration, forKey: .calibration)
        try container.encodeIfPresent(importance, forKey: .importance)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let stamp = try container.decode(String.self, forKey: .evaluatedAt)
        guard let date = Timestamp.date(stamp) else {
            throw DecodingError.dataCorruptedError(forKey: .evaluatedAt, in: container, debugDescription: "not a timestamp: \(stamp)")
        }
        evaluatedAt = date
        release = try container.decodeIfPresent(String.self, forKey: .release)
        truth = try container.decode(String.self, forKey: .truth)
        figures = TierEvaluation(overall: try container.decode(ErrorFigures.self, forKey: .overall),
                                 categories: try container.decode([TierEvaluation.Group].self, forKey: .categories),
                                 descriptors: try container.decode([TierEvaluation.DescriptorGroup].self, forKey: .descriptors),
                                 calibration: try container.decode([TierEvaluation.CalibrationBucket].self, forKey: .calibration))
        importance = try container.decodeIfPresent(Importance.self, forKey: .importance)
    }
}

extension ONetArchive {
    /// `v2-onet-evaluation`: each `evaluate onet`, its figures as the command's JSON.
    static func registerEvaluationMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2-onet-evaluation") { db in
            try db.execute(sql: """
                CREATE TABLE onet_evaluation (
                    id INTEGER PRIMARY KEY,
                    evaluated_at TEXT NOT NULL,
                    release TEXT,
                    report TEXT NOT NULL
                );
                """)
        }
    }

    /// Keeps an evaluation (one transaction); the latest is what `latestEvaluation()` returns.
    public func recordEvaluation(_ report: ONetEvaluationReport) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(report), as: UTF8.self)
        try dbQueue.write { db in
            try db.execute(sql: "INSERT INTO onet_evaluation (evaluated_at, release, report) VALUES (?, ?, ?)",
                           arguments: [Timestamp.string(report.evaluatedAt), report.release, text])
        }
    }

    /// The latest `evaluate onet`, or nil when none ran on this store.
    public func latestEvaluation() throws -> ONetEvaluationReport? {
        try dbQueue.read { db in
            guard let text = try String.fetchOne(db, sql: "SELECT report FROM onet_evaluation ORDER BY id DESC LIMIT 1") else { return nil }
            do {
                return try JSONDecoder().decode(ONetEvaluationReport.self, from: Data(text.utf8))
            } catch {
                throw StoreError.corrupt(table: "onet_evaluation", column: "report", value: String(text.prefix(80)))
            }
        }
    }
}
