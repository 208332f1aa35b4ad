import Foundation

/// String similarity scores equivalent to rapidfuzz 3.x `fuzz` (`ratio`, `partial_ratio`,
/// `token_sort_ratio`, `token_set_ratio`, `WRatio`) with default arguments: no preprocessing,
/// case-sensitive, on Unicode scalars (what a Python `str` indexes). Scores are 0...100.
///
/// A faithful port rather than "something similar", so that a fuzzy match threshold of 70
/// means what it means to everyone who knows rapidfuzz, and so that the published vectors
/// (Tests/Fixtures/vectors/wratio_rapidfuzz.tsv) check it. Work is skipped only where a bound
/// proves it cannot change a `max`, so no shortcut ever changes a score.
///
/// Scoring one query against many choices retains and allocates nothing per pair: the choices
/// are tokenized once into shared buffers (`PreparedBatch`), the query's bit masks are built once
/// (`Prepared(_:query:)`), and the scorers read both through pointers, reusing a `Workspace`.
public enum FuzzyScorer {
    /// A string as rapidfuzz sees it: its Unicode scalars.
    public typealias Scalars = [UInt32]

    public static func scalars(_ text: String) -> Scalars {
        // Titles are nearly always ASCII: their UTF-8 bytes are their scalars.
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text.utf8.map { UInt32($0) } }
        return text.unicodeScalars.map(\.value)
    }

    // MARK: Public scorers on strings

    public static func ratio(_ s1: String, _ s2: String) -> Double { ratio(scalars(s1), scalars(s2)) }
    public static func partialRatio(_ s1: String, _ s2: String) -> Double { partialRatio(scalars(s1), scalars(s2)) }
    public static func tokenSortRatio(_ s1: String, _ s2: String) -> Double { tokenSortRatio(scalars(s1), scalars(s2)) }
    public static func tokenSetRatio(_ s1: String, _ s2: String) -> Double { tokenSetRatio(scalars(s1), scalars(s2)) }
    public static func wRatio(_ s1: String, _ s2: String) -> Double { wRatio(Prepared(s1), Prepared(s2)) }

    // MARK: Public scorers on scalars

    public static func ratio(_ s1: Scalars, _ s2: Scalars) -> Double {
        normalizedIndel(lcs: lcsLength(s1, s2), len1: s1.count, len2: s2.count)
    }

    public static func partialRatio(_ s1: Scalars, _ s2: Scalars) -> Double {
        var workspace = Workspace()
        return s1.withUnsafeBufferPointer { a in
            s2.withUnsafeBufferPointer { b in workspace.partialRatio(a, nil, b, above: -1) }
        }
    }

    public static func tokenSortRatio(_ s1: Scalars, _ s2: Scalars) -> Double {
        PreparedBatch([s1, s2]).withViews { texts in
            let a = texts[0].sortedJoined, b = texts[1].sortedJoined
            return normalizedIndel(lcs: lcsLength(a, b), len1: a.count, len2: b.count)
        }
    }

    public static func tokenSetRatio(_ s1: Scalars, _ s2: Scalars) -> Double {
        PreparedBatch([s1, s2]).withViews { texts in
            let a = texts[0], b = texts[1]
            // fuzzywuzzy compatibility: an empty token set scores 0.
            if a.sortedJoined.isEmpty || b.sortedJoined.isEmpty { return 0 }
            var workspace = Workspace()
            workspace.splitTokens(a, b, collect: false)
            if workspace.oneSetContainsTheOther { return 100 }
            let lcs = workspace.differencesLCS(a, b, sortedLCS: nil)
            return workspace.tokenSetScore(differencesLCS: lcs)
        }
    }

    public static func wRatio(_ a: Prepared, _ b: Prepared) -> Double {
        var workspace = Workspace()
        return wRatio(a, b, above: -1, workspace: &workspace)
    }

    package static func wRatio(_ a: Prepared, _ b: Prepared, above cutoff: Double, workspace: inout Workspace) -> Double {
        a.withView { aText in b.withView { bText in wRatio(aText, a.masks, bText, above: cutoff, workspace: &workspace) } }
    }

    /// rapidfuzz `WRatio`: `ratio`, then by length ratio either the token ratios scaled by 0.95
    /// (lengths within 1.5x) or the partial ratios scaled by 0.9 (up to 8x) or 0.6 (beyond),
    /// the partial token ratio also by 0.95. 0 when either string is empty. `aMasks`: `a`'s, when
    /// it is a query.
    ///
    /// `cutoff` (rapidfuzz's `score_cutoff`): a score above it is exact; one at or below it may
    /// come back lower (never higher), as the work that could only have raised it is skipped.
    package static func wRatio(_ a: TextView, _ aMasks: QueryMasks?, _ b: TextView, above cutoff: Double,
                       workspace: inout Workspace) -> Double {
        let unbaseScale = 0.95
        let len1 = a.scalars.count, len2 = b.scalars.count
        if len1 == 0 || len2 == 0 { return 0 }
        let lengthRatio = len1 > len2 ? Double(len1) / Double(len2) : Double(len2) / Double(len1)
        var endRatio = normalizedIndel(lcs: workspace.lcsLength(a.scalars, aMasks?.scalars, b.scalars), len1: len1, len2: len2)
        if lengthRatio < 1.5 {
            // The token ratio is scaled to at most 95: it cannot beat a ratio already there.
            if endRatio >= 100 * unbaseScale { return endRatio }
            return max(endRatio, workspace.tokenRatio(a, aMasks, b) * unbaseScale)
        }
        // Up to and including 8x (fuzzywuzzy's `> 8` switches to 0.6; vector line 1809 is exactly 8x).
        let partialScale = lengthRatio <= 8.0 ? 0.9 : 0.6
        // A partial ratio only counts above what is already there: the threshold it must pass,
        // one step below the quotient so that rounding never skips a score that would count.
        let partialThreshold = (max(endRatio, cutoff) / partialScale).nextDown
        endRatio = max(endRatio, workspace.partialRatio(a.scalars, aMasks?.scalars, b.scalars, above: partialThreshold) * partialScale)
        if endRatio >= 100 * unbaseScale * partialScale { return endRatio }
        let tokenThreshold = ((max(endRatio, cutoff) / partialScale).nextDown / unbaseScale).nextDown
        return max(endRatio, workspace.partialTokenRatio(a, aMasks, b, above: tokenThreshold) * unbaseScale * partialScale)
    }

    // MARK: Indel

    /// Length of the longest common subsequence, bit-parallel (Hyyrö): one pass over the longer
    /// string with `ceil(len(shorter) / 64)` machine words per character.
    static func lcsLength(_ s1: Scalars, _ s2: Scalars) -> Int {
        s1.withUnsafeBufferPointer { a in s2.withUnsafeBufferPointer { b in lcsLength(a, b) } }
    }

    static func lcsLength(_ s1: UnsafeBufferPointer<UInt32>, _ s2: UnsafeBufferPointer<UInt32>) -> Int {
        if s1.isEmpty || s2.isEmpty { return 0 }
        let (pattern, text) = s1.count <= s2.count ? (s1, s2) : (s2, s1)
        return PatternMatchVector(pattern).lcsLength(text)
    }

    /// Indel normalized similarity x 100: `100 * (1 - (len1 + len2 - 2 LCS) / (len1 + len2))`,
    /// and 100 for two empty strings.
    static func normalizedIndel(lcs: Int, len1: Int, len2: Int) -> Double {
        let total = len1 + len2
        if total == 0 { return 100 }
        let distance = total - 2 * lcs
        return 100 * (1 - Double(distance) / Double(total))
    }

    static func normDistance(_ distance: Int, _ lengthSum: Int) -> Double {
        lengthSum > 0 ? 100 - 100 * Double(distance) / Double(lengthSum) : 100
    }

    // MARK: Tokens

    /// The whitespace rapidfuzz splits on (its `is_space`, the same set as Python's `str.split()`).
    @inline(__always)
    static func isSpace(_ c: UInt32) -> Bool {
        switch c {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// Splits `s` on whitespace and appends its tokens, sorted by code point and joined by single
    /// spaces, to `sorted` (token_sort_ratio's string); the same without repeats to `unique`
    /// (token_set_ratio's); and where each unique token ends, counted from the string's start in
    /// `unique`, to `uniqueEnds`. `ranges` is scratch space.
    static func tokenize(_ s: UnsafeBufferPointer<UInt32>, sorted: inout Scalars, unique: inout Scalars,
                         uniqueEnds: inout [Int], ranges: inout [Range<Int>]) {
        ranges.removeAll(keepingCapacity: true)
        var start: Int?
        for index in s.indices {
            if isSpace(s[index]) {
                if let first = start { ranges.append(first..<index); start = nil }
            } else if start == nil {
                start = index
            }
        }
        if let first = start { ranges.append(first..<s.count) }
        func token(_ range: Range<Int>) -> UnsafeBufferPointer<UInt32> { UnsafeBufferPointer(rebasing: s[range]) }
        ranges.sort { compare(token($0), token($1)) < 0 }
        let uniqueStart = unique.count
        for (index, range) in ranges.enumerated() {
            if index > 0 { sorted.append(0x20) }
            sorted.append(contentsOf: token(range))
            guard index == 0 || compare(token(range), token(ranges[index - 1])) != 0 else { continue }
            if unique.count > uniqueStart { unique.append(0x20) }
            unique.append(contentsOf: token(range))
            uniqueEnds.append(unique.count - uniqueStart)
        }
    }

    /// Code point order of two tokens: negative, zero or positive.
    static func compare(_ x: UnsafeBufferPointer<UInt32>, _ y: UnsafeBufferPointer<UInt32>) -> Int {
        for index in 0..<min(x.count, y.count) where x[index] != y[index] {
            return x[index] < y[index] ? -1 : 1
        }
        return x.count - y.count
    }

    /// A tokenized string as the scorers read it, borrowed from a `PreparedBatch`.
    package struct TextView {
        let scalars: UnsafeBufferPointer<UInt32>
        let sortedJoined: UnsafeBufferPointer<UInt32>
        let uniqueJoined: UnsafeBufferPointer<UInt32>
        /// Where each token of `uniqueJoined` ends (the next starts after one space).
        let uniqueEnds: UnsafeBufferPointer<Int>

        var hasRepeats: Bool { uniqueJoined.count != sortedJoined.count }
    }

    // MARK: Prepared strings

    /// Strings tokenized once into shared buffers: scoring a query against all of them retains
    /// and allocates nothing per string. A unit group's choices are one batch.
    package struct PreparedBatch: Sendable {
        fileprivate struct Offsets {
            var scalars = 0, sortedJoined = 0, uniqueJoined = 0, uniqueEnds = 0
        }

        private var scalars: Scalars = []
        private var sortedJoined: Scalars = []
        private var uniqueJoined: Scalars = []
        private var uniqueEnds: [Int] = []
        /// Where each string's parts start in the buffers, and after the last, where they end.
        private var starts: [Offsets] = [Offsets()]

        package init(_ texts: [String]) {
            self.init(texts.map(FuzzyScorer.scalars))
        }

        package init(_ strings: [Scalars]) {
            // The joined tokens are never longer than the strings: no buffer grows more than once.
            let total = strings.reduce(0) { $0 + $1.count }
            scalars.reserveCapacity(total)
            sortedJoined.reserveCapacity(total)
            uniqueJoined.reserveCapacity(total)
            uniqueEnds.reserveCapacity(total / 2 + strings.count)
            starts.reserveCapacity(strings.count + 1)
            var ranges: [Range<Int>] = []
            for string in strings {
                scalars.append(contentsOf: string)
                string.withUnsafeBufferPointer { string in
                    FuzzyScorer.tokenize(string, sorted: &sortedJoined, unique: &uniqueJoined, uniqueEnds: &uniqueEnds, ranges: &ranges)
                }
                starts.append(Offsets(scalars: scalars.count, sortedJoined: sortedJoined.count,
                                      uniqueJoined: uniqueJoined.count, uniqueEnds: uniqueEnds.count))
            }
        }

        /// The strings as `TextView`s, valid inside `body`.
        package struct Views {
            fileprivate let scalars: UnsafeBufferPointer<UInt32>
            fileprivate let sortedJoined: UnsafeBufferPointer<UInt32>
            fileprivate let uniqueJoined: UnsafeBufferPointer<UInt32>
            fileprivate let uniqueEnds: UnsafeBufferPointer<Int>
            fileprivate let starts: UnsafeBufferPointer<Offsets>

            package var count: Int { starts.count - 1 }

            package subscript(index: Int) -> TextView {
                let from = starts[index], to = starts[index + 1]
                return TextView(scalars: UnsafeBufferPointer(rebasing: scalars[from.scalars..<to.scalars]),
                                sortedJoined: UnsafeBufferPointer(rebasing: sortedJoined[from.sortedJoined..<to.sortedJoined]),
                                uniqueJoined: UnsafeBufferPointer(rebasing: uniqueJoined[from.uniqueJoined..<to.uniqueJoined]),
                                uniqueEnds: UnsafeBufferPointer(rebasing: uniqueEnds[from.uniqueEnds..<to.uniqueEnds]))
            }
        }

        package func withViews<Result>(_ body: (Views) -> Result) -> Result {
            scalars.withUnsafeBufferPointer { scalars in
                sortedJoined.withUnsafeBufferPointer { sortedJoined in
                    uniqueJoined.withUnsafeBufferPointer { uniqueJoined in
                        uniqueEnds.withUnsafeBufferPointer { uniqueEnds in
                            starts.withUnsafeBufferPointer { starts in
                                body(Views(scalars: scalars, sortedJoined: sortedJoined, uniqueJoined: uniqueJoined,
                                           uniqueEnds: uniqueEnds, starts: starts))
                            }
                        }
                    }
                }
            }
        }
    }

    /// A string with its tokens computed once, for scoring one query against many choices.
    public struct Prepared: Sendable, Hashable {
        public let text: String
        public let scalars: Scalars
        /// The string tokenized: a batch of one.
        let tokenized: PreparedBatch
        /// The bit masks a query is scored with, built once for all its choices.
        package let masks: QueryMasks?

        /// `query: true` precomputes the bit masks (4 KB): worth it for the one string scored
        /// against a whole unit group, not for each of the 20,000 choices.
        public init(_ text: String, query: Bool = false) {
            self.text = text
            scalars = FuzzyScorer.scalars(text)
            tokenized = PreparedBatch([scalars])
            masks = query ? tokenized.withViews { QueryMasks($0[0]) } : nil
        }

        package func withView<Result>(_ body: (TextView) -> Result) -> Result {
            tokenized.withViews { body($0[0]) }
        }

        public static func == (lhs: Prepared, rhs: Prepared) -> Bool { lhs.text == rhs.text }
        public func hash(into hasher: inout Hasher) { hasher.combine(text) }
    }

    /// A string's masks forwards (ratio, the windows of partial_ratio) and backwards (its
    /// suffixes), in memory the instance owns: reading them from pair to pair retains nothing but
    /// the instance. Immutable, hence safe to share.
    final class NeedleMasks: @unchecked Sendable {
        let forward: PatternMasks
        let reversed: PatternMasks

        init(_ s: UnsafeBufferPointer<UInt32>) {
            forward = PatternMasks.allocate(s, reversed: false)
            reversed = PatternMasks.allocate(s, reversed: true)
        }

        deinit {
            forward.deallocate()
            reversed.deallocate()
        }
    }

    /// A query's masks: of its scalars and of its sorted tokens.
    package struct QueryMasks: Sendable {
        let scalars: NeedleMasks
        let sortedJoined: NeedleMasks

        init(_ text: TextView) {
            scalars = NeedleMasks(text.scalars)
            sortedJoined = NeedleMasks(text.sortedJoined)
        }
    }
}
