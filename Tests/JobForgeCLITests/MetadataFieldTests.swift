@testable import JobForgeCLI
import JobForgeCore
import Testing

@Suite("the long table's metadata field, encoded without an intermediate string")
struct MetadataFieldTests {
    /// The field as the export wrote it before: the object's JSON text, encoded as any text.
    func viaText(_ metadata: [String: String], _ format: ExportCommand.Format) -> [UInt8] {
        var encoder = RowEncoder(format: format, keys: ["metadata"], capacity: 256)
        encoder.beginRow(first: true)
        encoder.text(JSONText.object(metadata))
        return encoder.bytes
    }

    func direct(_ metadata: [String: String], _ format: ExportCommand.Format) -> [UInt8] {
        var field: [UInt8] = [], scratch: [UInt8] = []
        RowEncoder.metadataField(metadata, format: format, scratch: &scratch, to: &field)
        var encoder = RowEncoder(format: format, keys: ["metadata"], capacity: 256)
        encoder.beginRow(first: true)
        encoder.encoded(field)
        return encoder.bytes
    }

    @Test("same bytes as the JSON text written as a CSV cell or a JSON string, escapes included",
          arguments: [
              ["count": "4", "max": "4", "min": "3"],
              ["conversion": "OaSIS = 1 + 4 * LV / 7 (LV 0-7 -> 1-5), mean", "native_values": "11-1011.00=0.75; 11-1011.03=1.88"],
              ["quote": "say \"hi\", then, go", "back\\slash": "a\\b", "lines": "one\ntwo\r\tthree", "control": "\u{1}\u{1f}x"],
              ["é": "café €", "Z": "last?", "a": ""],
              ["=formula": "=HYPERLINK(\"x\")"],
          ])
    func sameBytes(_ metadata: [String: String]) {
        for format in ExportCommand.Format.allCases {
            #expect(direct(metadata, format) == viaText(metadata, format), "\(format)")
        }
    }
}
