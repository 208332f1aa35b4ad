import Foundation
import Testing
import JobForgeTestSupport
@testable import JobForgeTitles

/// The scorer against the vectors computed with rapidfuzz 3.14.6 (1,907 pairs, five scorers).
@Suite struct FuzzyScorerTests {
    struct Vector {
        var line: Int
        var query: String
        var choice: String
        var expected: [Double]
    }

    static func vectors() throws -> [Vector] {
        let url = RepoPaths.fixtures.appendingPathComponent("vectors/wratio_rapidfuzz.tsv")
        let text = try String(contentsOf: url, encoding: .utf8)
        var vectors: [Vector] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where index > 0 && !line.isEmpty {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 7 else { throw TestFailure("line \(index + 1): \(fields.count) fields") }
            vectors.append(Vector(line: index + 1, query: fields[0], choice: fields[1],
                                  expected: fields[2...].map { Double($0)! }))
        }
        return vectors
    }

    struct TestFailure: Error, CustomStringConvertible { var description: String; init(_ d: String) { description = d } }

    @Test func reproducesAllFiveRapidfuzzScorersOnEveryVector() throws {
        let vectors = try Self.vectors()
        #expect(vectors.count == 1907)
        var failures: [String] = []
        let names = ["WRatio", "ratio", "token_sort_ratio", "token_set_ratio", "partial_ratio"]
        for vector in vectors {
            let got = [
                FuzzyScorer.wRatio(vector.query, vector.choice),
                FuzzyScorer.ratio(vector.query, vector.choice),
                FuzzyScorer.tokenSortRatio(vector.query, vector.choice),
                FuzzyScorer.tokenSetRatio(vector.query, vector.choice),
                FuzzyScorer.partialRatio(vector.query, vector.choice),
            ]
            for i in 0..<5 where abs(got[i] - vector.expected[i]) > 0.01 {
                failures.append("line \(vector.line) \(names[i])(\"\(vector.query)\", \"\(vector.choice)\"): \(got[i]) != \(vector.expected[i])")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) mismatches:\n\(failures.prefix(20).joined(separator: "\n"))")
    }

    @Test func longNeedlesUseTheMultiWordLCS() {
        // 100-character strings exercise the two-word bit-parallel path; compare with a plain DP.
        let a = String(repeating: "abcde fghij ", count: 9), b = String(repeating: "abxde fgyij ", count: 9) + "zz"
        let s1 = FuzzyScorer.scalars(a), s2 = FuzzyScorer.scalars(b)
        var table = [[Int]](repeating: [Int](repeating: 0, count: s2.count + 1), count: s1.count + 1)
        for i in 1...s1.count { for j in 1...s2.count {
            table[i][j] = s1[i - 1] == s2[j - 1] ? table[i - 1][j - 1] + 1 : max(table[i - 1][j], table[i][j - 1])
        } }
        #expect(FuzzyScorer.lcsLength(s1[...], s2[...]) == table[s1.count][s2.count])
        #expect(FuzzyScorer.lcsLength(s2[...], s1[...]) == table[s1.count][s2.count])
    }
}
