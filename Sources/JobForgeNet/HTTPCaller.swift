import Foundation
import Synchronization

/// What a source makes of one response. The source decides only this (its status rules, and
/// whether a body is usable) and words its own errors; `HTTPCaller` does the rest.
public enum HTTPDecision<Value: Sendable>: Sendable {
    /// The answer: the call returns it.
    case accept(Value)
    /// Worth another attempt. `because` says why: it is logged (scrubbed) with each retry and
    /// handed back in `HTTPRetryFailure.problem` when attempts run out. The wait is what the
    /// response asks for (`retry-after-ms`, `Retry-After`), else the policy's backoff.
    case retry(because: any Error)
    /// No retry will help: the call throws this error as it is.
    case fail(any Error)

    /// Retry, with the reason in words.
    public static func retry(_ message: String) -> HTTPDecision { .retry(because: HTTPProblem(message)) }
}

/// A reason to retry, in words the source chose (and scrubbed of its secrets).
public struct HTTPProblem: Error, Sendable, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// No answer within the client-side deadline.
public struct HTTPDeadlineExceeded: Error, Sendable, CustomStringConvertible, Equatable {
    public var seconds: TimeInterval
    public init(seconds: TimeInterval) { self.seconds = seconds }
    public var description: String { "no answer within \(HTTPCaller.format(seconds)) s" }
}

/// A call that gave up: its attempts ran out, or a response asked for a longer wait than the
/// policy allows. Sources turn it into their own error.
public struct HTTPRetryFailure: Error, Sendable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        case attemptsExhausted
        /// The last response asked to wait `requested` seconds, more than `limit` (`RetryPolicy.maxRetryAfter`).
        case retryAfterTooLong(requested: TimeInterval, limit: TimeInterval)
    }

    public var reason: Reason
    /// Requests sent, the last one included.
    public var attempts: Int
    /// Why the last attempt failed: the source's `retry(because:)`, a `TransportError`, or an
    /// `HTTPDeadlineExceeded`.
    public var problem: any Error
    /// The last response; nil when the last attempt got none.
    public var response: HTTPResponse?

    public init(reason: Reason, attempts: Int, problem: any Error, response: HTTPResponse?) {
        self.reason = reason
        self.attempts = attempts
        self.problem = problem
        self.response = response
    }

    /// The wait refused, in words, e.g. "Retry-After 300 s is longer than the 120 s we wait"; nil
    /// when attempts ran out.
    public var refusedWait: String? {
        guard case .retryAfterTooLong(let requested, let limit) = reason else { return nil }
        return "Retry-After \(HTTPCaller.format(requested)) s is longer than the \(HTTPCaller.format(limit)) s we wait"
    }

    public var description: String {
        if let refusedWait { return "\(problem) (\(refusedWait))" }
        return "gave up after \(attempts) attempts: \(problem)"
    }
}

/// No server could be reached: `RetryPolicy.maxConsecutiveConnectionFailures` attempts in a row,
/// across all the calls of one `HTTPCaller`, failed to connect (connection refused, host not
/// found). Retrying would only add minutes to a run that cannot succeed, so every call of that
/// caller fails at once from then on, until an attempt reaches a server again.
public struct HTTPUnreachable: Error, Sendable, CustomStringConvertible, Equatable {
    /// `host:port` (or the host alone) that could not be reached.
    public var host: String
    /// Failed connection attempts in a row.
    public var failures: Int
    /// The last transport error, scrubbed of secrets.
    public var cause: String

    public init(host: String, failures: Int, cause: String) {
        self.host = host
        self.failures = failures
        self.cause = cause
    }

    public var description: String {
        "cannot reach \(host): \(failures) connection attempts in a row failed (\(cause)); check that the server is running and the URL is right"
    }

    /// `host:port` of a URL, as shown in the error.
    static func hostDescription(_ url: URL) -> String {
        guard let host = url.host else { return Redaction.describe(url) }
        return url.port.map { "\(host):\($0)" } ?? host
    }
}

/// Counts attempts in a row that reached no server, across the calls that share it.
final class ConnectionBreaker: Sendable {
    private let state = Mutex((failures: 0, last: HTTPUnreachable?.none))

    /// The failure that opened the breaker, if it is open.
    var open: HTTPUnreachable? { state.withLock { $0.last } }

    func reachedServer() {
        state.withLock { $0 = (0, nil) }
    }

