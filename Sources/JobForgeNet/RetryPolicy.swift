import Foundation

/// When and how long to wait before trying a request again: exponential backoff with full
/// jitter, a floor (O*NET asks for at least 200 ms), `Retry-After` honoured, and a bound on
/// attempts so that a broken service ends the run instead of hanging it.
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var baseDelay: TimeInterval
    public var maxDelay: TimeInterval
    public var minimumDelay: TimeInterval
    /// The longest `Retry-After` we agree to wait; longer answers fail the request.
    public var maxRetryAfter: TimeInterval
    /// Attempts in a row, across all the calls of one `HTTPCaller`, that may fail to reach any
    /// server (connection refused, host not found) before every call stops with `HTTPUnreachable`.
    /// 5: a server restarting gets a few backed-off tries; a wrong URL fails in seconds, not minutes.
    public var maxConsecutiveConnectionFailures: Int

    public init(maxAttempts: Int = 5, baseDelay: TimeInterval = 0.5, maxDelay: TimeInterval = 30,
                minimumDelay: TimeInterval = 0.2, maxRetryAfter: TimeInterval = 120,
                maxConsecutiveConnectionFailures: Int = 5) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.minimumDelay = minimumDelay
        self.maxRetryAfter = maxRetryAfter
        self.maxConsecutiveConnectionFailures = max(1, maxConsecutiveConnectionFailures)
    }

    /// Whether a status is worth retrying: rate limiting and server errors.
    public static func isRetryable(status: Int) -> Bool {
        status == 429 || status == 408 || (500...599).contains(status)
    }

    /// The delay before attempt `attempt + 1` (attempt counts from 1). `requested` is what the
    /// response asked for (`requestedDelay(in:)`), used as it is, floored at `minimumDelay`;
    /// otherwise exponential backoff with full jitter. `random` is injectable so tests are
    /// deterministic.
    public func delay(afterAttempt attempt: Int, requested: TimeInterval?,
                      random: (ClosedRange<Double>) -> Double = { Double.random(in: $0) }) -> TimeInterval {
        if let requested {
            return max(minimumDelay, min(requested, maxRetryAfter))
        }
        let exponential = min(maxDelay, baseDelay * pow(2, Double(max(0, attempt - 1))))
        return max(minimumDelay, random(0...exponential))
    }

    /// The wait a response asks for, in seconds: `retry-after-ms` (OpenAI's, milliseconds) when
    /// present, else `Retry-After` (delta-seconds or an HTTP date, counted from `now`).
    public static func requestedDelay(in response: HTTPResponse, now: Date = Date()) -> TimeInterval? {
        if let value = response.header("retry-after-ms"),
           let milliseconds = Double(value.trimmingCharacters(in: .whitespaces)), milliseconds.isFinite {
            return max(0, milliseconds / 1000)
        }
        return response.header("Retry-After").flatMap { parseRetryAfter($0, now: now) }
    }

    /// `Retry-After` is either delta-seconds or an HTTP date.
    public static func parseRetryAfter(_ value: String, now: Date = Date()) -> TimeInterval? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed) { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        if let date = formatter.date(from: trimmed) { return max(0, date.timeIntervalSince(now)) }
        return nil
    }
}

/// Limits how many requests run at once (a counting semaphore for async code).
public actor ConcurrencyLimiter {
    private let limit: Int
    private var running = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init(limit: Int) { self.limit = max(1, limit) }

    public func acquire() async {
        if running < limit {
            running += 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    public func release() {
        if waiters.isEmpty {
            running -= 1
        } else {
            waiters.removeFirst().resume()
        }
    }

    public func run<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        await acquire()
        do {
            let result = try await body()
            release()
            return result
        } catch {
            release()
            throw error
        }
    }
}
