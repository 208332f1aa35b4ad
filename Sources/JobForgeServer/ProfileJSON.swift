import Foundation
import JobForgeCore
import JobForgeReport
import JobForgeStore

/// A profile (`/api/titles/{id}`) as JSON, written byte by byte: the same document as
/// `JSONEncoder` with sorted keys gives (`show --json`), in a fraction of its time. A title's
/// profile is 190-260 KB of ~330 cells; through `JSONEncoder` it took about a third of the
/// request's CPU.
enum ProfileJSON {
    static func encode(_ profile: StoreViews.Profile) -> Data {
        var writer = Writer()
        writer.bytes.reserveCapacity(4_096 + profile.categories.reduce(0) { $0 + $1.cells.count } * 640)
        writer.raw("{\"categories\":[")
        for (index, group) in profile.categories.enumerated() {
            if index > 0 { writer.raw(",") }
            writer.raw("{\"category\":")
            writer.string(group.category)
            writer.raw(",\"cells\":[")
            for (position, cell) in group.cells.enumerated() {
                if position > 0 { writer.raw(",") }
                writer.cell(cell)
            }
            writer.raw("]}")
        }
        writer.raw("],\"details\":")
        writer.object(profile.details)
        writer.raw(",\"label\":")
        writer.string(profile.label)
        if let lead = profile.leadStatement {
            writer.raw(",\"leadStatement\":")
            writer.string(lead)
        }
        writer.raw(",\"related\":[")
        for (index, code) in profile.related.enumerated() {
            if index > 0 { writer.raw(",") }
            writer.string(code)
        }
        writer.raw("],\"subject\":")
        writer.subject(profile.subject)
        writer.raw("}")
        return Data(writer.bytes)
    }

    struct Writer {
        var bytes: [UInt8] = []
        /// A profile's cells share a handful of times: each is formatted once.
        private var dates: [Date: [UInt8]] = [:]
        /// The last metadata written and its bytes: a title's inherited cells mostly share one
        /// dictionary (`TitleInheritanceRule`), whose sorting and quoting was a tenth of a cold profile's CPU.
        private var lastMetadata: (values: [String: String], bytes: [UInt8])?

        mutating func raw(_ text: StaticString) {
            text.withUTF8Buffer { bytes.append(contentsOf: $0) }
        }

        /// As `JSONText` quotes (byte by byte, exact for UTF-8), `/` left as it is (`.withoutEscapingSlashes`).
        mutating func string(_ text: String) {
            JSONText.appendQuoted(text, to: &bytes)
        }

        /// As `JSONEncoder` writes a Double: the shortest text that reads back the same, an
        /// integral value without its `.0`.
        mutating func number(_ value: Double) {
            var text = value.description
            if text.hasSuffix(".0") { text.removeLast(2) }
            bytes.append(contentsOf: text.utf8)
        }

        mutating func integer<T: BinaryInteger>(_ value: T) {
            bytes.append(contentsOf: String(value).utf8)
        }

        mutating func object(_ values: [String: String]) {
            bytes.append(UInt8(ascii: "{"))
            for (index, key) in values.keys.sorted().enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                string(key)
                bytes.append(UInt8(ascii: ":"))
                string(values[key]!)
            }
            bytes.append(UInt8(ascii: "}"))
        }

        /// `object(values)`, the bytes of the previous cell's reused when its dictionary is equal
        /// (the same storage: compared without reading its entries).
        mutating func metadata(_ values: [String: String]) {
            if let last = lastMetadata, last.values == values {
                bytes.append(contentsOf: last.bytes)
                return
            }
            let start = bytes.count
            object(values)
            lastMetadata = (values, Array(bytes[start...]))
        }

        mutating func subject(_ subject: Subject) {
            raw("{\"code\":")
            string(subject.code)
            raw(",\"kind\":")
            string(subject.kind.rawValue)
            raw("}")
        }

        /// `JSONEncoder`'s `.iso8601`: internet date-time in UTC, whole seconds.
        mutating func date(_ date: Date) {
            if let known = dates[date] {
                bytes.append(contentsOf: known)
                return
            }
            var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
            var parts = tm()
            gmtime_r(&seconds, &parts)
            let text = String(format: "\"%04d-%02d-%02dT%02d:%02d:%02dZ\"", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                              Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
            let encoded = Array(text.utf8)
            dates[date] = encoded
            bytes.append(contentsOf: encoded)
        }

        /// `CellValue`'s synthesized `Encodable`, keys sorted; nil optionals left out.
        mutating func cell(_ cell: CellValue) {
            raw("{\"candidateID\":")
            integer(cell.candidateID)
            raw(",\"category\":")
            string(cell.category.rawValue)
            raw(",\"confidence\":")
            number(cell.confidence)
            raw(",\"descriptorCode\":")
            string(cell.descriptorCode)
            raw(",\"descriptorName\":")
            string(cell.descriptorName)
            raw(",\"dimension\":")
            string(cell.dimension.rawValue)
            raw(",\"isWinner\":")
            if cell.isWinner { raw("true") } else { raw("false") }
            raw(",\"metadata\":")
            metadata(cell.metadata)
            raw(",\"method\":")
            string(cell.method.rawValue)
            raw(",\"observedAt\":")
            date(cell.observedAt)
            raw(",\"precedence\":")
            integer(cell.precedence)
            if let rationale = cell.rationale {
                raw(",\"rationale\":")
                string(rationale)
            }
            if let release = cell.release {
                raw(",\"release\":")
                string(release)
            }
            raw(",\"runID\":")
            string(cell.runID)
            if let scale = cell.scale {
                raw(",\"scale\":")
                string(scale)
            }
            if let position = cell.scalePosition {
                raw(",\"scalePosition\":")
                integer(position)
            }
            raw(",\"source\":")
            string(cell.source.rawValue)
            raw(",\"sourceIDs\":[")
            for (index, id) in cell.sourceIDs.enumerated() {
                if index > 0 { raw(",") }
                string(id)
            }
            raw("],\"sourceLevel\":")
            string(cell.sourceLevel.rawValue)
            raw(",\"subject\":")
            subject(cell.subject)
            if let text = cell.text {
                raw(",\"text\":")
                string(text)
            }
            raw(",\"value\":")
            number(cell.value)
            raw("}")
        }
    }
}
