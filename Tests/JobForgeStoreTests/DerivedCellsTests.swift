import Foundation
import GRDB
import JobForgeCore
import JobForgeStore
import JobForgeTestSupport
import Testing

/// Unit group and title cells are derived from the authoritative layer when read: they must
/// take part in precedence and the override log like stored candidates.
@Suite("Derived cells")
struct DerivedCellsTests {
    static let profile = "21211.00"
    static let at = Date(timeIntervalSince1970: 1_700_000_000)

    static func rating(_ value: Double, release: String, at seconds: TimeInterval = 0) -> Candidate {
        Candidate(key: CellKey(subject: .profile(profile), descriptor: "F01b02", dimension: .level), value: value,
                  source: .authoritative, method: "oasis_rating", sourceLevel: .l6, sourceIDs: [profile], confidence: 1,
                  release: release, observedAt: at.addingTimeInterval(seconds))
    }

    /// Title T-1 resolved to `profile` by exact title (0.95), or not resolved.
    static func resolve(_ store: SQLiteStore, toProfile profile: String?) throws {
        let resolution = profile.map {
            TitleInheritanceRule.Resolution(titleID: "T-1", profileCode: $0, method: "exact_title", confidence: 0.95,
                                            unitGroupSource: "noc2021")
        }
        try store.dbQueue.write { db in try SQLiteStore.recordTitleResolutions([("T-1", resolution)], in: db) }
    }

    func withStore(_ body: (SQLiteStore, String) throws -> Void) throws {
        try ProgrammingStore.with(body)
    }

    func storeRatings(_ store: SQLiteStore, _ ratings: [Candidate], run: String) throws -> SubmitSummary {
        try ProgrammingStore.write(store, step: "authoritative", run: run) { try $0.storeProfileRatings(ratings) }
    }

    @Test("a unit group derives its cell from its profile, and an O*NET value for it is kept below")
    func unitGroupCellsAreDerived() throws {
        try withStore { store, run in
            _ = try storeRatings(store, [Self.rating(3, release: "r1")], run: run)
            let unitGroup = try store.winners(of: .unitGroup("21211"), filter: CellFilter())
            #expect(unitGroup.map(\.value) == [3])
            #expect(unitGroup.first?.method == "single_profile")
            #expect(unitGroup.first?.sourceIDs == [Self.profile])

            let onet = Candidate(key: CellKey(subject: .unitGroup("21211"), descriptor: "F01b02", dimension: .level),
                                 value: 2.5, source: .onet, method: "onet_mean", sourceLevel: .l5, sourceIDs: ["15-1252.00"],
                                 confidence: 0.8, release: "O*NET 29.3", observedAt: Self.at.addingTimeInterval(60))
            let summary = try store.submit([onet], runID: run)
            #expect(summary.keptBelow == 1 && summary.filled == 0)
            let candidates = try store.candidates(for: onet.key)
            #expect(candidates.count == 2)
            #expect(candidates.first(where: \.isWinner)?.candidate.source == .authoritative)
            #expect(try store.overrides(for: onet.key).isEmpty)
        }
    }

    @Test("a new release of a profile's ratings wins its cells, logged; the old load stays a candidate; the unit group follows")
    func newReleaseOverrides() throws {
        try withStore { store, run in
            let first = try storeRatings(store, [Self.rating(3, release: "r1")], run: run)
            #expect(first.inserted == 1 && first.filled == 1)
            let again = try storeRatings(store, [Self.rating(3, release: "r1", at: 30)], run: run)
            #expect(again.unchanged == 1 && again.inserted == 0, "the same ratings again change nothing")

            let second = try storeRatings(store, [Self.rating(4, release: "r2", at: 60)], run: run)
            #expect(second.inserted == 1 && second.overridden == 1)
            let key = CellKey(subject: .profile(Self.profile), descriptor: "F01b02", dimension: .level)
            let candidates = try store.candidates(for: key)
            #expect(candidates.map(\.candidate.value).sorted() == [3, 4])
            #expect(candidates.first(where: \.isWinner)?.candidate.release == "r2")
            let events = try store.overrides(for: key)
            #expect(events.count == 1)
            #expect(events.first?.oldValue == 3 && events.first?.newValue == 4)
            #expect(events.first?.reason.contains("newer value") == true)
            #expect(try store.winners(of: .unitGroup("21211"), filter: CellFilter()).map(\.value) == [4])
        }
    }

