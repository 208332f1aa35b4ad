import Foundation
import GRDB
import JobForgeCore
import JobForgeStore
import JobForgeTestSupport
import Testing

/// The precedence mechanism through the store: winners, kept candidates, the override log.
@Suite("Cascade writer")
struct CascadeWriterTests {
    static let key = CellKey(subject: .title("T-1"), descriptor: "F01b02", dimension: .level)

    static func offer(_ source: Source, _ value: Double, at seconds: TimeInterval, key: CellKey = key) -> Candidate {
        Candidate(key: key, value: value, source: source, method: CandidateMethod("\(source.rawValue)_test"), sourceLevel: .l7,
                  sourceIDs: ["id-\(source.rawValue)"], confidence: source == .llm ? 0.7 : 1,
                  rationale: source == .llm ? "synthetic answer" : nil, release: "r1",
                  observedAt: Date(timeIntervalSince1970: 1_700_000_000 + seconds))
    }

    func withStore(_ body: (SQLiteStore, String) throws -> Void) throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.path("t.sqlite").path)
        try body(store, try store.beginRun(command: "test"))
    }

    @Test("every arrival order of the three sources ends with the authoritative value, nothing lost, every change logged")
    func everyArrivalOrder() throws {
        let offers = [Self.offer(.authoritative, 3, at: 0), Self.offer(.onet, 2.5, at: 10), Self.offer(.llm, 4, at: 20)]
        for order in permutations(offers) {
            try withStore { store, run in
                var expectedWinner: Candidate?
                var expectedEvents = 0
                for offer in order {
                    _ = try store.submit([offer], runID: run)
                    if let current = expectedWinner {
                        if offer.precedence > current.precedence {
                            expectedWinner = offer
                            expectedEvents += 1
                        }
                    } else {
                        expectedWinner = offer
                    }
                    let stored = try store.candidates(for: Self.key)
                    #expect(stored.filter(\.isWinner).map(\.candidate.source) == [expectedWinner!.source])
                }
                let stored = try store.candidates(for: Self.key)
                #expect(stored.count == 3, "lower candidates are kept (order \(order.map(\.source)))")
                #expect(stored.first(where: \.isWinner)?.candidate.value == 3)
                let events = try store.overrides(for: Self.key)
                #expect(events.count == expectedEvents, "order \(order.map(\.source))")
                for event in events {
                    #expect((event.newSource?.precedence ?? 0) > (event.oldSource?.precedence ?? 0))
                    #expect(event.reason.contains("higher precedence"))
                }
            }
        }
    }

    @Test("an LLM value loses to an O*NET value that arrives later, with the old and new value in the log")
    func lateHigherSourceOverrides() throws {
        try withStore { store, run in
            _ = try store.submit([Self.offer(.llm, 4, at: 0)], runID: run)
            let summary = try store.submit([Self.offer(.onet, 2.5, at: 10)], runID: run)
            #expect(summary.overridden == 1)
            let event = try #require(try store.overrides(for: Self.key).first)
            #expect(event.oldSource == .llm && event.oldValue == 4)
            #expect(event.newSource == .onet && event.newValue == 2.5)
            #expect(event.runID == run)
        }
    }

    @Test("among equal sources the newer value wins; the same offer again changes nothing")
    func newerAmongEqualsAndIdempotence() throws {
        try withStore { store, run in
            _ = try store.submit([Self.offer(.onet, 2, at: 0)], runID: run)
            let newer = try store.submit([Self.offer(.onet, 3, at: 50)], runID: run)
            #expect(newer.overridden == 1)
            let again = try store.submit([Self.offer(.onet, 3, at: 50)], runID: run)
            #expect(again == { var s = SubmitSummary(); s.unchanged = 1; return s }())
            let older = try store.submit([Self.offer(.onet, 1, at: 10)], runID: run)
            #expect(older.keptBelow == 1 && older.overridden == 0)
            #expect(try store.candidates(for: Self.key).first(where: \.isWinner)?.candidate.value == 3)
        }
    }

    @Test("the override log and the candidates cannot be rewritten")
    func appendOnly() throws {
        try withStore { store, run in
            _ = try store.submit([Self.offer(.llm, 4, at: 0), Self.offer(.authoritative, 3, at: 1)], runID: run)
            #expect(throws: DatabaseError.self) {
                try store.dbQueue.write { try $0.execute(sql: "UPDATE override_event SET new_value = 0") }
            }
            #expect(throws: DatabaseError.self) {
                try store.dbQueue.write { try $0.execute(sql: "DELETE FROM override_event") }
            }
            #expect(throws: DatabaseError.self) {
                try store.dbQueue.write { try $0.execute(sql: "DELETE FROM candidate") }
            }
            #expect(try store.overrides(for: Self.key).count == 1)
        }
    }

    @Test("a batch applies in order and keeps provenance: rationale, sources, metadata")
    func provenanceRoundTrip() throws {
        try withStore { store, run in
            var offer = Self.offer(.llm, 2, at: 0)
            offer.metadata = ["model": "gpt-4o-2024-08-06", "request_id": "req \"1\""]
            _ = try store.submit([offer], runID: run)
            let stored = try #require(try store.candidates(for: Self.key).first)
            #expect(stored.candidate == offer)
            #expect(stored.runID == run)
        }
    }
}

func permutations<T>(_ items: [T]) -> [[T]] {
    guard items.count > 1 else { return [items] }
    var result: [[T]] = []
    for (index, item) in items.enumerated() {
        var rest = items
        rest.remove(at: index)
        for tail in permutations(rest) { result.append([item] + tail) }
    }
    return result
}
