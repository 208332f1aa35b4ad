import Foundation
import JobForgeBuild
import JobForgeNOCCoder
import JobForgeTestSupport
import Testing

/// The offline coder on the real NOC 2021 and OaSIS 2023 texts in data/.
@Suite("NOC coder on OaSIS")
struct NOCCoderTests {
    static let documents: [UnitGroupDocument] = {
        do { return try NOCCoderDocuments.load(dataFolder: RepoPaths.data) } catch { fatalError("data/: \(error)") }
    }()
    static let coder = NOCCoder(documents)

    static func document(_ code: String) -> UnitGroupDocument? { documents.first { $0.code == code } }

    @Test("every unit group is indexed with its OaSIS texts")
    func documentsCoverTheNOC() throws {
        #expect(Self.documents.count == 516)
        #expect(Self.coder.exampleTitleCount == 18_666)
        let nurses = try #require(Self.document("31301"))
        #expect(nurses.title.localizedCaseInsensitiveContains("registered nurses"))
        #expect(!nurses.leadStatements.isEmpty && !nurses.mainDuties.isEmpty && !nurses.labels.isEmpty)
    }

    @Test("well-known titles rank their unit group first, with matched example titles of that group as evidence",
          arguments: [("data scientist", "21211"), ("registered nurse", "31301"), ("long haul truck driver", "73300"),
                      ("elementary school teacher", "41221")])
    func wellKnownTitles(title: String, code: String) throws {
        let ranked = Self.coder.rank(title, top: 5)
        let best = try #require(ranked.first)
        #expect(best.code == code, "\(title): \(ranked.map { "\($0.code) \($0.score)" })")
        #expect(!best.matchedTitles.isEmpty && best.matchedTitles.count <= 3)
        let examples = Set(try #require(Self.document(best.code)).exampleTitles)
        #expect(best.matchedTitles.allSatisfy(examples.contains), "evidence comes from the group's own example titles")
        #expect(zip(ranked, ranked.dropFirst()).allSatisfy { $0.score >= $1.score }, "best first")
    }

    @Test("the same title ranks the same every time, and equal scores are ordered by code")
    func deterministicOrder() {
        let first = Self.coder.rank("payroll clerk", top: 10)
        #expect(first == Self.coder.rank("payroll clerk", top: 10))
        // Two unit groups that say exactly the same thing tie: the lower code comes first, whatever the input order.
        let twin = UnitGroupDocument(code: "90001", title: "Widget polishers", exampleTitles: ["widget polisher", "widget buffer"])
        var other = twin
        other.code = "90000"
        let coder = NOCCoder([twin, other])
        let ranked = coder.rank("widget polisher", top: 2)
        #expect(ranked.map(\.code) == ["90000", "90001"])
        #expect(ranked.count == 2 && ranked[0].score == ranked[1].score)
        #expect(NOCCoder([other, twin]).rank("widget polisher", top: 2) == ranked)
    }

    @Test("a title with no word the NOC knows ranks nothing")
    func unknownWords() {
        #expect(Self.coder.rank("zzqx qqzv", top: 5).isEmpty)
    }

    @Test("leaving an example title out hides it from the index and from the evidence")
    func leaveOneOut() throws {
        let index = try #require((0..<Self.coder.exampleTitleCount).first { Self.coder.exampleTitle(at: $0).text == "data scientist" })
        let ranked = Self.coder.rank(leavingOutExampleTitle: index, top: 5)
        #expect(!ranked.isEmpty)
        #expect(!ranked.flatMap(\.matchedTitles).contains("data scientist"))
        #expect(Self.coder.rank("data scientist", top: 1).first?.matchedTitles.first == "data scientist")
    }

    @Test("a clearly wrong code is in doubt, with the better group's evidence; the right code fits")
    func codeAudit() throws {
        let wrong = Self.coder.audit(title: "registered nurse", givenCode: "72400")
        #expect(wrong.verdict == .inDoubt, "\(wrong.explanation)")
        let better = try #require(wrong.candidates.first)
        #expect(better.code == "31301" && !better.matchedTitles.isEmpty)
        let given = try #require(wrong.given)
        #expect(given.rank > 5 && better.score >= 1.5 * given.candidate.score)
        #expect(wrong.explanation.contains("31301") && wrong.explanation.contains("72400"))

        let right = Self.coder.audit(title: "registered nurse", givenCode: "31301")
        #expect(right.verdict == .fits)
        #expect(right.given?.rank == 1)

        // A neighbouring group (licensed practical nurses) is not an error the coder should flag.
        #expect(Self.coder.audit(title: "registered nurse", givenCode: "32101").verdict == .fits)

        let none = Self.coder.audit(title: "registered nurse", givenCode: nil)
        #expect(none.verdict == .noCode && none.candidates.count == 5 && none.candidates.first?.code == "31301")
        #expect(Self.coder.audit(title: "registered nurse", givenCode: "99999").verdict == .unknownCode)
    }
}
