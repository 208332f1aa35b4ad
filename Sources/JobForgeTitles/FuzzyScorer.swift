import Foundation

/// String similarity scores equivalent to rapidfuzz 3.x `fuzz` (`ratio`, `partial_ratio`,
/// `token_sort_ratio`, `token_set_ratio`, `WRatio`) with default arguments: no preprocessing,
/// case-sensitive, on Unicode scalars (what a Python `str` indexes). Scores are 0...100.
///
/// A faithful port rather than "something similar", so that a fuzzy match threshold of 70
/// means what it means to everyone who knows rapidfuzz, and so that the published vectors
/// (Tests/Fixtures/vectors/wratio_rapidfuzz.tsv) check it. Score cutoffs are not ported: they
/// only skip work whose result could not win a `max`, so they never change a score.
public enum FuzzyScorer {
    /// A string as rapidfuzz sees it: its Unicode scalars.
    public typealias Scalars = [UInt32]

    public static func scalars(_ text: String) -> Scalars { text.unicodeScalars.map(\.value) }

    // MARK: Public scorers on strings

    public static func ratio(_ s1: String, _ s2: String) -> Double { ratio(scalars(s1), scalars(s2)) }
    public static func partialRatio(_ s1: String, _ s2: String) -> Double { partialRatio(scalars(s1), scalars(s2)) }
    public static func tokenSortRatio(_ s1: String, _ s2: String) -> Double { tokenSortRatio(scalars(s1), scalars(s2)) }
    public static func tokenSetRatio(_ s1: String, _ s2: String) -> Double { tokenSetRatio(scalars(s1), scalars(s2)) }
    public static func wRatio(_ s1: String, _ s2: String) -> Double { wRatio(Prepared(s1), Prepared(s2)) }

    // MARK: Indel

