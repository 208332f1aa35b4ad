import Foundation
import GRDB
import JobForgeCore
@testable import JobForgeStore
import JobForgeTestSupport
import Testing

/// What O*NET offers a unit group is stored once (the O*NET layer) and reaches the unit group,
/// its profiles and their titles when read: it must compete, override and be logged exactly as
/// stored O*NET candidates did.
@Suite("O*NET layer")
struct ONetLayerTests {
    static let profile = "21211.00"
    static let at = Date(timeIntervalSince1970: 1_700_000_000)
    static let level = CellKey(subject: .profile(profile), descriptor: "F01b02", dimension: .level)
    static let importance = CellKey(subject: .profile(profile), descriptor: "F01b02", dimension: .importance)

    static func offer(_ dimension: CellDimension, _ value: Double, release: String = "O*NET 29.3", at seconds: TimeInterval) -> UnitGroupOffer {
        UnitGroupOffer(unitGroup: "21211", descriptor: "F01b02", dimension: dimension, value: value, confidence: 0.76,
                       source: .onet, method: "onet_mean", sourceIDs: ["15-2051.00", "15-2051.01"], release: release,
                       observedAt: at.addingTimeInterval(seconds),
                       details: [("onet_element", "2.B.3.e"), ("native_values", "15-2051.00=4.0; 15-2051.01=3.5"),
                                 ("conversion", "IM 1-5 kept as is (OaSIS has no importance scale)")])
    }

    /// The store, with one OaSIS rating: 21211.00's Programming level, 3.
    func withStore(_ body: (SQLiteStore, String) throws -> Void) throws {
        try ProgrammingStore.with(body) { writer, run in
            let rating = Candidate(key: Self.level, value: 3, source: .authoritative, method: "oasis_rating", sourceLevel: .l6,
                                   sourceIDs: [Self.profile], confidence: 1, release: "OaSIS 2023 v1.0", observedAt: Self.at)
            _ = try writer.storeProfileRatings([rating])
        }
    }

    func storeOffers(_ store: SQLiteStore, _ offers: [UnitGroupOffer], run: String) throws -> SubmitSummary {
        try ProgrammingStore.write(store, step: "onet", run: run) { try $0.storeONetOffers(offers) }
    }

    @Test("offers fill what OaSIS does not rate and stay below what it does, for the unit group and its profile; the same offers again change nothing")
    func offersReachUnitGroupAndProfiles() throws {
        try withStore { store, run in
            let summary = try storeOffers(store, [Self.offer(.level, 2.5, at: 10), Self.offer(.importance, 4, at: 10)], run: run)
            #expect(summary.inserted == 4, "2 offers x (the unit group + its profile)")
            #expect(summary.keptBelow == 2 && summary.filled == 2 && summary.overridden == 0)

            let profile = try store.winners(of: .profile(Self.profile), filter: CellFilter())
            let importance = try #require(profile.first { $0.dimension == "importance" })
            #expect(importance.source == .onet && importance.value == 4 && importance.sourceLevel == .l6)
            #expect(importance.sourceIDs == ["15-2051.00", "15-2051.01"] && importance.confidence == 0.76)
            #expect(importance.metadata["native_values"] == "15-2051.00=4.0; 15-2051.01=3.5")
            #expect(importance.metadata["conversion"] == "IM 1-5 kept as is (OaSIS has no importance scale)")
            #expect(importance.release == "O*NET 29.3" && importance.runID == run)
            #expect(profile.first { $0.dimension == "level" }?.source == .authoritative)

            let unitGroup = try store.winners(of: .unitGroup("21211"), filter: CellFilter())
            #expect(unitGroup.first { $0.dimension == "importance" }?.sourceLevel == .l5)
            #expect(unitGroup.first { $0.dimension == "level" }?.value == 3, "OaSIS keeps the unit group's level")

            let level = try store.candidates(for: Self.level)
            #expect(level.map(\.candidate.source) == [.authoritative, .onet])
            #expect(level.first(where: \.isWinner)?.candidate.value == 3)
            #expect(try store.overrides(for: Self.level).isEmpty && store.allOverrides().isEmpty)

            let again = try storeOffers(store, [Self.offer(.level, 2.5, at: 50), Self.offer(.importance, 4, at: 50)], run: run)
            #expect(again.unchanged == 4 && again.inserted == 0)
            #expect(try store.candidates(for: Self.importance).count == 1, "no second copy of the same offers")
            let reordered = try storeOffers(store, [Self.offer(.importance, 4, at: 90), Self.offer(.level, 2.5, at: 90)], run: run)
            #expect(reordered.unchanged == 4 && reordered.inserted == 0, "the same offers in another order change nothing")
        }
    }

