import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A bare HTTP/1.1 client for the serve benchmark: one kept-alive loopback connection per client,
/// blocking reads on a thread of its own. The benchmark's 16 clients share the server's 2 cores;
/// URLSession spends about 3 ms of CPU per request, as much as the server, and that CPU was taken
/// from the server. This one spends a few microseconds: what is measured is the server.
///
/// ```swift
/// let connection = try LoopbackHTTPConnection(port: 8080)
/// let status = try connection.get("/api/titles/JA-0002")   // 200; the body is read and dropped
/// ```
final class LoopbackHTTPConnection {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let port: UInt16
    private var socketFD: Int32 = -1
    /// Bytes received and not yet consumed (a response's head arrives with part of its body).
    private var received: [UInt8] = []
    private var readBuffer = [UInt8](repeating: 0, count: 1 << 16)

    init(port: UInt16) throws {
        self.port = port
        try open()
    }

    deinit { if socketFD >= 0 { close(socketFD) } }

    private func open() throws {
        if socketFD >= 0 { close(socketFD) }
        received.removeAll(keepingCapacity: true)
        socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw Failure(description: "connect to 127.0.0.1:\(port): errno \(errno)") }
        var one: Int32 = 1
        setsockopt(socketFD, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// GETs `path` and returns the status; the body is read whole (by its Content-Length) and
    /// dropped. A connection the server closed is opened again once.
    func get(_ path: String) throws -> Int {
        do {
            return try exchange(path)
        } catch is Closed {
            try open()
            return try exchange(path)
        }
    }

    private struct Closed: Error {}

    private func exchange(_ path: String) throws -> Int {
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            let count = request[sent...].withUnsafeBytes { send(socketFD, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw Closed() }
            sent += count
        }
        // The head: up to the blank line.
        var headEnd: Int?
        while headEnd == nil {
            headEnd = Self.blankLine(in: received)
            if headEnd == nil { try receiveMore() }
        }
        let head = String(decoding: received[..<headEnd!], as: UTF8.self)
        received.removeFirst(headEnd! + 4)
        let lines = head.split(separator: "\r\n")
        guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/1."),
              let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") else {
            throw Failure(description: "GET \(path): not an HTTP response: \(head.prefix(80))")
        }
        var length = 0
        var closes = false
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = parts[0].lowercased(), value = parts[1].trimmingCharacters(in: .whitespaces)
            if name == "content-length" { length = Int(value) ?? 0 }
            if name == "transfer-encoding" { throw Failure(description: "GET \(path): \(value) bodies are not read by this client") }
            if name == "connection", value.lowercased() == "close" { closes = true }
        }
        while received.count < length { try receiveMore() }
        received.removeFirst(length)
        if closes { try open() }
        return status
    }

    private func receiveMore() throws {
        let count = readBuffer.withUnsafeMutableBytes { recv(socketFD, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { throw Closed() }
        received.append(contentsOf: readBuffer[..<count])
    }

    /// Where `\r\n\r\n` starts in `bytes`.
    private static func blankLine(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4)
        where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }
}

/// `paths` GET by `clients` threads, each on its own kept-alive connection, each path once, in
/// turn (client k sends paths k, k + clients, ...); each client waits for a response before its
/// next request (a closed loop: latency is about clients / throughput).
func loadServerWithSockets(port: UInt16, paths: [String], clients: Int) async throws -> ([ServeResult], Double) {
    var seen = Set<String>()
    let first = paths.map { seen.insert($0).inserted }
    let started = DispatchTime.now().uptimeNanoseconds
    let perClient = try await withThrowingTaskGroup(of: [ServeResult].self) { group in
        for client in 0..<clients {
            group.addTask {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[ServeResult], any Error>) in
                    // A thread of its own: the reads block, and 16 of them would hold Swift's 2 cooperative threads.
                    let thread = Thread {
                        do {
                            let connection = try LoopbackHTTPConnection(port: port)
                            var out: [ServeResult] = []
                            for index in stride(from: client, to: paths.count, by: clients) {
                                let start = DispatchTime.now().uptimeNanoseconds
                                let status = try connection.get(paths[index])
                                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                                out.append(ServeResult(path: paths[index], status: status, seconds: seconds, isFirst: first[index]))
                            }
                            continuation.resume(returning: out)
                        } catch {
                            continuation.resume(throwing: error)
                        }
                    }
                    thread.start()
                }
            }
        }
        return try await group.reduce(into: []) { $0 += $1 }
    }
    return (perClient, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
}
