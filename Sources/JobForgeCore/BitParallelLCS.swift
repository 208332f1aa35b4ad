/// Bit masks of where each character occurs in a pattern, for the bit-parallel LCS. Reusable:
/// `load` clears only the entries the previous pattern set.
struct PatternMatchVector: Sendable {
    private(set) var length = 0
    private(set) var words = 1
    /// `ascii[w * 128 + c]`: mask word `w` of ASCII character `c`.
    private var ascii = [UInt64](repeating: 0, count: 128)
    /// Which ASCII characters occur in the pattern (bits 0-63 and 64-127).
    private var asciiLow: UInt64 = 0, asciiHigh: UInt64 = 0
    /// Characters beyond ASCII and their masks, `otherMasks[i * words + w]`: rare in titles,
    /// so searched linearly.
    private var otherCharacters: [UInt32] = []
    private var otherMasks: [UInt64] = []

    init() {}

    init(_ pattern: UnsafeBufferPointer<UInt32>, reversed: Bool = false) {
        load(pattern, reversed: reversed)
    }

    /// Replaces the pattern; `reversed` sets the masks of the pattern read backwards.
    mutating func load(_ pattern: UnsafeBufferPointer<UInt32>, reversed: Bool = false) {
        clear()
        let length = pattern.count, words = max(1, (pattern.count + 63) / 64)
        self.length = length
        self.words = words
        if ascii.count < 128 * words { ascii.append(contentsOf: repeatElement(0, count: 128 * words - ascii.count)) }
        let (low, high, beyondASCII) = ascii.withUnsafeMutableBufferPointer { Self.setASCII(of: pattern, reversed: reversed, in: $0) }
        asciiLow = low
        asciiHigh = high
        guard beyondASCII else { return }
        for (offset, c) in pattern.enumerated() where c >= 128 {
            let position = reversed ? length - 1 - offset : offset
            let index: Int
            if let found = otherCharacters.firstIndex(of: c) {
                index = found
            } else {
                index = otherCharacters.count
                otherCharacters.append(c)
                otherMasks.append(contentsOf: repeatElement(0, count: words))
            }
            otherMasks[index * words + (position >> 6)] |= UInt64(1) << UInt64(position & 63)
        }
    }

    /// Sets the ASCII characters' bits in a zeroed table; returns which occur, and whether others do.
    static func setASCII(of pattern: UnsafeBufferPointer<UInt32>, reversed: Bool,
                         in table: UnsafeMutableBufferPointer<UInt64>) -> (low: UInt64, high: UInt64, beyondASCII: Bool) {
        var low: UInt64 = 0, high: UInt64 = 0
        var beyondASCII = false
        for (offset, c) in pattern.enumerated() {
            guard c < 128 else { beyondASCII = true; continue }
            let position = reversed ? pattern.count - 1 - offset : offset
            table[(position >> 6) * 128 + Int(c)] |= UInt64(1) << UInt64(position & 63)
            if c < 64 { low |= UInt64(1) << UInt64(c) } else { high |= UInt64(1) << UInt64(c - 64) }
        }
        return (low, high, beyondASCII)
    }

    private mutating func clear() {
        let words = words
        let (low, high) = (asciiLow, asciiHigh)
        ascii.withUnsafeMutableBufferPointer { table in
            func clearEntries(of present: UInt64, from base: Int) {
                var bits = present
                while bits != 0 {
                    let c = base + bits.trailingZeroBitCount
                    for word in 0..<words { table[word * 128 + c] = 0 }
                    bits &= bits - 1
                }
            }
            clearEntries(of: low, from: 0)
            clearEntries(of: high, from: 64)
        }
        asciiLow = 0
        asciiHigh = 0
        otherCharacters.removeAll(keepingCapacity: true)
        otherMasks.removeAll(keepingCapacity: true)
    }

