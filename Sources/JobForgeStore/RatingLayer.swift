import Foundation
import JobForgeCore
import GRDB

/// The authoritative layer: each profile's OaSIS ratings kept as one packed row per load
/// (`profile_rating`), not one row per rating. A build loads about 223,000 ratings; as rows
/// with an index they cost more than the rest of the step together.
///
/// Unit groups (L5) and job titles (L7) are derived from the layer when read, by
/// `UnitGroupRule` and `TitleInheritanceRule`, so they always follow the current profiles
/// and resolutions without storing a copy. O*NET's values have a layer of their own
/// (`ONetLayer`); what a source stores for a subject itself (LLM answers, any submitted
/// candidate) sits in `candidate` and competes with the derived values by the same rule.
enum RatingLayer {
    /// Consecutive ratings of one profile (by its position) in a list of candidates.
    struct Run: Sendable {
        var profile: Int
        var candidates: Range<Int>
    }

    /// Packs the layers of runs of candidates on another core (`BlockingBackground`); its
    /// `value()` is each profile's layer, by position.
    static func packInBackground(_ candidates: [Candidate], runs: [Run], profiles: Int) -> BlockingBackground<[String]> {
        BlockingBackground {
            let packer = Packer(expectedLines: candidates.count)
            candidates.withUnsafeBufferPointer { candidates in
                for run in runs {
                    for index in run.candidates {
                        packer.append(profile: run.profile, descriptor: candidates[index].key.descriptor,
                                      dimension: candidates[index].key.dimension, value: candidates[index].value,
                                      text: candidates[index].text, confidence: candidates[index].confidence)
                    }
                }
            }
            return packer.layers(profiles: profiles)
        }
    }

    /// Packs the layers of many profiles in one pass over their ratings: every line is written
    /// once into one buffer as the ratings arrive (a load gives a file's row at a time), and a
    /// profile's layer is its runs of lines put together.
    ///
    /// One line per rating: descriptor, dimension, value, text, confidence, tab-separated. The
    /// layer holds OaSIS ratings only, whose text is at most a Holland letter: never a tab or a
    /// line break.
    final class Packer {
        // Raw memory, grown by hand: a quarter of a million lines are written a few bytes at a
        // time, and an array's uniqueness and bounds checks on each write cost more than the writes.
        private var lines: UnsafeMutablePointer<UInt8>
        private var capacity: Int
        private var end = 0
        /// Consecutive lines of one profile, in `lines`.
        private var runs: [(profile: Int, start: Int, end: Int)] = []
        private var runProfile = -1
        private var runStart = 0

        init(expectedLines: Int = 0) {
            capacity = max(expectedLines * 24, 4096)
            lines = .allocate(capacity: capacity)
        }

        deinit { lines.deallocate() }

        /// Adds the line of one rating of `profile` (a position chosen by the caller).
        @inline(__always)
        func append(profile: Int, descriptor: String, dimension: CellDimension, value: Double, text: String?,
                    confidence: Double) {
            if profile != runProfile {
                if runProfile >= 0 { runs.append((runProfile, runStart, end)) }
                runProfile = profile
                runStart = end
            }
            assert(text.map { !$0.utf8.contains(0x09) && !$0.utf8.contains(0x0A) } ?? true,
                   "a layer text cannot hold a tab or a line break")
            // Room for the strings, two numbers of up to 32 bytes and five separators.
            let longest = descriptor.utf8.count + dimension.rawValue.utf8.count + (text?.utf8.count ?? 0) + 69
            if end + longest > capacity { grow(toHold: end + longest) }
            write(text: descriptor)
            write(byte: 0x09)
            write(text: dimension.rawValue)
            write(byte: 0x09)
            write(number: value)
            write(byte: 0x09)
            if let text { write(text: text) }
            write(byte: 0x09)
            write(number: confidence)
            write(byte: 0x0A)
        }

        /// Each profile's layer, by position (empty for a position that had no rating).
        func layers(profiles: Int) -> [String] {
            var runsOf = [[Int]](repeating: [], count: profiles)
            for (index, run) in runs.enumerated() { runsOf[run.profile].append(index) }
            if runProfile >= 0 { runsOf[runProfile].append(runs.count) }
            let allRuns = runProfile >= 0 ? runs + [(runProfile, runStart, end)] : runs
            return runsOf.map { indices in
                let length = indices.reduce(0) { $0 + allRuns[$1].end - allRuns[$1].start }
                guard length > 0 else { return "" }
                return String(unsafeUninitializedCapacity: length, initializingUTF8With: { layer in
                    var written = 0
                    for index in indices {
                        let run = allRuns[index]
                        (layer.baseAddress! + written).initialize(from: lines + run.start, count: run.end - run.start)
                        written += run.end - run.start
                    }
                    return written
                })
            }
        }

