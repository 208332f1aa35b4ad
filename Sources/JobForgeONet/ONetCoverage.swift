import Foundation
import GRDB
import JobForgeCore
import JobForgeStore

/// How much of O*NET's rating tables a release (or the store) holds. The shipped subset has no
/// Work Context and rates Abilities and Work Activities for two occupations only: those cells
/// then fall to the next source. `onet import` and `build` say so in the same words.
public struct ONetCoverage: Sendable, Equatable {
    /// Distinct occupations rated, by table; a table with no rating is absent.
    public var occupationsByTable: [ONetRatingTable: Int]

    /// A table rating fewer occupations than this share of the best-covered table is partial.
    static let partialShare = 0.5

    public init(occupationsByTable: [ONetRatingTable: Int]) {
        self.occupationsByTable = occupationsByTable.filter { $0.value > 0 }
    }

    /// The coverage of ratings read from a release.
    public init(_ ratings: [ONetRating]) {
        var occupations: [ONetRatingTable: Set<String>] = [:]
        for rating in ratings { occupations[rating.table, default: []].insert(rating.soc) }
        self.init(occupationsByTable: occupations.mapValues(\.count))
    }

    /// The coverage of the ratings the store holds (every release and fetch loaded).
    public static func stored(in db: Database) throws -> ONetCoverage {
        var counts: [ONetRatingTable: Int] = [:]
        let rows = try Row.fetchAll(db, sql: """
            SELECT rating_table, COUNT(*) FROM (SELECT DISTINCT rating_table, soc FROM onet_rating) GROUP BY rating_table
            """)
        for row in rows {
            let name: String = row[0]
            guard let table = ONetRatingTable(rawValue: name) else {
                throw StoreError.corrupt(table: "onet_rating", column: "rating_table", value: name)
            }
            counts[table] = row[1]
        }
        return ONetCoverage(occupationsByTable: counts)
    }

    /// Tables with no rating at all.
    public var missingTables: [ONetRatingTable] { ONetRatingTable.allCases.filter { occupationsByTable[$0] == nil } }

    /// Tables rated for far fewer occupations than the best-covered one, with their counts.
    public var partialTables: [(table: ONetRatingTable, occupations: Int)] {
        guard let most = occupationsByTable.values.max() else { return [] }
        return ONetRatingTable.allCases.compactMap { table in
            guard let count = occupationsByTable[table], Double(count) < Double(most) * Self.partialShare else { return nil }
            return (table, count)
        }
    }

    /// What is lacking and what to do, or nil when every table is well covered.
    public var warning: String? {
        let missing = missingTables, partial = partialTables
        guard !missing.isEmpty || !partial.isEmpty else { return nil }
        var lacks: [String] = []
        if !missing.isEmpty { lacks.append("no \(missing.map(\.categoryName).joined(separator: ", ")) ratings") }
        // The best-covered table, the first in the tables' order among equals.
        let covered = ONetRatingTable.allCases.compactMap { table in occupationsByTable[table].map { (table: table, occupations: $0) } }
        if !partial.isEmpty, let most = covered.max(by: { $0.occupations < $1.occupations }) {
            lacks.append(partial.map { "\($0.table.categoryName) for \($0.occupations) occupation\($0.occupations == 1 ? "" : "s") only" }
                .joined(separator: ", ") + " (\(most.table.categoryName): \(most.occupations))")
        }
        return "O*NET has " + lacks.joined(separator: "; ")
            + ": those cells fall to the next source. Import the full O*NET release for them: "
            + "`jobforge onet import db_29_3_text.zip`, then `jobforge build` (see the README)"
    }
}
