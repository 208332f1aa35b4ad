import Foundation
import JobForgeCore
import Testing

/// An export writes the metadata of every inherited O*NET value of every title: it merges the
/// source's own pairs with what the inheritance adds, straight into JSON. That text must be the
/// one the rule's dictionary gives (`JSONText.object(inheritance.metadata(...))`), escapes and
/// clashing keys included.
@Suite("an inherited value's metadata as JSON")
struct TitleInheritanceMetadataTests {
    static let resolutions = [
        TitleInheritanceRule.Resolution(titleID: "JA-0001", profileCode: "21211.00", method: "exact_label", confidence: 1,
                                        unitGroupSource: "noc2021"),
        TitleInheritanceRule.Resolution(titleID: "B-7", profileCode: "00010.00", method: "fuzzy", confidence: 0.85,
                                        unitGroupSource: nil, fuzzyScore: 0.912),
    ]

    @Test("same text as the rule's dictionary written by JSONText.object",
          arguments: [
              [:],
              ["onet_element": "2.B.3.e", "native_values": "15-2051.00=4.0; 15-2051.01=3.5",
               "conversion": "IM 1-5 kept as is (OaSIS has no importance scale)", "match_kind": "exact"],
              // Keys the inheritance adds too: its values win.
              ["profile_code": "99999.99", "source_method": "someone else's", "zz": "last"],
              ["quote": "say \"hi\", then, go", "back\\slash": "a\\b", "lines": "one\ntwo\r\tthree", "control": "\u{1}\u{1f}x"],
              ["é": "café €", "Z": "last?", "a": ""],
          ])
    func sameText(_ own: [String: String]) throws {
        for resolution in Self.resolutions {
            let inheritance = try #require(TitleInheritanceRule.Inheritance(resolution))
            for (method, confidence) in [(CandidateMethod("onet_rating"), 0.707), (CandidateMethod("onet_mean"), 1.0)] {
                let added = inheritance.added(method: method, confidence: confidence).sorted { $0.key < $1.key }
                let merged = TitleInheritanceRule.Inheritance.metadataObject(
                    own: own.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, added: added.map { ($0.key, $0.value) })
                #expect(merged == JSONText.object(inheritance.metadata(own: own, method: method, confidence: confidence)))
            }
        }
    }

    @Test("an unresolved title inherits nothing; a resolved one's rationale, confidence and added keys")
    func inheritance() throws {
        #expect(TitleInheritanceRule.Inheritance(.init(titleID: "X", profileCode: "21211.00", method: "none", confidence: 0)) == nil)
        let fuzzy = try #require(TitleInheritanceRule.Inheritance(Self.resolutions[1]))
        #expect(fuzzy.rationale == "inherited from OaSIS profile 00010.00 (fuzzy, confidence 0.85)")
        #expect(fuzzy.confidence(0.5) == 0.425)
        #expect(fuzzy.added(method: "oasis_rating", confidence: 1) == [
            "profile_code": "00010.00", "resolution_method": "fuzzy", "resolution_confidence": "0.85", "fuzzy_score": "0.912",
            "source_confidence": "1.0", "source_method": "oasis_rating",
        ])
    }
}