        private func grow(toHold needed: Int) {
            let larger = max(capacity * 2, needed)
            let moved = UnsafeMutablePointer<UInt8>.allocate(capacity: larger)
            moved.initialize(from: lines, count: end)
            lines.deallocate()
            lines = moved
            capacity = larger
        }

        @inline(__always)
        private func write(byte: UInt8) {
            lines[end] = byte
            end += 1
        }

        @inline(__always)
        private func write(text: String) {
            var text = text
            text.withUTF8 { bytes in
                // Codes and dimensions are a few bytes: a loop beats a call to memmove.
                for byte in bytes { write(byte: byte) }
            }
        }

        /// `number(value)`'s digits, written without making a String for the small whole
        /// numbers that nearly every rating is.
        @inline(__always)
        private func write(number value: Double) {
            // In 0...100, whole exactly when it survives the round trip through Int (no libm call).
            guard value >= 0, value <= 100, Double(Int(value)) == value else {
                write(text: RatingLayer.number(value))
                return
            }
            let whole = Int(value)
            if whole == 100 {
                write(byte: UInt8(ascii: "1")); write(byte: UInt8(ascii: "0")); write(byte: UInt8(ascii: "0"))
                return
            }
            if whole >= 10 { write(byte: UInt8(ascii: "0") + UInt8(whole / 10)) }
            write(byte: UInt8(ascii: "0") + UInt8(whole % 10))
        }
    }

    static func decode(_ payload: String, profile: String, provenance: Provenance) -> [Candidate] {
        var result: [Candidate] = []
        result.reserveCapacity(256)
        let subject = Subject.profile(profile)
        // A build reads every profile's layer several times: scan the bytes once, no splitting.
        var payload = payload
        payload.withUTF8 { bytes in
            var fields: [Range<Int>] = []
            fields.reserveCapacity(5)
            var start = 0
            func text(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) }
            func number(_ range: Range<Int>) -> Double? { Double(text(range)) }
            for index in 0...bytes.count {
                let byte: UInt8 = index < bytes.count ? bytes[index] : 0x0A
                if byte == 0x09 {
                    fields.append(start..<index)
                    start = index + 1
                } else if byte == 0x0A {
                    fields.append(start..<index)
                    start = index + 1
                    defer { fields.removeAll(keepingCapacity: true) }
                    guard fields.count == 5, let value = number(fields[2]), let confidence = number(fields[4]) else { continue }
                    result.append(Candidate(key: CellKey(subject: subject, descriptor: text(fields[0]),
                                                         dimension: CellDimension(text(fields[1]))),
                                            value: value, text: fields[3].isEmpty ? nil : text(fields[3]),
                                            source: provenance.source, method: provenance.method,
                                            sourceLevel: provenance.sourceLevel, sourceIDs: provenance.sourceIDs,
                                            confidence: confidence, release: provenance.release,
                                            observedAt: provenance.observedAt))
                }
            }
        }
        return result
    }

    /// OaSIS ratings are small whole numbers: those are spelled from a table.
    private static let smallNumbers = (0...100).map { String($0) }

    static func number(_ value: Double) -> String {
        guard value == value.rounded(), abs(value) < 1e15 else { return String(value) }
        if value >= 0, value <= 100 { return smallNumbers[Int(value)] }
        return String(Int64(value))
    }
}

extension SQLiteStore {
    /// Each profile's current OaSIS ratings of one dimension (its newest load): the truth that
    /// the O*NET tier is calibrated and evaluated against.
    public static func currentProfileRatings(dimension: CellDimension, in db: Database) throws
        -> [(profile: String, descriptor: String, value: Double)] {
        var result: [(profile: String, descriptor: String, value: Double)] = []
        let rows = try Row.fetchCursor(db, sql: """
            SELECT r.profile_code, r.ratings FROM profile_rating r
            WHERE r.provenance_id = (SELECT MAX(provenance_id) FROM profile_rating WHERE profile_code = r.profile_code)
            ORDER BY r.profile_code
            """)
        while let row = try rows.next() {
            let profile: String = row[0]
            let payload: String = row[1]
            for line in payload.split(separator: "\n", omittingEmptySubsequences: true) {
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
                guard fields.count == 5, fields[1] == dimension.rawValue[...], let value = Double(fields[2]) else { continue }
                result.append((profile, String(fields[0]), value))
            }
        }
        return result
    }
}
