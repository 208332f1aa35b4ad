extension FuzzyScorer {
    /// Buffers reused from pair to pair: masks for the strings that have none prepared, and what
    /// the last `splitTokens` found.
    package struct Workspace {
        package init() {}

        private var needle = PatternMatchVector()
        private var reversedNeedle = PatternMatchVector()
        /// Tokens of `a` not in `b`, and of `b` not in `a`, each sorted and joined by spaces
        /// (when collected), and their joined lengths.
        private var onlyA: Scalars = []
        private var onlyB: Scalars = []
        private var onlyALength = 0
        private var onlyBLength = 0
        /// How many unique tokens the two strings share, and their joined length.
        private var sharedCount = 0
        private var sharedLength = 0

        /// LCS of `a` and `b`, with `a`'s masks when given, else with masks built here.
        mutating func lcsLength(_ a: UnsafeBufferPointer<UInt32>, _ aMasks: NeedleMasks?,
                                _ b: UnsafeBufferPointer<UInt32>) -> Int {
            if a.isEmpty || b.isEmpty { return 0 }
            if let aMasks { return aMasks.forward.lcsLength(b) }
            let (pattern, text) = a.count <= b.count ? (a, b) : (b, a)
            needle.load(pattern)
            return needle.lcsLength(text)
        }

        // MARK: partial_ratio

        /// The best `ratio` of the shorter string against any window of the longer one: every
        /// full-length window, plus the prefixes and suffixes shorter than the needle, as rapidfuzz
        /// aligns them. Equal lengths are tried both ways round. `aMasks`: `a`'s, when prepared.
        /// A score above `threshold` is exact; one at or below it may come back lower.
        mutating func partialRatio(_ a: UnsafeBufferPointer<UInt32>, _ aMasks: NeedleMasks?,
                                   _ b: UnsafeBufferPointer<UInt32>, above threshold: Double) -> Double {
            let len1 = a.count, len2 = b.count
            if len1 == 0 || len2 == 0 { return len1 == len2 ? 100 : 0 }
            if len1 > len2 { return partialRatio(needle: b, haystack: a, aMasks, above: threshold) }
            let score = partialRatio(needle: a, aMasks, haystack: b, above: threshold)
            if score != 100 && len1 == len2 {
                return max(score, partialRatio(needle: b, haystack: a, aMasks, above: threshold))
            }
            return score
        }

        /// With the needle's masks when it has them.
        private mutating func partialRatio(needle text: UnsafeBufferPointer<UInt32>, _ masks: NeedleMasks?,
                                           haystack: UnsafeBufferPointer<UInt32>, above threshold: Double) -> Double {
            guard let masks else { return partialRatio(loadingNeedle: text, haystack: haystack, above: threshold) }
            return Self.partialRatio(masks.forward, masks.reversed, haystack, above: threshold)
        }

        /// With the haystack's masks when it has them, of one word.
        private mutating func partialRatio(needle text: UnsafeBufferPointer<UInt32>, haystack: UnsafeBufferPointer<UInt32>,
                                           _ masks: NeedleMasks?, above threshold: Double) -> Double {
            guard let masks, masks.forward.words == 1 else {
                return partialRatio(loadingNeedle: text, haystack: haystack, above: threshold)
            }
            return Self.partialRatio(needle: text, haystack: haystack, masks.forward, masks.reversed, above: threshold)
        }

        private mutating func partialRatio(loadingNeedle text: UnsafeBufferPointer<UInt32>,
                                           haystack: UnsafeBufferPointer<UInt32>, above threshold: Double) -> Double {
            needle.load(text)
            reversedNeedle.load(text, reversed: true)
            return needle.withMasks { forward in
                reversedNeedle.withMasks { reversed in Self.partialRatio(forward, reversed, haystack, above: threshold) }
            }
        }

        private static func partialRatio(_ forward: PatternMasks, _ reversed: PatternMasks,
                                         _ haystack: UnsafeBufferPointer<UInt32>, above threshold: Double) -> Double {
            forward.words == 1
                ? partialRatio(OneWordRow.self, forward, reversed, haystack, above: threshold)
                : partialRatio(ManyWordRow.self, forward, reversed, haystack, above: threshold)
        }

        /// rapidfuzz `partial_ratio_impl` for a needle no longer than the haystack, with the
        /// needle's masks: one pass each way over the haystack gives the LCS of the needle with
        /// each of its prefixes and suffixes.
        private static func partialRatio<Row: LCSRow>(_: Row.Type, _ forward: PatternMasks, _ reversed: PatternMasks,
                                                      _ h: UnsafeBufferPointer<UInt32>, above threshold: Double) -> Double {
            let len1 = forward.length, len2 = h.count
            return withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * (len2 + 1)) { buffer in
                let prefixLCS = UnsafeMutableBufferPointer(rebasing: buffer[0...len2])
                let suffixLCS = UnsafeMutableBufferPointer(rebasing: buffer[(len2 + 1)...])
                var row = Row(forward)
                prefixLCS[0] = 0
                for length in 1...len2 {
                    prefixLCS[length] = row.feed(h[length - 1], forward, lengthBefore: prefixLCS[length - 1])
                }
                // The reversed needle against the haystack read backwards: the LCS of two reversed
                // strings is theirs.
                var reversedRow = Row(reversed)
                suffixLCS[0] = 0
                for length in 1...len2 {
                    suffixLCS[length] = reversedRow.feed(h[len2 - length], reversed, lengthBefore: suffixLCS[length - 1])
                }
                return partialRatio(needleLength: len1, prefixLCS: prefixLCS, suffixLCS: suffixLCS, above: threshold,
                                    mayStartWindow: { start in start == 0 || forward.contains(h[start]) },
                                    windowLCS: { start in
                                        var row = Row(forward)
                                        for index in start..<(start + len1) { row.feed(h[index], forward) }
                                        return row.length(forward)
                                    })
            }
        }

        /// rapidfuzz `partial_ratio_impl` when only the haystack has masks, of one word (a query
        /// scored against shorter choices): nothing is built per pair. The needle is fed as the
        /// text; after the whole needle, the zero bits of the row below position k count its LCS
        /// with the haystack's first k characters (with the reversed masks, its last k); and a
        /// window's masks are a slice of the haystack's mask bits.
        private static func partialRatio(needle n: UnsafeBufferPointer<UInt32>, haystack h: UnsafeBufferPointer<UInt32>,
                                         _ forward: PatternMasks, _ reversed: PatternMasks, above threshold: Double) -> Double {
            let len1 = n.count, len2 = h.count
            var row = OneWordRow(forward)
            for c in n { row.feed(c, forward) }
            var reversedRow = OneWordRow(reversed)
            for c in n.reversed() { reversedRow.feed(c, reversed) }
            var needleLow: UInt64 = 0, needleHigh: UInt64 = 0
            for c in n where c < 128 {
                if c < 64 { needleLow |= UInt64(1) << UInt64(c) } else { needleHigh |= UInt64(1) << UInt64(c - 64) }
            }
            return withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * (len2 + 1)) { buffer in
                let prefixLCS = UnsafeMutableBufferPointer(rebasing: buffer[0...len2])
                let suffixLCS = UnsafeMutableBufferPointer(rebasing: buffer[(len2 + 1)...])
                row.lengthsByPrefix(into: prefixLCS)
                reversedRow.lengthsByPrefix(into: suffixLCS)
                return partialRatio(needleLength: len1, prefixLCS: prefixLCS, suffixLCS: suffixLCS, above: threshold,
                                    mayStartWindow: { start in
                                        let c = h[start]
                                        if start == 0 || c >= 128 { return true }
                                        return c < 64 ? needleLow & (UInt64(1) << UInt64(c)) != 0
                                            : needleHigh & (UInt64(1) << UInt64(c - 64)) != 0
                                    },
                                    windowLCS: { start in
                                        var window = OneWordRow(forward)
                                        for c in n { window.feed(mask: (forward.mask(c, word: 0) >> UInt64(start)) & OneWordRow.lowBits(len1)) }
                                        return window.length(bits: len1)
                                    })
            }
        }

        /// What both ways share, given the LCS of the needle with the haystack's prefixes and
        /// suffixes by length (0...len2): the best prefix or suffix, then the full windows that
        /// could beat it. A window's LCS is at most that of the prefix it ends and of the suffix
        /// it starts, so most windows are never computed. `mayStartWindow` is false for a window
        /// starting on a character absent from the needle: it cannot beat the next one.
        @inline(__always)
        private static func partialRatio(needleLength len1: Int, prefixLCS: UnsafeMutableBufferPointer<Int>,
                                         suffixLCS: UnsafeMutableBufferPointer<Int>, above threshold: Double,
                                         mayStartWindow: (Int) -> Bool, windowLCS: (Int) -> Int) -> Double {
            let len2 = prefixLCS.count - 1
            // No prefix (suffix) scores above one whose LCS is the whole sweep's and its length that LCS.
            let sweepsBound = max(normalizedIndel(lcs: prefixLCS[len1 - 1], len1: len1, len2: prefixLCS[len1 - 1]),
                                  normalizedIndel(lcs: suffixLCS[len1], len1: len1, len2: suffixLCS[len1]))
            let best = sweepsBound > threshold ? sweepsScore(needleLength: len1, prefixLCS: prefixLCS, suffixLCS: suffixLCS) : 0
            if best == 100 { return 100 }
            let window = bestWindowLCS(needleLength: len1, haystackLength: len2, above: threshold,
                                       bound: { start in
                                           mayStartWindow(start) ? min(prefixLCS[start + len1], suffixLCS[len2 - start]) : -1
                                       },
                                       lcs: windowLCS)
            guard let window else { return best }
            return max(best, normalizedIndel(lcs: window, len1: len1, len2: len1))
        }

        /// The best score of the prefixes shorter than the needle and of the suffixes from the last
        /// full window on. rapidfuzz only tries those ending (starting) on a needle character; the
        /// others score lower than a shorter one, so the best is the same. The score grows with
        /// `lcs / (needle + length)`: the best is found on integers and only its score computed.
        @inline(__always)
        private static func sweepsScore(needleLength len1: Int, prefixLCS: UnsafeMutableBufferPointer<Int>,
                                        suffixLCS: UnsafeMutableBufferPointer<Int>) -> Double {
            var bestLCS = 0, bestLength = 1
            func consider(lcs: Int, length: Int) {
                if lcs * (len1 + bestLength) > bestLCS * (len1 + length) {
                    bestLCS = lcs
                    bestLength = length
                }
            }
            for length in stride(from: 1, to: len1, by: 1) { consider(lcs: prefixLCS[length], length: length) }
            for length in 1...len1 { consider(lcs: suffixLCS[length], length: length) }
            return normalizedIndel(lcs: bestLCS, len1: len1, len2: bestLength)
        }

        /// The best LCS of a full window (those before the last, which the suffixes cover) when it
        /// scores above `threshold`, else nil. Windows whose bound cannot beat the best so far (or
        /// the threshold's LCS) are not computed.
        @inline(__always)
        private static func bestWindowLCS(needleLength len1: Int, haystackLength len2: Int, above threshold: Double,
                                          bound: (Int) -> Int, lcs: (Int) -> Int) -> Int? {
            guard len2 > len1 else { return nil }
            let ignoredLCS = windowLCS(scoringAtMost: threshold, needleLength: len1)
            var bestLCS = ignoredLCS
            var start = 0
            while start < len2 - len1 {
                guard bound(start) > bestLCS else {
                    start += 1
                    continue
                }
                let found = lcs(start)
                if found > bestLCS {
                    bestLCS = found
                    if found == len1 { break }
                }
                // Each shift gains at most one common character: the windows before this one's
                // LCS could pass the best cannot beat it.
                start += bestLCS - found + 1
            }
            return bestLCS > ignoredLCS ? bestLCS : nil
        }

        /// The largest window LCS whose score is at most `threshold` (-1 when every LCS scores above it).
        private static func windowLCS(scoringAtMost threshold: Double, needleLength length: Int) -> Int {
            func score(_ lcs: Int) -> Double { normalizedIndel(lcs: lcs, len1: length, len2: length) }
            var lcs = min(length, max(-1, Int(threshold / 100 * Double(length))))
            while lcs >= 0 && score(lcs) > threshold { lcs -= 1 }
            while lcs < length && score(lcs + 1) <= threshold { lcs += 1 }
            return lcs
        }

        // MARK: Token ratios

        /// Merges the unique tokens of `a` and `b` (both sorted): counts the shared ones and
        /// measures each side's own as joined by spaces; `collect` also joins those into `onlyA`
        /// and `onlyB` (only their LCS needs them).
        mutating func splitTokens(_ a: TextView, _ b: TextView, collect: Bool) {
            onlyA.removeAll(keepingCapacity: true)
            onlyB.removeAll(keepingCapacity: true)
            sharedCount = 0
            sharedLength = 0
            onlyALength = 0
            onlyBLength = 0
            let x = a.uniqueJoined, y = b.uniqueJoined, xEnds = a.uniqueEnds, yEnds = b.uniqueEnds
            var i = 0, j = 0
            while i < xEnds.count && j < yEnds.count {
                let left = UnsafeBufferPointer(rebasing: x[(i == 0 ? 0 : xEnds[i - 1] + 1)..<xEnds[i]])
                let right = UnsafeBufferPointer(rebasing: y[(j == 0 ? 0 : yEnds[j - 1] + 1)..<yEnds[j]])
                let order = compare(left, right)
                if order == 0 {
                    Self.add(left.count, to: &sharedLength)
                    sharedCount += 1
                } else if order < 0 {
                    Self.add(left.count, to: &onlyALength)
                    if collect { Self.append(left, to: &onlyA) }
                } else {
                    Self.add(right.count, to: &onlyBLength)
                    if collect { Self.append(right, to: &onlyB) }
                }
                if order <= 0 { i += 1 }
                if order >= 0 { j += 1 }
            }
            if i < xEnds.count {
                let rest = UnsafeBufferPointer(rebasing: x[(i == 0 ? 0 : xEnds[i - 1] + 1)...])
                Self.add(rest.count, to: &onlyALength)
                if collect { Self.append(rest, to: &onlyA) }
            }
            if j < yEnds.count {
                let rest = UnsafeBufferPointer(rebasing: y[(j == 0 ? 0 : yEnds[j - 1] + 1)...])
                Self.add(rest.count, to: &onlyBLength)
                if collect { Self.append(rest, to: &onlyB) }
            }
        }

        /// Adds a token (or space-joined tokens) of `count` scalars to a joined length.
        private static func add(_ count: Int, to joinedLength: inout Int) {
            joinedLength += (joinedLength > 0 ? 1 : 0) + count
        }

        private static func append(_ tokens: UnsafeBufferPointer<UInt32>, to joined: inout Scalars) {
            if !joined.isEmpty { joined.append(0x20) }
            joined.append(contentsOf: tokens)
        }

        /// After `splitTokens`: the words of one string are all words of the other.
        var oneSetContainsTheOther: Bool { sharedCount > 0 && (onlyALength == 0 || onlyBLength == 0) }

        /// After `splitTokens`: the LCS of the two differences. Without a shared word they are the
        /// unique tokens, and without repeats the sorted strings, whose LCS `sortedLCS` may be.
        mutating func differencesLCS(_ a: TextView, _ b: TextView, sortedLCS: Int?) -> Int {
            if sharedCount > 0 {
                splitTokens(a, b, collect: true)
                // Held apart while read, so that the masks can be built in this workspace.
                let (x, y) = (onlyA, onlyB)
                return x.withUnsafeBufferPointer { x in y.withUnsafeBufferPointer { y in lcsLength(x, nil, y) } }
            }
            if let sortedLCS, !a.hasRepeats, !b.hasRepeats { return sortedLCS }
            return lcsLength(a.uniqueJoined, nil, b.uniqueJoined)
        }

        /// The token-set part of rapidfuzz `token_set_ratio` / `token_ratio`, after `splitTokens`.
        func tokenSetScore(differencesLCS lcs: Int) -> Double {
            let abLength = onlyALength, baLength = onlyBLength
            let sectLength = sharedLength
            let separator = sectLength != 0 ? 1 : 0
            let sectABLength = sectLength + separator + abLength
            let sectBALength = sectLength + separator + baLength
            let distance = abLength + baLength - 2 * lcs
            var result = normDistance(distance, sectABLength + sectBALength)
            if sectLength == 0 { return result }
            result = max(result, normDistance(separator + abLength, sectLength + sectABLength))
            result = max(result, normDistance(separator + baLength, sectLength + sectBALength))
            return result
        }

        /// rapidfuzz `token_ratio`: the better of token_sort_ratio and token_set_ratio in one pass.
        mutating func tokenRatio(_ a: TextView, _ aMasks: QueryMasks?, _ b: TextView) -> Double {
            splitTokens(a, b, collect: false)
            if oneSetContainsTheOther { return 100 }
            let sortLCS = lcsLength(a.sortedJoined, aMasks?.sortedJoined, b.sortedJoined)
            let sortRatio = normalizedIndel(lcs: sortLCS, len1: a.sortedJoined.count, len2: b.sortedJoined.count)
            let setLCS = differencesLCS(a, b, sortedLCS: sortLCS)
            return max(sortRatio, tokenSetScore(differencesLCS: setLCS))
        }

        /// rapidfuzz `partial_token_ratio`: 100 as soon as a word is shared, else the better
        /// partial_ratio of the sorted token strings and of the token-set differences (the
        /// unique tokens, as no word is shared).
        mutating func partialTokenRatio(_ a: TextView, _ aMasks: QueryMasks?, _ b: TextView, above threshold: Double) -> Double {
            splitTokens(a, b, collect: false)
            if sharedCount > 0 { return 100 }
            let result = partialRatio(a.sortedJoined, aMasks?.sortedJoined, b.sortedJoined, above: threshold)
            if !a.hasRepeats && !b.hasRepeats { return result }
            return max(result, partialRatio(a.uniqueJoined, nil, b.uniqueJoined, above: max(threshold, result)))
        }
    }
}
