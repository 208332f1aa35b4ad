import Foundation
import Testing
import JobForgeCore
import JobForgeTestSupport
@testable import JobForgeTitles

/// A resolved title inherits its own profile's authoritative cells.
@Suite struct TitleInheritanceTests {
    /// The real skills ratings of the profiles of one unit group, as authoritative candidates.
    static func skillCandidates(unitGroup: String) throws -> [Candidate] {
        let url = RepoPaths.data.appendingPathComponent("oasis/skills_oasis_2023_v1.0.csv")
        let records = try CSVReader().records(try Data(contentsOf: url), file: url.lastPathComponent)
        let header = records[0].fields.map(\.trimmingSpacesAndNBSP)
        var candidates: [Candidate] = []
        for record in records.dropFirst() {
            guard let code = Codes.profile(record.fields[0]), code.hasPrefix(unitGroup) else { continue }
            for column in 2..<header.count {
                guard let value = Double(record.fields[column]) else { continue }
                candidates.append(Candidate(
                    key: CellKey(subject: .profile(code), descriptor: header[column], dimension: .level),
                    value: value, source: .authoritative, method: "oasis_rating", sourceLevel: .l6,
                    sourceIDs: [code], confidence: 1, release: "OaSIS 2023 v1.0",
                    observedAt: Date(timeIntervalSince1970: 1_700_000_000)))
            }
        }
        return candidates
    }

    @Test func inheritedValuesEqualTheResolvedProfilesSourceCells() throws {
        let profileCandidates = try Self.skillCandidates(unitGroup: "41409")
        let title = JobTitle(id: "T-1", title: "Senior economic historian II (bilingual)", noc2021: "41409")
        let resolution = RealData.resolver.resolve(title)
        #expect(resolution.method == .fuzzy)
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        let inherited = Self.inherit(title, resolution, from: profileCandidates, at: at)
        let own = profileCandidates.filter { $0.key.subject == .profile("41409.04") }
        #expect(!own.isEmpty)
        #expect(own.count < profileCandidates.count)
        #expect(inherited.count == own.count)
        for (source, copy) in zip(own, inherited) {
            #expect(copy.key == CellKey(subject: .title("T-1"), descriptor: source.key.descriptor, dimension: source.key.dimension))
            #expect(copy.value == source.value)
            #expect(copy.source == .authoritative)
            #expect(copy.method == "inherited")
            #expect(copy.sourceLevel == .l6)
            #expect(copy.sourceIDs == ["41409.04"])
            #expect(abs(copy.confidence - source.confidence * 0.60) < 1e-12)
            #expect(copy.metadata["resolution_method"] == "fuzzy")
            #expect(copy.metadata["fuzzy_score"] != nil)
            #expect(copy.release == source.release)
            #expect(copy.observedAt == at)
        }
    }

    @Test func anUnresolvedTitleInheritsNothing() throws {
        let title = JobTitle(id: "T-2", title: "Chief of Staff")
        let resolution = RealData.resolver.resolve(title)
        let inherited = Self.inherit(title, resolution, from: try Self.skillCandidates(unitGroup: "41409"))
        #expect(inherited.isEmpty)
    }

    @Test("O*NET values of the profile are inherited as O*NET, authoritative ones as inherited, both at the resolution's confidence")
    func onetCandidatesAreInheritedAsONet() throws {
        var candidates = try Self.skillCandidates(unitGroup: "21211")
        let onet = candidates.map { c -> Candidate in var copy = c; copy.source = .onet; copy.method = "onet_mean"; return copy }
        candidates += onet
        let llm = candidates.map { c -> Candidate in var copy = c; copy.source = .llm; copy.method = "llm_imputation"; return copy }
        candidates += llm
        let title = JobTitle(id: "T-3", title: "data scientist", noc2021: "21211")
        let resolution = RealData.resolver.resolve(title)
        #expect(resolution.method == .exactTitle)
        let inherited = Self.inherit(title, resolution, from: candidates)
        #expect(inherited.count == 2 * onet.count)
        let authoritative = inherited.filter { $0.source == .authoritative }
        #expect(authoritative.count == onet.count)
        #expect(authoritative.allSatisfy { $0.method == "inherited" && $0.metadata["source_method"] == "oasis_rating" })
        let fromONet = inherited.filter { $0.source == .onet }
        #expect(fromONet.count == onet.count)
        #expect(fromONet.allSatisfy { $0.method == "onet_mean" && $0.metadata["source_method"] == "onet_mean" })
        #expect(inherited.allSatisfy { abs($0.confidence - 0.95) < 1e-12 })
    }

    /// A title's inherited candidates through the engine's rule, as the store derives them.
    static func inherit(_ title: JobTitle, _ resolution: TitleResolution, from candidates: [Candidate], at: Date? = nil) -> [Candidate] {
        guard let rule = resolution.inheritance(titleID: title.id) else { return [] }
        return TitleInheritanceRule.candidates(rule, profileCandidates: candidates, observedAt: at)
    }
}
