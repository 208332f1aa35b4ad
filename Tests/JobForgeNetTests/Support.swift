import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import JobForgeNet

/// What the scripted transport does for one request.
enum Step: Sendable {
    case answer(Int, headers: [String: String] = [:], body: String = "")
    /// Answers after a real wait.
    case answerAfter(TimeInterval, Int)
    /// A `TransportError`: no response at all.
    case transportError
    /// Never answers; ends only when cancelled, as `HTTPTransport.send` must.
    case hang
    case throwing(any Error)
}

/// The steps, used in order (then 200 "ok" for ever), and the requests seen.
actor Script {
    private var steps: [Step]
    private(set) var requests: [HTTPRequest] = []

    init(_ steps: [Step]) { self.steps = steps }

    func next(_ request: HTTPRequest) -> Step {
        requests.append(request)
        return steps.isEmpty ? .answer(200, body: "ok") : steps.removeFirst()
    }
}

/// An in-memory transport that plays a script.
struct ScriptedTransport: HTTPTransport {
    let script: Script

    init(_ steps: [Step]) { script = Script(steps) }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        switch await script.next(request) {
        case .answer(let status, let headers, let body):
            return HTTPResponse(status: status, headers: headers, body: Data(body.utf8), url: request.url)
        case .answerAfter(let seconds, let status):
            try await Task.sleep(for: .seconds(seconds))
            return HTTPResponse(status: status, headers: [:], body: Data(), url: request.url)
        case .transportError:
            throw TransportError(url: Redaction.describe(request.url), message: "connection refused")
        case .hang:
            try await Task.sleep(for: .seconds(3600))
            throw CancellationError()
        case .throwing(let error):
            throw error
        }
    }
}

/// Values recorded from synchronous closures (log lines, jitter ranges, waits).
final class Recorded<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Value] = []
    func append(_ value: Value) { lock.lock(); values.append(value); lock.unlock() }
    var all: [Value] { lock.lock(); defer { lock.unlock() }; return values }
}

/// A caller on a scripted transport whose waits, jitter and log are recorded, not lived.
struct Harness {
    let transport: ScriptedTransport
    let sleeps = Recorded<TimeInterval>()
    let ranges = Recorded<ClosedRange<Double>>()
    let lines = Recorded<String>()
    let counter = HTTPCounter()

    static let now = Date(timeIntervalSince1970: 1_700_000_000)
    static let url = URL(string: "https://api.example.test/v1/things?key=SECRET-123456&page=2")!

    init(_ steps: [Step]) { transport = ScriptedTransport(steps) }

    func caller(_ policy: RetryPolicy = Harness.policy(), secrets: [String] = [],
                pick: @escaping @Sendable (ClosedRange<Double>) -> Double = { $0.upperBound }) -> HTTPCaller {
        let sleeps = self.sleeps, ranges = self.ranges, lines = self.lines
        return HTTPCaller(transport: transport, policy: policy, counter: counter, secrets: secrets,
                          log: { lines.append($0) },
                          sleep: { sleeps.append($0) },
                          random: { range in ranges.append(range); return pick(range) },
                          now: { Harness.now })
    }

    static func policy(maxAttempts: Int = 5, baseDelay: TimeInterval = 0.1, maxDelay: TimeInterval = 0.25,
                       minimumDelay: TimeInterval = 0.05, maxRetryAfter: TimeInterval = 120) -> RetryPolicy {
        RetryPolicy(maxAttempts: maxAttempts, baseDelay: baseDelay, maxDelay: maxDelay, minimumDelay: minimumDelay,
                    maxRetryAfter: maxRetryAfter)
    }

    static func request(timeout: TimeInterval = 10) -> HTTPRequest { HTTPRequest(url: url, timeout: timeout) }

    var requestCount: Int { get async { await transport.script.requests.count } }
}

/// The usual rules: retry 429/408/5xx, accept everything else.
@Sendable func standard(_ response: HTTPResponse, _ attempt: Int) -> HTTPDecision<HTTPResponse> {
    RetryPolicy.isRetryable(status: response.status) ? .retry("HTTP \(response.status): \(response.bodyExcerpt())") : .accept(response)
}

/// An HTTP date, as servers write `Retry-After`.
func httpDate(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "GMT")
    formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
    return formatter.string(from: date)
}

/// A loopback TCP port that takes connections (the kernel completes them) but never reads or
/// answers: a server that has stalled.
final class SilentServer: Sendable {
    struct Failure: Error { var call: String }

    let port: UInt16
    private let descriptor: Int32

    init() throws {
        #if canImport(Glibc)
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let socketDescriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard socketDescriptor >= 0 else { throw Failure(call: "socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketDescriptor, $0, length) }
        }
        guard bound == 0, listen(socketDescriptor, 256) == 0 else {
            close(socketDescriptor)
            throw Failure(call: "bind/listen")
        }
        var actualLength = length
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketDescriptor, $0, &actualLength) }
        }
        guard named == 0 else {
            close(socketDescriptor)
            throw Failure(call: "getsockname")
        }
        port = UInt16(bigEndian: address.sin_port)
        descriptor = socketDescriptor
    }

    var url: URL { URL(string: "http://127.0.0.1:\(port)/never")! }

    func stop() { close(descriptor) }
}

/// Runs `count` operations, at most `width` at once, and returns their results.
func concurrently<T: Sendable>(_ count: Int, width: Int, _ operation: @escaping @Sendable (Int) async -> T) async -> [T] {
    await withTaskGroup(of: T.self) { group in
        var started = 0
        var results: [T] = []
        while started < min(width, count) {
            let index = started
            group.addTask { await operation(index) }
            started += 1
        }
        while let result = await group.next() {
            results.append(result)
            if started < count {
                let index = started
                group.addTask { await operation(index) }
                started += 1
            }
        }
        return results
    }
}
