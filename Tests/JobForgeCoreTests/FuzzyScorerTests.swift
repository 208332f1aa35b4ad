import Foundation
import Testing
import JobForgeTestSupport
@testable import JobForgeCore

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

    /// LCS by dynamic programming, the reference for the bit-parallel one.
    static func plainLCS(_ s1: ArraySlice<UInt32>, _ s2: ArraySlice<UInt32>) -> Int {
        let a = Array(s1), b = Array(s2)
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 1...a.count { for j in 1...b.count {
            table[i][j] = a[i - 1] == b[j - 1] ? table[i - 1][j - 1] + 1 : max(table[i - 1][j], table[i][j - 1])
        } }
        return table[a.count][b.count]
    }

    /// partial_ratio by exhaustive search: every full window, every shorter prefix and suffix.
    static func plainPartialRatio(_ s1: [UInt32], _ s2: [UInt32]) -> Double {
        if s1.isEmpty || s2.isEmpty { return s1.count == s2.count ? 100 : 0 }
        func oneWay(_ needle: [UInt32], _ haystack: [UInt32]) -> Double {
            let len1 = needle.count, len2 = haystack.count
            func score(_ range: Range<Int>) -> Double {
                FuzzyScorer.normalizedIndel(lcs: plainLCS(needle[...], haystack[range]), len1: len1, len2: range.count)
            }
            var best = (0...(len2 - len1)).map { score($0..<($0 + len1)) }.max()!
            for end in stride(from: 1, to: len1, by: 1) { best = max(best, score(0..<end)) }
            for start in (len2 - len1 + 1)..<len2 { best = max(best, score(start..<len2)) }
            return best
        }
        if s1.count > s2.count { return oneWay(s2, s1) }
        return s1.count == s2.count ? max(oneWay(s1, s2), oneWay(s2, s1)) : oneWay(s1, s2)
    }

    /// Random strings over a small alphabet (so that they share a lot), some beyond 64
    /// characters (several mask words) and some beyond ASCII.
    struct RandomStrings {
        var state: UInt64

        mutating func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }

        mutating func string() -> String {
            let alphabet: [Character] = ["a", "b", "c", "d", "e", " ", "é", "-"]
            let length = next(4) == 0 ? 40 + next(60) : 1 + next(30)
            return String((0..<length).map { _ in alphabet[next(next(5) == 0 ? alphabet.count : 4)] })
        }
    }

    @Test func longNeedlesUseTheMultiWordLCS() {
        // 100-character strings exercise the two-word bit-parallel path; compare with a plain DP.
        let a = String(repeating: "abcde fghij ", count: 9), b = String(repeating: "abxde fgyij ", count: 9) + "zz"
        let s1 = FuzzyScorer.scalars(a), s2 = FuzzyScorer.scalars(b)
        #expect(FuzzyScorer.lcsLength(s1, s2) == Self.plainLCS(s1[...], s2[...]))
        #expect(FuzzyScorer.lcsLength(s2, s1) == Self.plainLCS(s1[...], s2[...]))
    }

    @Test func partialRatioEqualsAnExhaustiveSearch() {
        // The window pruning, the one-pass sweeps and the two ways of holding the masks must
        // find exactly what trying everything finds.
        var random = RandomStrings(state: 7)
        var workspace = FuzzyScorer.Workspace()
        for _ in 0..<400 {
            let a = random.string(), b = random.string()
            let expected = Self.plainPartialRatio(FuzzyScorer.scalars(a), FuzzyScorer.scalars(b))
            #expect(FuzzyScorer.partialRatio(a, b) == expected, "\(a) | \(b)")
            let query = FuzzyScorer.Prepared(a, query: true), choice = FuzzyScorer.Prepared(b)
            let withMasks = query.withView { queryText in
                choice.withView { workspace.partialRatio(queryText.scalars, query.masks?.scalars, $0.scalars, above: -1) }
            }
            #expect(withMasks == expected, "\(a) | \(b), with the query's masks")
        }
    }

    @Test func aCutoffOnlySkipsScoresAtOrBelowIt() {
        var random = RandomStrings(state: 11)
        var workspace = FuzzyScorer.Workspace()
        for _ in 0..<3_000 {
            let query = FuzzyScorer.Prepared(random.string(), query: true), choice = FuzzyScorer.Prepared(random.string())
            let exact = FuzzyScorer.wRatio(query.text, choice.text)
            #expect(FuzzyScorer.wRatio(query, choice, above: -1, workspace: &workspace) == exact)
            let cutoff = Double(random.next(100))
            let scored = FuzzyScorer.wRatio(query, choice, above: cutoff, workspace: &workspace)
            if exact > cutoff {
                #expect(scored == exact, "\(query.text) | \(choice.text) above \(cutoff)")
            } else {
                #expect(scored <= exact, "\(query.text) | \(choice.text) above \(cutoff)")
            }
        }
    }
}