    /// Length of the longest common subsequence, bit-parallel (Hyyrö): one pass over `s2`
    /// with `ceil(len(s1) / 64)` machine words per character.
    static func lcsLength(_ s1: ArraySlice<UInt32>, _ s2: ArraySlice<UInt32>) -> Int {
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

    public static func ratio(_ s1: Scalars, _ s2: Scalars) -> Double {
        normalizedIndel(lcs: lcsLength(s1[...], s2[...]), len1: s1.count, len2: s2.count)
    }

    // MARK: partial_ratio

    /// The best `ratio` of the shorter string against any window of the longer one: every
    /// full-length window, plus the prefixes and suffixes shorter than the needle, as rapidfuzz
    /// aligns them. rapidfuzz prunes windows with a bound on the Indel distance; the exhaustive
    /// search here returns the same optimum. Equal lengths are tried both ways round.
    public static func partialRatio(_ s1: Scalars, _ s2: Scalars) -> Double {
        let len1 = s1.count, len2 = s2.count
        if len1 == 0 || len2 == 0 { return len1 == len2 ? 100 : 0 }
        if len1 > len2 { return partialRatioImpl(needle: s2, haystack: s1) }
        let score = partialRatioImpl(needle: s1, haystack: s2)
        if score != 100 && len1 == len2 {
            return max(score, partialRatioImpl(needle: s2, haystack: s1))
        }
        return score
    }

    /// rapidfuzz `partial_ratio_impl`, assuming `needle.count <= haystack.count`.
    static func partialRatioImpl(needle: Scalars, haystack: Scalars) -> Double {
        let len1 = needle.count, len2 = haystack.count
        let vector = PatternMatchVector(needle[...])
        let needleSet = vector
        var best: Double = 0
        // Full windows. A window that starts with a character absent from the needle cannot
        // beat the next window, so it is skipped (rapidfuzz's own shortcut).
        if len2 > len1 {
            var bestLCS = -1
            for start in 0..<(len2 - len1) where needleSet.contains(haystack[start]) || start == 0 {
                let lcs = vector.lcsLength(haystack[start..<(start + len1)])
                if lcs > bestLCS {
                    bestLCS = lcs
                    if lcs == len1 { return 100 }
                }
            }
            best = normalizedIndel(lcs: max(bestLCS, 0), len1: len1, len2: len1)
        }
        // Prefixes shorter than the needle, ending on a needle character.
        if len1 > 1 {
            for end in 1..<len1 where needleSet.contains(haystack[end - 1]) {
                let lcs = vector.lcsLength(haystack[0..<end])
                let score = normalizedIndel(lcs: lcs, len1: len1, len2: end)
                if score > best {
                    best = score
                    if best == 100 { return 100 }
                }
            }
        }
        // Suffixes from the last full window on, starting on a needle character.
        for start in (len2 - len1)..<len2 where needleSet.contains(haystack[start]) {
            let lcs = vector.lcsLength(haystack[start..<len2])
            let score = normalizedIndel(lcs: lcs, len1: len1, len2: len2 - start)
            if score > best {
                best = score
                if best == 100 { return 100 }
            }
        }
        return best
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

    /// Tokens split on whitespace, sorted by code point (duplicates kept).
    static func sortedTokens(_ s: Scalars) -> [Scalars] {
        var tokens: [Scalars] = []
        var current: Scalars = []
        for c in s {
            if isSpace(c) {
                if !current.isEmpty { tokens.append(current); current = [] }
            } else {
                current.append(c)
            }
        }
        if !current.isEmpty { tokens.append(current) }
        tokens.sort { $0.lexicographicallyPrecedes($1) }
        return tokens
    }

    static func join(_ tokens: [Scalars]) -> Scalars {
        var out: Scalars = []
        for (index, token) in tokens.enumerated() {
            if index > 0 { out.append(0x20) }
            out.append(contentsOf: token)
        }
        return out
    }

    static func joinedLength(_ tokens: [Scalars]) -> Int {
        tokens.isEmpty ? 0 : tokens.reduce(tokens.count - 1) { $0 + $1.count }
    }

    /// Sorted, deduplicated token sets of two strings and their differences and intersection.
    struct Decomposition {
        var intersection: [Scalars]
        var differenceAB: [Scalars]
        var differenceBA: [Scalars]
    }

    static func decompose(_ a: [Scalars], _ b: [Scalars]) -> Decomposition {
        // Both inputs are sorted: one merge pass, no hashing.
        let uniqueA = dedupeSorted(a), uniqueB = dedupeSorted(b)
        var result = Decomposition(intersection: [], differenceAB: [], differenceBA: [])
        var i = 0, j = 0
        while i < uniqueA.count && j < uniqueB.count {
            if uniqueA[i] == uniqueB[j] {
                result.intersection.append(uniqueA[i]); i += 1; j += 1
            } else if uniqueA[i].lexicographicallyPrecedes(uniqueB[j]) {
                result.differenceAB.append(uniqueA[i]); i += 1
            } else {
                result.differenceBA.append(uniqueB[j]); j += 1
            }
        }
        result.differenceAB.append(contentsOf: uniqueA[i...])
        result.differenceBA.append(contentsOf: uniqueB[j...])
        return result
    }

    static func dedupeSorted(_ tokens: [Scalars]) -> [Scalars] {
        var out: [Scalars] = []
        out.reserveCapacity(tokens.count)
        for token in tokens where out.last != token { out.append(token) }
        return out
    }

    public static func tokenSortRatio(_ s1: Scalars, _ s2: Scalars) -> Double {
        ratio(join(sortedTokens(s1)), join(sortedTokens(s2)))
    }

    public static func tokenSetRatio(_ s1: Scalars, _ s2: Scalars) -> Double {
        let a = sortedTokens(s1), b = sortedTokens(s2)
        // fuzzywuzzy compatibility: an empty token set scores 0.
        if a.isEmpty || b.isEmpty { return 0 }
        return tokenSetScore(decompose(a, b))
    }

    /// The token-set part of rapidfuzz `token_set_ratio` / `token_ratio`.
    static func tokenSetScore(_ d: Decomposition) -> Double {
        if !d.intersection.isEmpty && (d.differenceAB.isEmpty || d.differenceBA.isEmpty) { return 100 }
        let diffAB = join(d.differenceAB), diffBA = join(d.differenceBA)
        let abLength = diffAB.count, baLength = diffBA.count
        let sectLength = joinedLength(d.intersection)
        let separator = sectLength != 0 ? 1 : 0
        let sectABLength = sectLength + separator + abLength
        let sectBALength = sectLength + separator + baLength
        let distance = abLength + baLength - 2 * lcsLength(diffAB[...], diffBA[...])
        var result = normDistance(distance, sectABLength + sectBALength)
        if sectLength == 0 { return result }
        result = max(result, normDistance(separator + abLength, sectLength + sectABLength))
        result = max(result, normDistance(separator + baLength, sectLength + sectBALength))
        return result
    }

    static func normDistance(_ distance: Int, _ lengthSum: Int) -> Double {
        lengthSum > 0 ? 100 - 100 * Double(distance) / Double(lengthSum) : 100
    }

    /// rapidfuzz `token_ratio`: the better of token_sort_ratio and token_set_ratio in one pass.
    static func tokenRatio(_ a: Prepared, _ b: Prepared) -> Double {
        let d = decompose(a.sortedTokens, b.sortedTokens)
        if !d.intersection.isEmpty && (d.differenceAB.isEmpty || d.differenceBA.isEmpty) { return 100 }
        let sortRatio = ratio(a.sortedJoined, a.sortedVector, b.sortedJoined)
        return max(sortRatio, tokenSetScore(d))
    }

    /// rapidfuzz `partial_token_ratio`: 100 as soon as a word is shared, else the better
    /// partial_ratio of the sorted token strings and of the token-set differences.
    static func partialTokenRatio(_ a: Prepared, _ b: Prepared) -> Double {
        let d = decompose(a.sortedTokens, b.sortedTokens)
        if !d.intersection.isEmpty { return 100 }
        let result = partialRatio(a.sortedJoined, b.sortedJoined)
        if a.sortedTokens.count == d.differenceAB.count && b.sortedTokens.count == d.differenceBA.count {
            return result
        }
        return max(result, partialRatio(join(d.differenceAB), join(d.differenceBA)))
    }

    // MARK: WRatio

    /// A string with its tokens computed once, for scoring one query against many choices.
    public struct Prepared: Sendable, Hashable {
        public let text: String
        public let scalars: Scalars
        let sortedTokens: [Scalars]
        let sortedJoined: Scalars
        /// Bit masks of the string and of its sorted tokens, kept for a query scored against many choices.
        let vector: PatternMatchVector?
        let sortedVector: PatternMatchVector?

        /// `query: true` precomputes the bit masks (1 KB each): worth it for the one string
        /// scored against a whole unit group, not for each of the 20,000 choices.
        public init(_ text: String, query: Bool = false) {
            self.text = text
            scalars = FuzzyScorer.scalars(text)
            sortedTokens = FuzzyScorer.sortedTokens(scalars)
            sortedJoined = FuzzyScorer.join(sortedTokens)
            vector = query ? PatternMatchVector(scalars[...]) : nil
            sortedVector = query ? PatternMatchVector(sortedJoined[...]) : nil
        }

        public static func == (lhs: Prepared, rhs: Prepared) -> Bool { lhs.text == rhs.text }
        public func hash(into hasher: inout Hasher) { hasher.combine(text) }
    }

    /// `ratio` using a precomputed bit-mask table of `a` when there is one.
    static func ratio(_ a: Scalars, _ vector: PatternMatchVector?, _ b: Scalars) -> Double {
        guard let vector else { return ratio(a, b) }
        let lcs = a.isEmpty || b.isEmpty ? 0 : vector.lcsLength(b[...])
        return normalizedIndel(lcs: lcs, len1: a.count, len2: b.count)
    }

    /// rapidfuzz `WRatio`: `ratio`, then by length ratio either the token ratios scaled by 0.95
    /// (lengths within 1.5x) or the partial ratios scaled by 0.9 (up to 8x) or 0.6 (beyond),
    /// the partial token ratio also by 0.95. 0 when either string is empty.
    public static func wRatio(_ a: Prepared, _ b: Prepared) -> Double {
        let unbaseScale = 0.95
        let len1 = a.scalars.count, len2 = b.scalars.count
        if len1 == 0 || len2 == 0 { return 0 }
        let lengthRatio = len1 > len2 ? Double(len1) / Double(len2) : Double(len2) / Double(len1)
        var endRatio = ratio(a.scalars, a.vector, b.scalars)
        if lengthRatio < 1.5 {
            return max(endRatio, tokenRatio(a, b) * unbaseScale)
        }
        // Up to and including 8x (fuzzywuzzy's `> 8` switches to 0.6; vector line 1809 is exactly 8x).
        let partialScale = lengthRatio <= 8.0 ? 0.9 : 0.6
        endRatio = max(endRatio, partialRatio(a.scalars, b.scalars) * partialScale)
        return max(endRatio, partialTokenRatio(a, b) * unbaseScale * partialScale)
    }
}

/// Bit masks of where each character occurs in a pattern, for the bit-parallel LCS.
struct PatternMatchVector {
    let words: Int
    let length: Int
    /// `ascii[c * words + w]`: mask word `w` of ASCII character `c`.
    private var ascii: [UInt64]
    private var other: [UInt32: [UInt64]] = [:]
    /// Which ASCII characters occur in the pattern (bits 0-63 and 64-127).
    private var asciiLow: UInt64 = 0, asciiHigh: UInt64 = 0

    init(_ pattern: ArraySlice<UInt32>) {
        length = pattern.count
        words = max(1, (pattern.count + 63) / 64)
        ascii = [UInt64](repeating: 0, count: 128 * words)
        for (offset, c) in pattern.enumerated() {
            let word = offset / 64, bit = UInt64(1) << UInt64(offset % 64)
            if c < 128 {
                ascii[Int(c) * words + word] |= bit
                if c < 64 { asciiLow |= UInt64(1) << UInt64(c) } else { asciiHigh |= UInt64(1) << UInt64(c - 64) }
            } else {
                other[c, default: [UInt64](repeating: 0, count: words)][word] |= bit
            }
        }
    }

    /// Whether `c` occurs in the pattern.
    @inline(__always)
    func contains(_ c: UInt32) -> Bool {
        if c < 64 { return asciiLow & (UInt64(1) << UInt64(c)) != 0 }
        if c < 128 { return asciiHigh & (UInt64(1) << UInt64(c - 64)) != 0 }
        return other[c] != nil
    }

    /// LCS length of the pattern and `text`.
    func lcsLength(_ text: ArraySlice<UInt32>) -> Int {
        if length == 0 || text.isEmpty { return 0 }
        if words == 1 {
            var s = UInt64.max
            for c in text {
                let m: UInt64
                if c < 128 { m = ascii[Int(c)] } else { m = other[c]?[0] ?? 0 }
                let u = s & m
                s = (s &+ u) | (s & ~m)
            }
            let mask: UInt64 = length == 64 ? .max : (UInt64(1) << UInt64(length)) - 1
            return (~s & mask).nonzeroBitCount
        }
        var s = [UInt64](repeating: .max, count: words)
        let zero = [UInt64](repeating: 0, count: words)
        for c in text {
            var carry: UInt64 = 0
            let row: ArraySlice<UInt64>
            if c < 128 {
                row = ascii[(Int(c) * words)..<(Int(c) * words + words)]
            } else if let masks = other[c] {
                row = masks[...]
            } else {
                row = zero[...]
            }
            for w in 0..<words {
                let m = row[row.startIndex + w]
                let u = s[w] & m
                let (sum1, overflow1) = s[w].addingReportingOverflow(u)
                let (sum2, overflow2) = sum1.addingReportingOverflow(carry)
                carry = (overflow1 || overflow2) ? 1 : 0
                s[w] = sum2 | (s[w] & ~m)
            }
        }
        var count = 0
        for w in 0..<words {
            var word = ~s[w]
            if w == words - 1 && length % 64 != 0 { word &= (UInt64(1) << UInt64(length % 64)) - 1 }
            count += word.nonzeroBitCount
        }
        return count
    }
}