    /// Runs `body` with the masks read through pointers: the inner loops then neither check
    /// bounds nor retain.
    func withMasks<Result>(_ body: (PatternMasks) -> Result) -> Result {
        ascii.withUnsafeBufferPointer { ascii in
            otherCharacters.withUnsafeBufferPointer { otherCharacters in
                otherMasks.withUnsafeBufferPointer { otherMasks in
                    body(PatternMasks(length: length, words: words, ascii: ascii, asciiLow: asciiLow, asciiHigh: asciiHigh,
                                      otherCharacters: otherCharacters, otherMasks: otherMasks))
                }
            }
        }
    }

    /// LCS length of the pattern and `text`.
    func lcsLength(_ text: UnsafeBufferPointer<UInt32>) -> Int {
        withMasks { $0.lcsLength(text) }
    }
}

/// A `PatternMatchVector`'s masks, borrowed for the duration of `withMasks`.
struct PatternMasks {
    let length: Int
    let words: Int
    let ascii: UnsafeBufferPointer<UInt64>
    let asciiLow: UInt64, asciiHigh: UInt64
    let otherCharacters: UnsafeBufferPointer<UInt32>
    let otherMasks: UnsafeBufferPointer<UInt64>

    /// Whether `c` occurs in the pattern.
    @inline(__always)
    func contains(_ c: UInt32) -> Bool {
        if c < 64 { return asciiLow & (UInt64(1) << UInt64(c)) != 0 }
        if c < 128 { return asciiHigh & (UInt64(1) << UInt64(c - 64)) != 0 }
        return otherCharacters.contains(c)
    }

    /// Mask word `word` of where `c` occurs.
    @inline(__always)
    func mask(_ c: UInt32, word: Int) -> UInt64 {
        if c < 128 { return ascii[word &* 128 &+ Int(c)] }
        guard let index = otherCharacters.firstIndex(of: c) else { return 0 }
        return otherMasks[index * words + word]
    }

    /// LCS length of the pattern and `text`.
    func lcsLength(_ text: UnsafeBufferPointer<UInt32>) -> Int {
        words == 1 ? lcsLength(OneWordRow.self, text) : lcsLength(ManyWordRow.self, text)
    }

    private func lcsLength<Row: LCSRow>(_: Row.Type, _ text: UnsafeBufferPointer<UInt32>) -> Int {
        if length == 0 || text.isEmpty { return 0 }
        var row = Row(self)
        for c in text { row.feed(c, self) }
        return row.length(self)
    }

    /// The masks of `pattern` in memory of their own, to keep: `deallocate()` frees it. Beyond
    /// ASCII (rare) they are built in a `PatternMatchVector` and copied.
    static func allocate(_ pattern: UnsafeBufferPointer<UInt32>, reversed: Bool) -> PatternMasks {
        let words = max(1, (pattern.count + 63) / 64)
        let ascii = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: 128 * words)
        ascii.initialize(repeating: 0)
        let (low, high, beyondASCII) = PatternMatchVector.setASCII(of: pattern, reversed: reversed, in: ascii)
        guard beyondASCII else {
            return PatternMasks(length: pattern.count, words: words, ascii: UnsafeBufferPointer(ascii), asciiLow: low, asciiHigh: high,
                                otherCharacters: UnsafeBufferPointer(start: nil, count: 0), otherMasks: UnsafeBufferPointer(start: nil, count: 0))
        }
        ascii.deallocate()
        return PatternMatchVector(pattern, reversed: reversed).withMasks { masks in
            func copy<Element>(_ buffer: UnsafeBufferPointer<Element>) -> UnsafeBufferPointer<Element> {
                let copy = UnsafeMutableBufferPointer<Element>.allocate(capacity: buffer.count)
                _ = copy.initialize(from: buffer)
                return UnsafeBufferPointer(copy)
            }
            return PatternMasks(length: masks.length, words: masks.words, ascii: copy(masks.ascii), asciiLow: masks.asciiLow,
                                asciiHigh: masks.asciiHigh, otherCharacters: copy(masks.otherCharacters), otherMasks: copy(masks.otherMasks))
        }
    }

    /// Frees the memory of masks made by `allocate`.
    func deallocate() {
        ascii.deallocate()
        otherCharacters.deallocate()
        otherMasks.deallocate()
    }
}

