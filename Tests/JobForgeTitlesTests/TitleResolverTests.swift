import Foundation
import Testing
import JobForgeCore
@testable import JobForgeTitles

/// Each resolution method on the real OaSIS 2023 data.
@Suite struct TitleResolverTests {
    let resolver = RealData.resolver

    @Test func referenceReadsEveryProfileAndTitle() {
        #expect(RealData.reference.profiles.count == 900)
        #expect(RealData.reference.unitGroups.count == 516)
        #expect(RealData.reference.profiles.reduce(0) { $0 + $1.titles.count } == 18_666)
    }

    @Test func exactLabelIgnoresCaseSpacingAndPunctuation() {
        let resolution = resolver.resolve(title: "  POLITICAL   scientists! ", noc2021: "41409", noc2016: nil)
        #expect(resolution.method == .exactLabel)
        #expect(resolution.confidence == 1.00)
        #expect(resolution.profileCode == "41409.06")
        #expect(resolution.unitGroupSource == .noc2021)
    }

    @Test func exactOaSISTitle() {
        let resolution = resolver.resolve(title: "Social Historian", noc2021: "41409", noc2016: nil)
        #expect(resolution.method == .exactTitle)
        #expect(resolution.confidence == 0.95)
        #expect(resolution.profileCode == "41409.04")
    }

    @Test func exactMatchBeatsTheSingleProfileShortcut() {
        // 13102 (payroll administrators) has one profile: an exact title still says exact_title.
        #expect(resolver.profiles(ofUnitGroup: "13102").count == 1)
        let title = resolver.resolve(title: "pay advisor", noc2021: "13102", noc2016: nil)
        #expect(title.method == .exactTitle)
        #expect(title.confidence == 0.95)
        let label = resolver.resolve(title: "Payroll Administrators", noc2021: "13102", noc2016: nil)
        #expect(label.method == .exactLabel)
        #expect(label.confidence == 1.00)
        let other = resolver.resolve(title: "Compensation wizard", noc2021: "13102", noc2016: nil)
        #expect(other.method == .singleProfile)
        #expect(other.confidence == 0.85)
        #expect(other.profileCode == "13102.00")
    }

    @Test func fuzzyMatchKeepsItsScore() throws {
        let resolution = resolver.resolve(title: "Senior economic historian II (bilingual)", noc2021: "41409", noc2016: nil)
        #expect(resolution.method == .fuzzy)
        #expect(resolution.confidence == 0.60)
        #expect(resolution.profileCode == "41409.04")
        let score = try #require(resolution.fuzzyScore)
        #expect(score >= 70)
        // The kept score is the WRatio of the processed title against the winning choice.
        let best = try #require(resolution.candidates.first)
        let direct = FuzzyScorer.wRatio("senior economic historian ii bilingual", best.matched.normalizedForMatching)
        #expect(abs(direct - score) < 0.001)
        #expect(resolution.candidates.count <= TitleResolver.keptCandidates)
        #expect(resolution.candidates.map { $0.score ?? 0 } == resolution.candidates.map { $0.score ?? 0 }.sorted(by: >))
    }

    @Test func noCloseMatchFallsBackToTheMainProfile() throws {
        let resolution = resolver.resolve(title: "Zqx", noc2021: "41409", noc2016: nil)
        #expect(resolution.method == .unitGroupFallback)
        #expect(resolution.confidence == 0.40)
        #expect(resolution.profileCode == "41409.01")
        #expect(try #require(resolution.fuzzyScore) < 70)
    }

    @Test func titleWithoutCodeStaysUnresolvedAndSaysSo() {
        let resolution = resolver.resolve(title: "Chief of Staff", noc2021: nil, noc2016: "  ")
        #expect(resolution.method == .noCode)
        #expect(!resolution.isResolved)
        #expect(resolution.profileCode == nil)
        #expect(resolution.note.contains("no NOC code"))
    }

    @Test func oneToOneNOC2016CodeResolvesThroughTheConcordance() {
        // 2016 `0011` (Legislators) -> 2021 `00010`.
        #expect(RealData.concordance.unitGroups(forNOC2016: "0011") == ["00010"])
        let resolution = resolver.resolve(title: "Legislators", noc2021: nil, noc2016: "11")
        #expect(resolution.unitGroup == "00010")
        #expect(resolution.unitGroupSource == .noc2016Concordance)
        #expect(resolution.method == .exactLabel)
        #expect(resolution.profileCode == "00010.00")
        #expect(resolution.note.contains("NOC 2016"))
    }

    @Test func oneToManyNOC2016CodeStaysUnresolvedWithItsCandidates() {
        let resolution = resolver.resolve(title: "Other financial officer", noc2021: nil, noc2016: "1114")
        #expect(resolution.method == .ambiguousNOC2016)
        #expect(!resolution.isResolved)
        #expect(resolution.candidates.map(\.code) == ["11100", "11102", "11109"])
        #expect(resolution.candidates.allSatisfy { $0.kind == "unit_group" })
    }

    @Test func aNOC2021CodeWinsOverANOC2016Code() {
        let resolution = resolver.resolve(title: "data scientist", noc2021: "21211", noc2016: "1114")
        #expect(resolution.unitGroupSource == .noc2021)
        #expect(resolution.profileCode == "21211.00")
    }

    @Test func explainScoresTheOtherProfilesEvenForAnExactMatch() {
        let resolution = resolver.resolve(title: "historian", noc2021: "41409", noc2016: nil, explain: true)
        #expect(resolution.method == .exactTitle)
        #expect(resolution.candidates.first?.code == "41409.04")
        #expect(resolution.candidates.count == TitleResolver.keptCandidates)
        #expect(Set(resolution.candidates.map(\.code)).count == resolution.candidates.count)
    }

    @Test func everyOaSISExampleTitleResolvesToItsOwnProfileOrAnEqualTitle() {
        // The whole OaSIS title list through the resolver: an exact method every time, and the
        // chosen profile lists the title (several profiles of a group may share one).
        var checked = 0
        for profile in RealData.reference.profiles {
            for title in profile.titles.prefix(3) {
                let resolution = resolver.resolve(title: title.text, unitGroup: profile.unitGroup)
                let chosen = RealData.reference.profiles.first { $0.code == resolution.profileCode }
                let listed = chosen.map { c in
                    c.label.normalizedForMatching == title.text.normalizedForMatching
                        || c.titles.contains { $0.text.normalizedForMatching == title.text.normalizedForMatching }
                } ?? false
                #expect([.exactLabel, .exactTitle].contains(resolution.method) && listed, "\(title.text) in \(profile.code)")
                checked += 1
            }
        }
        #expect(checked > 2_000)
    }
}
