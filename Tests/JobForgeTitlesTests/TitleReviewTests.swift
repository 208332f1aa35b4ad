import Foundation
import JobForgeCore
import Testing
@testable import JobForgeTitles

/// The review queue's reasons on the real OaSIS data, and the seam for a coder's suggestions.
@Suite struct TitleReviewTests {
    let resolver = RealData.resolver

    func record(_ id: String, _ title: String, noc2021: String? = nil, noc2016: String? = nil) -> JobTitleRecord {
        let jobTitle = JobTitle(id: id, title: title, noc2021: noc2021, noc2016: noc2016)
        return TitleImporter.record(jobTitle, resolver.resolve(jobTitle))
    }

    /// Suggests fixed unit groups, as an offline NOC coder would.
    struct FixedSuggester: UnitGroupSuggesting {
        var unitGroups: [String]
        func suggestions(for title: JobTitle) throws -> [SuggestedUnitGroupRanking] {
            unitGroups.enumerated().map { SuggestedUnitGroupRanking(unitGroup: $1, score: 0.9 - Double($0) / 10, evidence: "stub") }
        }
    }

    @Test("nurse in 31301: several profiles within one point of the best score are a tie, the chosen one among them")
    func nurseIsATie() throws {
        let resolution = resolver.resolve(title: "nurse", noc2021: "31301", noc2016: nil)
        let tied = TitleReview.tied(resolution.candidates)
        #expect(tied.count >= 2)
        let best = try #require(resolution.candidates.compactMap(\.score).max())
        #expect(tied.allSatisfy { best - $0.score! <= TitleReview.tieMargin })
        #expect(tied.contains { $0.code == resolution.profileCode })
        let item = try #require(try TitleReview().queue([record("N-1", "nurse", noc2021: "31301")], pins: [:]).first)
        #expect(item.reason == .tie(profiles: tied))
        #expect(item.actions == tied.map { #"jobforge titles pin N-1 \#($0.code) --reason "...""# })
    }

    @Test("an exact match is not a tie; scores more than a point apart are not either")
    func noTie() {
        #expect(TitleReview.tied([ResolutionCandidate(code: "a", matched: "a", kind: "label", score: 100),
                                  ResolutionCandidate(code: "b", matched: "b", kind: "label", score: 98.9)]).isEmpty)
        #expect(TitleReview.tied([ResolutionCandidate(code: "a", matched: "a", kind: "label", score: 90),
                                  ResolutionCandidate(code: "a", matched: "a2", kind: "example_title:Index", score: 90)]).isEmpty,
                "one profile twice is no tie")
    }

    @Test("a code in doubt comes only from a suggester, with its evidence and the pins that settle it; a pinned title never appears")
    func codeInDoubtThroughTheSeam() throws {
        let exact = record("D-1", "Data scientists", noc2021: "21211")
        #expect(exact.method == .exactLabel)
        #expect(try TitleReview().queue([exact], pins: [:]).isEmpty, "no suggester: nothing in doubt")
        #expect(try TitleReview(suggester: FixedSuggester(unitGroups: ["21231", "21211"])).queue([exact], pins: [:]).isEmpty,
                "its unit group is among the suggested ones")
        let doubted = try #require(try TitleReview(suggester: FixedSuggester(unitGroups: ["21231", "21232"])).queue([exact], pins: [:]).first)
        guard case .codeInDoubt(let unitGroup, let suggested) = doubted.reason else {
            Issue.record("expected a code in doubt, got \(doubted.reason)")
            return
        }
        #expect(unitGroup == "21211" && suggested.map(\.unitGroup) == ["21231", "21232"])
        #expect(doubted.actions.first == #"jobforge titles pin D-1 --noc 21231 --reason "...""#)

        let pin = TitlePin(titleID: "D-1", profileCode: "21211.00", unitGroup: "21211", reason: "", pinnedBy: "x", pinnedAt: Date())
        #expect(try TitleReview(suggester: FixedSuggester(unitGroups: ["21231"])).queue([exact], pins: ["D-1": pin]).isEmpty)
    }

    @Test("ids that are not one shell word are quoted in the actions")
    func actionsQuoteIDs() throws {
        let item = try #require(try TitleReview().queue([record("odd id's", "Head of things")], pins: [:]).first)
        #expect(item.reason == .noCode(suggested: []))
        #expect(item.actions == [#"jobforge titles pin 'odd id'\''s' --noc UNIT_GROUP --reason "...""#])
    }

    @Test("a title without a code, or with an unknown one, gets the suggester's groups (asked without the code), best first, as evidence and as pins")
    func uncodedTitlesGetSuggestions() throws {
        struct Recording: UnitGroupSuggesting {
            func suggestions(for title: JobTitle) throws -> [SuggestedUnitGroupRanking] {
                // The review asks for a title without a usable code as for one with none.
                #expect(title.noc2021 == nil && title.noc2016 == nil)
                return ["31301", "31302", "32101", "33102"].enumerated().map {
                    SuggestedUnitGroupRanking(unitGroup: $1, score: 0.9 - Double($0) / 10, evidence: "matched \"nurse\"")
                }
            }
        }
        let review = TitleReview(suggester: Recording())
        let none = try #require(try review.queue([record("U-1", "charge nurse")], pins: [:]).first)
        guard case .noCode(let suggested) = none.reason else {
            Issue.record("expected no code, got \(none.reason)")
            return
        }
        #expect(suggested.map(\.unitGroup) == ["31301", "31302", "32101"], "the first three")
        #expect(none.actions == ["31301", "31302", "32101", "UNIT_GROUP"].map { #"jobforge titles pin U-1 --noc \#($0) --reason "...""# })
        #expect(none.detail.hasPrefix("no NOC code; suggested: 31301 (0.90: matched \"nurse\")"), "\(none.detail)")

        let unknown = try #require(try review.queue([record("U-2", "charge nurse", noc2021: "99999")], pins: [:]).first)
        #expect(unknown.reason == .unknownCode(given: "99999", suggested: suggested))
        #expect(unknown.actions.first == #"jobforge titles pin U-2 --noc 31301 --reason "...""#)
        #expect(unknown.detail.contains("99999") && unknown.detail.contains("suggested: 31301"), "\(unknown.detail)")
    }
}