    @Test("a reload that keeps a value changes the winner without an override event; a changed value is logged")
    func reloadWithTheSameValueIsNoOverride() throws {
        try withStore { store, run in
            _ = try storeRatings(store, [Self.rating(3, release: "r1")], run: run)
            let key = CellKey(subject: .profile(Self.profile), descriptor: "F01b02", dimension: .level)
            // A new release rates the cell the same: the newer load wins it, nothing a user sees changes.
            let same = try storeRatings(store, [Self.rating(3, release: "r2", at: 60)], run: run)
            #expect(same.inserted == 1 && same.overridden == 0)
            #expect(try store.candidates(for: key).first(where: \.isWinner)?.candidate.release == "r2")
            #expect(try store.allOverrides().isEmpty, "old value = new value, same source: no override")
            let changed = try storeRatings(store, [Self.rating(4, release: "r3", at: 120)], run: run)
            #expect(changed.overridden == 1)
            #expect(try store.allOverrides().map { "\($0.oldValue.map { "\($0)" } ?? "-") -> \($0.newValue.map { "\($0)" } ?? "-")" } == ["3.0 -> 4.0"])
        }
    }

    @Test("an equal source's answer with the same value and confidence replaces the winner without an override event; a changed confidence is logged (no confidence changes silently)")
    func sameValueSubmittedAgainIsNoOverride() throws {
        try withStore { store, run in
            let key = CellKey(subject: .title("T-1"), descriptor: "F01b02", dimension: .level)
            func answer(_ value: Double, confidence: Double, at seconds: TimeInterval) -> Candidate {
                Candidate(key: key, value: value, source: .llm, method: "llm_imputation", sourceLevel: .l7, sourceIDs: ["req"],
                          confidence: confidence, rationale: "a guess", release: "m", observedAt: Self.at.addingTimeInterval(seconds))
            }
            _ = try store.submit([answer(4, confidence: 0.6, at: 0)], runID: run)
            let again = try store.submit([answer(4, confidence: 0.6, at: 10)], runID: run)
            #expect(again.overridden == 0)
            #expect(try store.overrides(for: key).isEmpty)
            let surer = try store.submit([answer(4, confidence: 0.7, at: 20)], runID: run)
            #expect(surer.inserted == 1 && surer.overridden == 1)
            #expect(try store.candidates(for: key).first(where: \.isWinner)?.candidate.confidence == 0.7)
            #expect(try store.overrides(for: key).count == 1)
        }
    }

    @Test("a title inherits once resolved: the LLM value it held loses to the inherited one, and the change is logged")
    func titleResolutionOverridesItsLLMValue() throws {
        try withStore { store, run in
            _ = try storeRatings(store, [Self.rating(3, release: "r1")], run: run)
            try Self.resolve(store, toProfile: nil)
            let key = CellKey(subject: .title("T-1"), descriptor: "F01b02", dimension: .level)
            let llm = Candidate(key: key, value: 4, source: .llm, method: "llm_imputation", sourceLevel: .l7,
                                sourceIDs: ["req_1"], confidence: 0.6, rationale: "a guess", release: "gpt-4o-2024-08-06",
                                observedAt: Self.at.addingTimeInterval(60))
            #expect(try store.submit([llm], runID: run).filled == 1)
            #expect(try store.winners(of: .title("T-1"), filter: CellFilter()).map(\.source) == [.llm])

            let reconciled = try store.dbQueue.write { db in
                let before = try SQLiteStore.snapshotTitleCells(in: db)
                try SQLiteStore.recordTitleResolutions([("T-1", TitleInheritanceRule.Resolution(
                    titleID: "T-1", profileCode: Self.profile, method: "exact_title", confidence: 0.95, unitGroupSource: "noc2021"))], in: db)
                return try SQLiteStore.reconcileTitleCells(since: before, runID: run, in: db)
            }
            #expect(reconciled.overridden == 1)

            let winners = try store.winners(of: .title("T-1"), filter: CellFilter())
            #expect(winners.count == 1)
            #expect(winners.first?.source == .authoritative && winners.first?.method == "inherited")
            #expect(winners.first?.value == 3 && abs((winners.first?.confidence ?? 0) - 0.95) < 1e-9)
            #expect(winners.first?.metadata["profile_code"] == Self.profile)
            let events = try store.overrides(for: key)
            #expect(events.count == 1)
            #expect(events.first?.oldSource == .llm && events.first?.newSource == .authoritative)
            #expect(events.first?.newCandidateID == nil, "the inherited value is derived, not a stored row")
            let flags = try store.dbQueue.read { db in
                try Int.fetchAll(db, sql: "SELECT is_winner FROM candidate_detail WHERE subject_code = 'T-1'")
            }
            #expect(flags == [0], "the stored LLM row is no longer flagged as the winner")
            #expect(try store.candidates(for: key).count == 2, "the LLM answer is kept below")
        }
    }
}