    @Test("an O*NET offer outranks an LLM answer whenever it arrives, and a newer release wins among O*NET values; every change logged, old values kept")
    func offersOverrideAndAreLogged() throws {
        try withStore { store, run in
            let llm = Candidate(key: Self.importance, value: 2, source: .llm, method: "llm_imputation", sourceLevel: .l6,
                                sourceIDs: ["req_1"], confidence: 0.6, rationale: "a guess", release: "gpt-4o-2024-08-06",
                                observedAt: Self.at.addingTimeInterval(5))
            #expect(try store.submit([llm], runID: run).filled == 1)

            let first = try storeOffers(store, [Self.offer(.importance, 4, at: 10)], run: run)
            #expect(first.overridden == 1, "the profile's LLM answer")
            var events = try store.overrides(for: Self.importance)
            #expect(events.count == 1)
            #expect(events.first?.oldSource == .llm && events.first?.newSource == .onet && events.first?.newValue == 4)
            #expect(events.first?.newCandidateID == nil, "the O*NET value is offered by the layer, not a stored row")
            let flags = try store.dbQueue.read { db in
                try Int.fetchAll(db, sql: "SELECT is_winner FROM candidate_detail WHERE subject_code = ?", arguments: [Self.profile])
            }
            #expect(flags == [0], "the stored LLM row is no longer flagged as the winner")

            let newer = try storeOffers(store, [Self.offer(.importance, 3.5, release: "O*NET 30.0", at: 20)], run: run)
            #expect(newer.inserted == 2 && newer.overridden == 2, "the unit group's and the profile's importance")
            events = try store.overrides(for: Self.importance)
            #expect(events.map(\.newValue) == [4, 3.5])
            #expect(events.last?.oldSource == .onet && events.last?.reason.contains("newer") == true)
            let unitGroupKey = CellKey(subject: .unitGroup("21211"), descriptor: "F01b02", dimension: .importance)
            #expect(try store.overrides(for: unitGroupKey).map(\.oldValue) == [4])
            let candidates = try store.candidates(for: Self.importance)
            #expect(candidates.map(\.candidate.value) == [3.5, 4, 2], "both releases and the LLM answer are kept, best first")
            #expect(candidates.first?.isWinner == true && candidates.first?.candidate.release == "O*NET 30.0")
        }
    }

    @Test("a recalibration that changes only an O*NET value's confidence is logged, with both confidences; the lower cell it sits under is not")
    func confidenceChangeIsLogged() throws {
        try withStore { store, run in
            _ = try storeOffers(store, [Self.offer(.level, 2.5, at: 10), Self.offer(.importance, 4, at: 10)], run: run)
            var recalibrated = Self.offer(.importance, 4, at: 20)
            recalibrated.confidence = 0.58
            let level = Self.offer(.level, 2.5, at: 20)
            let summary = try storeOffers(store, [level, recalibrated], run: run)
            #expect(summary.overridden == 2, "the importance of the unit group and of its profile")
            let events = try store.overrides(for: Self.importance)
            #expect(events.count == 1)
            #expect(events.first?.oldValue == 4 && events.first?.newValue == 4)
            #expect(events.first?.reason.contains("confidence 0.76 -> 0.58") == true, "\(events.first?.reason ?? "")")
            #expect(try store.overrides(for: Self.level).isEmpty, "OaSIS still wins the level: nothing a user sees changed")
        }
    }

    @Test("a title inherits its profile's O*NET values, scaled by the resolution's confidence")
    func titlesInheritOffers() throws {
        try withStore { store, run in
            _ = try storeOffers(store, [Self.offer(.importance, 4, at: 10)], run: run)
            try DerivedCellsTests.resolve(store, toProfile: Self.profile)
            let winners = try store.winners(of: .title("T-1"), filter: CellFilter())
            let importance = try #require(winners.first { $0.dimension == "importance" })
            #expect(importance.source == .onet && importance.value == 4)
            #expect(abs(importance.confidence - 0.76 * 0.95) < 1e-9)
            #expect(importance.metadata["profile_code"] == Self.profile && importance.metadata["onet_element"] == "2.B.3.e")
            #expect(winners.first { $0.dimension == "level" }?.source == .authoritative)
        }
    }