    /// One more connection failure; returns the error once `limit` failures in a row are reached.
    func failedToConnect(host: String, cause: String, limit: Int) -> HTTPUnreachable? {
        state.withLock { state in
            state.failures += 1
            guard state.failures >= limit else { return nil }
            let error = HTTPUnreachable(host: host, failures: state.failures, cause: cause)
            state.last = error
            return error
        }
    }
}

/// Requests sent, retries and body bytes received by the calls that share it.
public actor HTTPCounter {
    public struct Counts: Sendable, Equatable {
        public var requests = 0
        public var retries = 0
        public var bytesReceived = 0
        public init(requests: Int = 0, retries: Int = 0, bytesReceived: Int = 0) {
            self.requests = requests
            self.retries = retries
            self.bytesReceived = bytesReceived
        }
    }

    public private(set) var counts = Counts()

    public init() {}

    func addRequest() { counts.requests += 1 }
    func addRetry() { counts.retries += 1 }
    func addBytes(_ count: Int) { counts.bytesReceived += count }
}

/// The one way the network sources call HTTP: each attempt through an optional admission gate
/// (a concurrency limit, a per-host pause), under a client-side deadline, counted; then the
/// source's `classify` decides; retries wait what the response asks for (`retry-after-ms`,
/// `Retry-After` in seconds or as an HTTP date, refused beyond `RetryPolicy.maxRetryAfter`) or
/// back off with jitter, within `RetryPolicy.maxAttempts`. Transport failures and missed deadlines
/// are retried; any other error (cancellation among them) ends the call at once. Attempts that
/// reach no server are counted across all calls: after `RetryPolicy.maxConsecutiveConnectionFailures`
/// in a row every call throws `HTTPUnreachable` at once. Each retry and each give-up is logged in
/// one line, scrubbed of `secrets`.
public struct HTTPCaller: Sendable {
    /// Runs one attempt (`attempt`) when the gate lets it; the deadline starts inside.
    public typealias Admission = @Sendable (_ attempt: @Sendable () async throws -> HTTPResponse) async throws -> HTTPResponse

    public let transport: any HTTPTransport
    public let policy: RetryPolicy
    public let counter: HTTPCounter?
    private let secrets: [String]
    private let log: @Sendable (String) -> Void
    private let sleep: @Sendable (TimeInterval) async throws -> Void
    private let random: @Sendable (ClosedRange<Double>) -> Double
    private let now: @Sendable () -> Date
    /// Shared by every call of this caller (and of its copies).
    private let breaker = ConnectionBreaker()

    /// `sleep` waits between attempts, `random` draws the jitter, `now` dates an HTTP-date
    /// `Retry-After`: all injectable so that tests neither wait nor guess. `secrets` are removed
    /// from every line logged.
    public init(transport: any HTTPTransport, policy: RetryPolicy, counter: HTTPCounter? = nil, secrets: [String] = [],
                log: @escaping @Sendable (String) -> Void = { _ in },
                sleep: @escaping @Sendable (TimeInterval) async throws -> Void = HTTPCaller.sleep,
                random: @escaping @Sendable (ClosedRange<Double>) -> Double = { Double.random(in: $0) },
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.transport = transport
        self.policy = policy
        self.counter = counter
        self.secrets = secrets
        self.log = log
        self.sleep = sleep
        self.random = random
        self.now = now
    }

