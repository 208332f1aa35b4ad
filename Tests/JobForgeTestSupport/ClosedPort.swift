import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A loopback port nothing listens on: bound, then closed. A client pointed at it gets
/// "connection refused" at once, as from a server that is down.
public enum ClosedPort {
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String { "no free loopback port to bind" }
    }

    public static func take() throws -> UInt16 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        close(descriptor)
        guard bound else { throw Unavailable() }
        return UInt16(bigEndian: address.sin_port)
    }
}
