import Foundation
import JobForgeCore
import Testing

@Suite("The winner rule")
struct PrecedenceTests {
    static let key = CellKey(subject: .profile("21211.00"), descriptor: "A01a02", dimension: .level)

    static func candidate(_ source: Source, value: Double, at seconds: TimeInterval) -> Candidate {
        Candidate(key: key, value: value, source: source, method: "test", sourceLevel: .l6, sourceIDs: [],
                  confidence: 0.5, release: nil, observedAt: Date(timeIntervalSince1970: seconds))
    }

    @Test("precedence is authoritative 3, O*NET 2, LLM 1")
    func precedenceNumbers() {
        #expect(Source.authoritative.precedence == 3)
        #expect(Source.onet.precedence == 2)
        #expect(Source.llm.precedence == 1)
    }

    @Test("a higher source wins whatever the order of arrival")
    func higherWinsInEveryOrder() {
        let all: [Candidate] = [
            Self.candidate(.llm, value: 1, at: 300),
            Self.candidate(.onet, value: 2, at: 100),
            Self.candidate(.authoritative, value: 3, at: 0),
        ]
        for order in permutations(all) {
            #expect(Precedence.winner(of: order)?.source == .authoritative, "order \(order.map(\.source))")
        }
    }

    @Test("among equals the newer wins; a tie in time keeps the incumbent")
    func newerAmongEquals() {
        let older = Self.candidate(.onet, value: 2, at: 100)
        let newer = Self.candidate(.onet, value: 3, at: 200)
        #expect(Precedence.replaces(newer, incumbent: older))
        #expect(!Precedence.replaces(older, incumbent: newer))
        #expect(!Precedence.replaces(Self.candidate(.onet, value: 9, at: 100), incumbent: older))
        // An older higher-precedence value still beats a newer lower one.
        #expect(Precedence.replaces(Self.candidate(.authoritative, value: 1, at: 0), incumbent: newer))
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