    /// A real wait (the default `sleep`).
    @Sendable public static func sleep(_ seconds: TimeInterval) async throws {
        try await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1_000_000_000))
    }

    /// Sends `request` until `classify` accepts or fails a response, or the call gives up.
    ///
    /// - Parameters:
    ///   - deadline: seconds each attempt may take, from the moment it is admitted; defaults to
    ///     `request.timeout` (URLSession's own timeout is an idle timeout on Linux, not a deadline).
    ///   - admission: wraps each attempt, e.g. `limiter.run`; the time spent waiting there does not
    ///     count against the deadline.
    ///   - classify: the source's rules for a response and the attempt number (from 1).
    /// - Returns: the accepted value and the number of requests sent.
    /// - Throws: the error of `.fail`; `HTTPRetryFailure` when it gives up; `CancellationError`
    ///   (or whatever the transport throws other than `TransportError`) at once.
    public func send<Value: Sendable>(_ request: HTTPRequest, deadline: TimeInterval? = nil, admission: Admission? = nil,
                                      classify: @Sendable (_ response: HTTPResponse, _ attempt: Int) -> HTTPDecision<Value>)
        async throws -> (value: Value, attempts: Int) {
        let seconds = deadline ?? request.timeout
        let shown = "\(request.method) \(scrub(Redaction.describe(request.url)))"
        var attempt = 0
        let host = HTTPUnreachable.hostDescription(request.url)
        while true {
            try Task.checkCancellation()
            if let unreachable = breaker.open { throw unreachable }
            attempt += 1
            let outcome: Result<HTTPResponse, any Error>
            do {
                outcome = .success(try await sendOnce(request, deadline: seconds, admission: admission))
            } catch {
                outcome = .failure(error)
            }
            let problem: any Error
            var response: HTTPResponse?
            var requested: TimeInterval?
            switch outcome {
            case .success(let answer):
                breaker.reachedServer()
                switch classify(answer, attempt) {
                case .accept(let value):
                    return (value, attempt)
                case .fail(let error):
                    throw error
                case .retry(let because):
                    problem = because
                    response = answer
                    requested = RetryPolicy.requestedDelay(in: answer, now: now())
                }
            case .failure(let error):
                guard error is TransportError || error is HTTPDeadlineExceeded, !Task.isCancelled else { throw error }
                problem = error
                if let transport = error as? TransportError, transport.isConnectionFailure,
                   let unreachable = breaker.failedToConnect(host: host, cause: scrub(transport.message),
                                                             limit: policy.maxConsecutiveConnectionFailures) {
                    log("\(shown): \(scrub(unreachable.description)), giving up")
                    throw unreachable
                }
            }
            let reason = scrub("\(problem)")
            guard attempt < policy.maxAttempts else {
                log("\(shown): giving up after \(attempt) attempts (\(reason))")
                throw HTTPRetryFailure(reason: .attemptsExhausted, attempts: attempt, problem: problem, response: response)
            }
            if let requested, requested > policy.maxRetryAfter {
                let failure = HTTPRetryFailure(reason: .retryAfterTooLong(requested: requested, limit: policy.maxRetryAfter),
                                               attempts: attempt, problem: problem, response: response)
                log("\(shown): \(reason); \(failure.refusedWait ?? ""), giving up")
                throw failure
            }
            // No server at all: the next try comes after the first backoff step, not a growing
            // one, so that the breaker decides within seconds whether anyone is there.
            let refused = (problem as? TransportError)?.isConnectionFailure == true
            let delay = policy.delay(afterAttempt: refused ? 1 : attempt, requested: requested, random: random)
            await counter?.addRetry()
            log("\(shown): \(reason); retry \(attempt) in \(String(format: "%.2f", delay)) s")
            try await sleep(delay)
        }
    }

    /// One attempt: admitted, counted, under the deadline.
    private func sendOnce(_ request: HTTPRequest, deadline: TimeInterval, admission: Admission?) async throws -> HTTPResponse {
        let transport = self.transport
        let counter = self.counter
        let attempt: @Sendable () async throws -> HTTPResponse = {
            await counter?.addRequest()
            let response = try await HTTPCaller.withDeadline(deadline) { try await transport.send(request) }
            await counter?.addBytes(response.body.count)
            return response
        }
        if let admission { return try await admission(attempt) }
        return try await attempt()
    }

    /// Runs `operation` against a deadline of `seconds`: the operation and a timer race in a task
    /// group, the first to finish wins, and the other is cancelled. The deadline throws
    /// `HTTPDeadlineExceeded`. The group waits for the loser, so `operation` must end once
    /// cancelled, as `HTTPTransport.send` must; there is no continuation here to leave hanging.
    public static func withDeadline<T: Sendable>(_ seconds: TimeInterval,
                                                 _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask(operation: operation)
            group.addTask {
                try await Task.sleep(for: .seconds(min(max(0.001, seconds), 1e9)))
                throw HTTPDeadlineExceeded(seconds: seconds)
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw CancellationError() }
            return first
        }
    }

    private func scrub(_ text: String) -> String { Redaction.scrub(text, secrets: secrets) }

    /// Seconds for messages: "4", "0.25", "120".
    public static func format(_ seconds: TimeInterval) -> String {
        if seconds.rounded() == seconds, abs(seconds) < 1e15 { return String(Int(seconds)) }
        return String(format: "%g", seconds)
    }
}
