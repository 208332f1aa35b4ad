import Foundation
import JobForgeCore
import Testing

@Suite("Code normalization")
struct CodesTests {
    @Test("profile codes are padded the way the OaSIS files need", arguments: [
        ("10010", "10010.00"), ("31100.1", "31100.10"), ("10.01", "00010.01"), ("00010.00", "00010.00"),
        (" 21211.00 ", "21211.00"), ("21211.0", "21211.00"),
    ])
    func profile(raw: String, expected: String) {
        #expect(Codes.profile(raw) == expected)
    }

    @Test("things that are not profile codes are refused", arguments: ["", "abc", "123456", "21211.001", "21211.x", "2121a"])
    func notProfiles(raw: String) {
        #expect(Codes.profile(raw) == nil)
    }

    @Test("unit groups are five zero-padded digits")
    func unitGroups() {
        #expect(Codes.unitGroup("10") == "00010")
        #expect(Codes.unitGroup("21211") == "21211")
        #expect(Codes.unitGroup("212111") == nil)
        #expect(Codes.unitGroup("21a11") == nil)
        #expect(Codes.unitGroup(ofProfile: "21211.01") == "21211")
    }

    @Test("O*NET-SOC codes")
    func onet() {
        #expect(Codes.onetSOC("15-1252.00") == "15-1252.00")
        #expect(Codes.onetSOC("15-1252") == "15-1252.00")
        #expect(Codes.onetSOC("151252") == nil)
    }
}

@Suite("CSV")
struct CSVTests {
    @Test("RFC 4180: BOM, CRLF, quoted commas, quotes and line breaks, line numbers")
    func parsesQuotedFields() throws {
        let text = "\u{FEFF}a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\r\n2,\"two\nlines\",z\r\n3,,\n"
        let records = try CSVReader().records(Data(text.utf8), file: "t.csv")
        #expect(records.map(\.fields) == [["a", "b", "c"], ["1", "x, y", "say \"hi\""], ["2", "two\nlines", "z"], ["3", "", ""]])
        #expect(records.map(\.line) == [1, 2, 3, 5])
    }

    @Test("an unclosed quote names the line it started on")
    func unclosedQuote() {
        #expect(throws: InputError(file: "t.csv", line: 2, message: "the quote that opens field 2 here is never closed (missing \")")) {
            try CSVReader().records(Data("a,b\n1,\"open\n2,3\n".utf8), file: "t.csv")
        }
    }

    @Test("both readers report a broken quote where it opens and a NUL byte where it is, in the same words")
    func bothReadersSameErrors() {
        let files = [
            // Line 3 opens a quote; the quote of line 5 closes it by accident, and text follows.
            "a,b\n1,x\n2,\"open\n3,y\n4,\"z\",w\n",
            // A record that starts on line 2; its second quote opens on line 3 and never closes.
            "a,b,c\n1,\"two\nlines\",\"open\n2,3,4\n",
            // A NUL byte, unquoted and quoted.
            "a,b\n1,x\n2,\u{0}y\n",
            "a,b\n1,\"x\u{0}\"\n",
        ]
        let expected = [
            InputError(file: "t.csv", line: 3, message: "the quote that opens field 2 here is closed only on line 5, where text follows it: a closing quote is probably missing on line 3"),
            InputError(file: "t.csv", line: 3, message: "the quote that opens field 3 here is never closed (missing \")"),
            InputError(file: "t.csv", line: 3, message: "a NUL byte (0x00) in field 2: the file is binary or damaged; remove the byte (or save the file again as UTF-8 text)"),
            InputError(file: "t.csv", line: 2, message: "a NUL byte (0x00) in field 2: the file is binary or damaged; remove the byte (or save the file again as UTF-8 text)"),
        ]
        for (text, error) in zip(files, expected) {
            #expect(throws: error) { try CSVReader().records(Data(text.utf8), file: "t.csv") }
            #expect(throws: error) { try CSVTable(Data(text.utf8), file: "t.csv") }
        }
    }

    @Test("writer quotes only what needs it and round-trips through the reader")
    func writerRoundTrip() throws {
        let rows = [["plain", "with, comma", "with \"quote\"", "two\nlines", ""]]
        let text = rows.map(CSVWriter.line).joined()
        #expect(text == "plain,\"with, comma\",\"with \"\"quote\"\"\",\"two\nlines\",\r\n")
        #expect(try CSVReader().records(Data(text.utf8), file: "w.csv").map(\.fields) == rows)
    }

    @Test("trimming removes spaces and non-breaking spaces only at the ends")
    func trimming() {
        #expect("  Writing  ".trimmingSpacesAndNBSP == "Writing")
        #expect("\u{00A0}Digital Literacy\u{00A0}".trimmingSpacesAndNBSP == "Digital Literacy")
        #expect("Sound and Noise ".trimmingSpacesAndNBSP == "Sound and Noise")
        #expect("a b".trimmingSpacesAndNBSP == "a b")
        #expect("   ".trimmingSpacesAndNBSP == "")
    }
}

@Suite("SHA-256")
struct SHA256Tests {
    @Test("known digests (FIPS 180-4 examples)")
    func knownDigests() {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex(String(repeating: "a", count: 1000)) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }
}

@Suite("JSON text columns")
struct JSONTextTests {
    @Test("maps and arrays round-trip, escapes included, with and without the fast paths")
    func roundTrip() {
        let map = ["model": "gpt-4o", "quote": "say \"hi\"", "path": "a\\b", "lines": "one\ntwo\tthree", "empty": "",
                   "accent": "Génie logiciel", "control": "bell\u{07}"]
        #expect(JSONText.decodeObject(JSONText.object(map)) == map)
        #expect(JSONText.decodeObject("{}") == [:])
        #expect(JSONText.decodeObject(nil) == [:])
        let list = ["21211.00", "a \"b\"", "c,d", "e\\f"]
        #expect(JSONText.decodeArray(JSONText.array(list)) == list)
        #expect(JSONText.decodeArray(JSONText.array(["15-1252.00"])) == ["15-1252.00"])
        #expect(JSONText.decodeArray("[]") == [])
    }
}
