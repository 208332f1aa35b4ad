import Foundation
import JobForgeCore

/// The authoritative layer: each profile's OaSIS ratings kept as one packed row per load
/// (`profile_rating`), not one row per rating. A build loads about 223,000 ratings; as rows
/// with an index they cost more than the rest of the step together.
///
/// Unit groups (L5) and job titles (L7) are derived from the layer when read, by
/// `UnitGroupRule` and `TitleInheritanceRule`, so they always follow the current profiles
/// and resolutions without storing a copy. What a source stores for a subject itself (O*NET,
/// LLM, any submitted candidate) sits in `candidate` and competes with the derived values by
/// the same precedence rule.
enum RatingLayer {
    /// One line per rating: descriptor, dimension, value, text, confidence, tab-separated. The
    /// layer holds OaSIS ratings only, whose text is at most a Holland letter: never a tab or a
    /// line break.
    static func encode(_ candidates: [Candidate]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(candidates.count * 24)
        for candidate in candidates {
            bytes += candidate.key.descriptor.utf8
            bytes.append(0x09)
            bytes += candidate.key.dimension.rawValue.utf8
            bytes.append(0x09)
            bytes += number(candidate.value).utf8
            bytes.append(0x09)
            if let text = candidate.text {
                assert(!text.utf8.contains(0x09) && !text.utf8.contains(0x0A), "a layer text cannot hold a tab or a line break")
                bytes += text.utf8
            }
            bytes.append(0x09)
            bytes += number(candidate.confidence).utf8
            bytes.append(0x0A)
        }
        return String(decoding: bytes, as: UTF8.self)
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
