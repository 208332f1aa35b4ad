import Foundation
import JobForgeCore
import Testing

@Suite("A producer thread handing its output to the caller's")
struct BlockingPipelineTests {
    struct Failure: Error, Equatable { var at: Int }

    /// A value both threads touch.
    final class Shared<Value: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Value
        init(_ value: Value) { self.value = value }
        func withLock<T>(_ body: (inout Value) -> T) -> T { lock.withLock { body(&value) } }
    }

    @Test("everything sent arrives once, in the order sent, while the producer holds at most `capacity` ahead")
    func order() throws {
        let ahead = Shared(0), mostAhead = Shared(0)
        var received: [Int] = []
        try BlockingPipeline.run(capacity: 3) { send in
            for number in 0..<5_000 {
                try send(number)
                let now = ahead.withLock { $0 += 1; return $0 }
                mostAhead.withLock { $0 = max($0, now) }
            }
        } consume: { number in
            ahead.withLock { $0 -= 1 }
            received.append(number)
        }
        #expect(received == Array(0..<5_000))
        // Sent but not yet taken: the buffer's 3, and one being handed over.
        #expect(mostAhead.withLock { $0 } <= 4)
    }

    @Test("the producer's error arrives after what it sent before it")
    func producerError() {
        var received: [Int] = []
        #expect(throws: Failure(at: 10)) {
            try BlockingPipeline.run(capacity: 2) { send in
                for number in 0..<10 { try send(number) }
                throw Failure(at: 10)
            } consume: { received.append($0) }
        }
        #expect(received == Array(0..<10))
    }

    @Test("the consumer's error stops the producer, and run returns only once its thread has ended")
    func consumerError() {
        let sent = Shared(0), ended = Shared(false)
        #expect(throws: Failure(at: 5)) {
            try BlockingPipeline.run(capacity: 2) { send in
                defer { ended.withLock { $0 = true } }
                for number in 0..<1_000_000 {
                    try send(number)
                    sent.withLock { $0 += 1 }
                }
            } consume: { number in
                if number == 5 { throw Failure(at: 5) }
            }
        }
        #expect(ended.withLock { $0 })
        // Stopped at its next send: not a million items later.
        #expect(sent.withLock { $0 } < 20)
    }
}