    @Test("a store whose O*NET tier was stored as candidate rows (schema v2) is migrated to the layer with the same values")
    func v2TierRowsBecomeTheLayer() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.path("v2.sqlite").path
        do {
            let queue = try DatabaseQueue(path: path)
            // The engine's tables as schema v2 left them (the sources' tables play no part here).
            try SQLiteStore.migrator([]).migrate(queue, upTo: "v2-compact-cells")
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO run (id, command, started_at, status) VALUES ('r1', 'build', '2024-01-01T00:00:00.000Z', 'ok');
                    INSERT INTO descriptor (code, name, category, structure_type, definition)
                    VALUES ('F01b02', 'Programming', 'Skills', 'Descriptor', 'Writing programs');
                    INSERT INTO subject (id, kind, code) VALUES (1, 'unit_group', '21211'), (2, 'profile', '21211.00');
                    INSERT INTO provenance (id, source, precedence, method, source_level, source_ids, release, observed_at, run_id)
                    VALUES (1, 'onet', 2, 'onet_mean', 'L5', '["15-2051.00","15-2051.01"]', 'O*NET 29.3', '2024-01-01T00:00:00.000Z', 'r1'),
                           (2, 'onet', 2, 'onet_mean', 'L6', '["15-2051.00","15-2051.01"]', 'O*NET 29.3', '2024-01-01T00:00:00.000Z', 'r1');
                    INSERT INTO candidate (subject_id, descriptor_code, dimension, value, provenance_id, confidence, metadata, is_winner)
                    VALUES (1, 'F01b02', 'importance', 4, 1, 0.76, '{"onet_element":"2.B.3.e"}', 1),
                           (2, 'F01b02', 'importance', 4, 2, 0.76, '{"onet_element":"2.B.3.e"}', 1);
                    INSERT INTO step (name, fingerprint, completed_at, run_id, summary) VALUES ('onet', 'x', '2024-01-01T00:00:00.000Z', 'r1', '');
                    """)
            }
        }
        let store = try SQLiteStore(path: path)
        let counts = try store.dbQueue.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM candidate"), try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM onet_layer"))
        }
        #expect(counts.0 == 0 && counts.1 == 1)
        #expect(try store.completedStep("onet") == nil, "the O*NET step runs again on the next build")
        for subject in [Subject.unitGroup("21211"), .profile("21211.00")] {
            let cell = try #require(try store.winners(of: subject, filter: CellFilter()).first)
            #expect(cell.source == .onet && cell.value == 4 && cell.confidence == 0.76 && cell.release == "O*NET 29.3")
            #expect(cell.sourceIDs == ["15-2051.00", "15-2051.01"] && cell.metadata["onet_element"] == "2.B.3.e")
            #expect(cell.sourceLevel == subject.level && cell.runID == "r1")
        }
    }

    @Test("each offer's metadata read straight from the packed row is the JSON text of the decoded dictionary, escapes and repeated texts included")
    func metadataObjects() {
        var offers = [Self.offer(.importance, 4, at: 0), Self.offer(.level, 3.5, at: 0)]
        offers.append(UnitGroupOffer(unitGroup: "21211", descriptor: "A01a01", dimension: .importance, value: 2, confidence: 0.5,
                                     source: .onet, method: "onet_rating", sourceIDs: ["15-2051.00"], release: nil, observedAt: Self.at,
                                     details: [("quote", "say \"hi\", then, go"), ("back\\slash", "a\\b"), ("é", "café €"),
                                               ("control", "\u{1}x"), ("conversion", "IM 1-5 kept as is (OaSIS has no importance scale)")]))
        offers.append(UnitGroupOffer(unitGroup: "21211", descriptor: "A01a02", dimension: .importance, value: 1, confidence: 0.5,
                                     source: .onet, method: "onet_rating", sourceIDs: [], release: nil, observedAt: Self.at))
        let payload = ONetLayer.encode(offers)
        let decoded = ONetLayer.decode(payload, subject: .unitGroup("21211"),
                                       provenance: Provenance(source: .onet, method: ONetLayer.loadMethod, sourceLevel: .l5,
                                                              sourceIDs: [], release: nil, observedAt: Self.at),
                                       withMetadata: true)
        var read: [(descriptor: String, dimension: String, json: String?)] = []
        ONetLayer.forEachMetadataObject(payload) { read.append(($0, $1, $2)) }
        #expect(read.count == decoded.count)
        for (object, candidate) in zip(read, decoded) {
            #expect(object.descriptor == candidate.key.descriptor && object.dimension == candidate.key.dimension.rawValue)
            #expect(object.json == (candidate.metadata.isEmpty ? nil : JSONText.object(candidate.metadata)))
        }
        #expect(read.last?.json == nil)
    }
}
