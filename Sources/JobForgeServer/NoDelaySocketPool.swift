import FlyingFox
import FlyingSocks
import Foundation

/// FlyingFox writes a response's head and its body in two `write`s. With Nagle's algorithm on, the
/// body waits for the client's ACK of the head, which the client delays (about 40 ms on Linux):
/// 40 ms added to every request after the first on a kept-alive connection. FlyingFox has no
/// socket-option hook, but every socket that waits passes through the pool, so Nagle is turned
/// off there.
public struct NoDelaySocketPool<Base: AsyncSocketPool>: AsyncSocketPool {
    let base: Base

    public init(base: Base) { self.base = base }

    public func prepare() async throws { try await base.prepare() }

    public func run() async throws { try await base.run() }

    public func suspendSocket(_ socket: Socket, untilReadyFor events: Socket.Events) async throws {
        // Best effort: a failure costs latency, not correctness.
        try? socket.setValue(true, for: BoolSocketOption(level: Int32(IPPROTO_TCP), name: Int32(TCP_NODELAY)))
        try await base.suspendSocket(socket, untilReadyFor: events)
    }
}