/// The bit-parallel LCS (Hyyrö) of a pattern against a text fed one character at a time.
protocol LCSRow {
    init(_ pattern: PatternMasks)
    mutating func feed(_ c: UInt32, _ pattern: PatternMasks)
    /// The LCS of the pattern and the text fed so far.
    func length(_ pattern: PatternMasks) -> Int
    /// Feeds `c` and returns the LCS, given the LCS before.
    mutating func feed(_ c: UInt32, _ pattern: PatternMasks, lengthBefore: Int) -> Int
}

/// Patterns of up to 64 characters: the row fits one register.
struct OneWordRow: LCSRow {
    private var s = UInt64.max

    init(_ pattern: PatternMasks) {}

    @inline(__always)
    mutating func feed(_ c: UInt32, _ pattern: PatternMasks) {
        feed(mask: pattern.mask(c, word: 0))
    }

    @inline(__always)
    mutating func feed(mask m: UInt64) {
        let u = s & m
        s = (s &+ u) | (s & ~m)
    }

    /// The LCS grows by the carry out of the pattern's top bit (cheaper than a popcount, which
    /// the baseline x86-64 target does in software).
    @inline(__always)
    mutating func feed(_ c: UInt32, _ pattern: PatternMasks, lengthBefore: Int) -> Int {
        let m = pattern.mask(c, word: 0)
        let u = s & m
        let carry = pattern.length >= 64
            ? (s.addingReportingOverflow(u).overflow ? 1 : 0)
            : Int(truncatingIfNeeded: ((s & Self.lowBits(pattern.length)) &+ u) >> UInt64(pattern.length)) & 1
        s = (s &+ u) | (s & ~m)
        return lengthBefore + carry
    }

    func length(_ pattern: PatternMasks) -> Int {
        length(bits: pattern.length)
    }

    /// The LCS of the text fed so far with the pattern's first `bits` characters.
    @inline(__always)
    func length(bits: Int) -> Int {
        (~s & Self.lowBits(bits)).nonzeroBitCount
    }

    /// `lengths[k]`: the LCS of the text fed so far with the pattern's first k characters,
    /// counting zero bits one at a time rather than one popcount per k.
    func lengthsByPrefix(into lengths: UnsafeMutableBufferPointer<Int>) {
        var zeros = ~s
        var count = 0
        lengths[0] = 0
        for k in 1..<lengths.count {
            count += Int(zeros & 1)
            zeros >>= 1
            lengths[k] = count
        }
    }

    @inline(__always)
    static func lowBits(_ count: Int) -> UInt64 {
        count >= 64 ? .max : (UInt64(1) << UInt64(count)) - 1
    }
}

/// Longer patterns: one word per 64 characters, the carry passed from word to word.
struct ManyWordRow: LCSRow {
    private var s: [UInt64]

    init(_ pattern: PatternMasks) {
        s = [UInt64](repeating: .max, count: pattern.words)
    }

    mutating func feed(_ c: UInt32, _ pattern: PatternMasks) {
        var carry: UInt64 = 0
        for w in s.indices {
            let m = pattern.mask(c, word: w)
            let u = s[w] & m
            let (sum1, overflow1) = s[w].addingReportingOverflow(u)
            let (sum2, overflow2) = sum1.addingReportingOverflow(carry)
            carry = (overflow1 || overflow2) ? 1 : 0
            s[w] = sum2 | (s[w] & ~m)
        }
    }

    mutating func feed(_ c: UInt32, _ pattern: PatternMasks, lengthBefore: Int) -> Int {
        feed(c, pattern)
        return length(pattern)
    }

    func length(_ pattern: PatternMasks) -> Int {
        var count = 0
        for w in s.indices {
            var word = ~s[w]
            if w == s.count - 1 && pattern.length % 64 != 0 { word &= (UInt64(1) << UInt64(pattern.length % 64)) - 1 }
            count += word.nonzeroBitCount
        }
        return count
    }
}
