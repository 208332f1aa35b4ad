import Foundation

/// A producer on a thread of its own handing its output, in order, to a consumer on the caller's
/// thread, through a bounded buffer: on two cores a long pass whose reading and writing cost about
/// the same takes about the time of the slower half, in the memory of `capacity` items.
///
/// A plain thread, as ``BlockingBackground``: the caller blocks while it consumes.
///
/// ```swift
/// try BlockingPipeline.run(capacity: 8) { send in
///     for subject in subjects { try send(derive(subject)) }   // on the other thread
/// } consume: { cells in
///     try encode(cells)                                       // on this one, in the order sent
/// }
/// ```
///
/// An error on either side ends both: the producer's is rethrown once the consumer has taken
/// everything sent before it; the consumer's stops the producer at its next `send`. `run` returns
/// or throws only once the producer's thread has ended, so that what the producer reads (a
/// database connection) is free again.
public enum BlockingPipeline {
    public static func run<Item: Sendable>(capacity: Int = 8,
                                           produce: @escaping @Sendable (_ send: (Item) throws -> Void) throws -> Void,
                                           consume: (Item) throws -> Void) throws {
        let buffer = Buffer<Item>(capacity: max(1, capacity))
        Thread {
            let outcome = Result { try produce(buffer.send) }
            buffer.close(outcome)
        }.start()
        do {
            while let item = try buffer.take() { try consume(item) }
        } catch {
            buffer.cancel()
            buffer.waitForProducer()
            throw error
        }
    }

    /// Raised in the producer by `send` once the consumer has stopped.
    struct ConsumerStopped: Error {}

    private final class Buffer<Item: Sendable>: @unchecked Sendable {
        // @unchecked: every field is read and written under `condition`.
        private let condition = NSCondition()
        private var items: [Item] = []
        private let capacity: Int
        private var outcome: Result<Void, any Error>?
        private var cancelled = false

        init(capacity: Int) {
            self.capacity = capacity
            items.reserveCapacity(capacity)
        }

        func send(_ item: Item) throws {
            condition.lock()
            defer { condition.unlock() }
            while items.count >= capacity && !cancelled { condition.wait() }
            if cancelled { throw ConsumerStopped() }
            items.append(item)
            condition.broadcast()
        }

        /// The next item in the order sent; nil once the producer ended and everything is taken.
        func take() throws -> Item? {
            condition.lock()
            defer { condition.unlock() }
            while items.isEmpty && outcome == nil { condition.wait() }
            if !items.isEmpty {
                // A few items at most: shifting them costs nothing next to what each holds.
                let item = items.removeFirst()
                condition.broadcast()
                return item
            }
            try outcome!.get()
            return nil
        }

        func close(_ outcome: Result<Void, any Error>) {
            condition.lock()
            self.outcome = outcome
            condition.broadcast()
            condition.unlock()
        }

        func cancel() {
            condition.lock()
            cancelled = true
            condition.broadcast()
            condition.unlock()
        }

        func waitForProducer() {
            condition.lock()
            while outcome == nil { condition.wait() }
            condition.unlock()
        }
    }
}
