import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import JobForgeNet
import Testing

/// The semantics every network source shares: retries, waits, the deadline, counting, logging.
@Suite struct HTTPCallerTests {
    struct Refused: Error, Equatable {}
    struct Unexpected: Error, Equatable {}

    // MARK: Retries and waits

    @Test("5xx and 429 are retried with exponential backoff and full jitter, capped at maxDelay")
    func backoffWithJitter() async throws {
        let harness = Harness([.answer(500), .answer(503), .answer(429), .answer(502)])
        let (response, attempts) = try await harness.caller().send(Harness.request(), classify: standard)
        #expect(response.status == 200 && attempts == 5)
        // base 0.1 doubling, capped at 0.25; the jitter is drawn from 0 up to that.
        #expect(harness.ranges.all == [0...0.1, 0...0.2, 0...0.25, 0...0.25])
        #expect(harness.sleeps.all == [0.1, 0.2, 0.25, 0.25])
    }

    @Test("A jitter draw below minimumDelay waits minimumDelay")
    func jitterFloor() async throws {
        let harness = Harness([.answer(500), .answer(408)])
        let (_, attempts) = try await harness.caller(pick: { $0.lowerBound }).send(Harness.request(), classify: standard)
        #expect(attempts == 3)
        #expect(harness.sleeps.all == [0.05, 0.05])
    }

    @Test("Retry-After in seconds is waited as asked, without jitter, and never less than minimumDelay")
    func retryAfterSeconds() async throws {
        let harness = Harness([.answer(429, headers: ["Retry-After": "7"]), .answer(503, headers: ["retry-after": " 0 "])])
        let (_, attempts) = try await harness.caller().send(Harness.request(), classify: standard)
        #expect(attempts == 3)
        #expect(harness.sleeps.all == [7, 0.05])
        #expect(harness.ranges.all.isEmpty)
    }

    @Test("Retry-After as an HTTP date waits until that date, counted from the injected now; a past date waits minimumDelay")
    func retryAfterDate() async throws {
        let harness = Harness([
            .answer(503, headers: ["Retry-After": httpDate(Harness.now.addingTimeInterval(30))]),
            .answer(503, headers: ["Retry-After": httpDate(Harness.now.addingTimeInterval(-600))]),
        ])
        _ = try await harness.caller().send(Harness.request(), classify: standard)
        #expect(harness.sleeps.all == [30, 0.05])
    }

    @Test("retry-after-ms is honoured in milliseconds, ahead of Retry-After")
    func retryAfterMilliseconds() async throws {
        let harness = Harness([
            .answer(429, headers: ["retry-after-ms": "1500", "Retry-After": "9"]),
            .answer(429, headers: ["Retry-After-Ms": "250"]),
        ])
        _ = try await harness.caller().send(Harness.request(), classify: standard)
        #expect(harness.sleeps.all == [1.5, 0.25])
    }

    @Test("A Retry-After beyond maxRetryAfter stops at once with the response, in seconds, in ms or as a date",
          arguments: [["Retry-After": "300"], ["retry-after-ms": "300000"],
                      ["Retry-After": httpDate(Harness.now.addingTimeInterval(300))]])
    func retryAfterCap(headers: [String: String]) async throws {
        let harness = Harness([.answer(429, headers: headers, body: "slow down")])
        let failure = await #expect(throws: HTTPRetryFailure.self) {
            _ = try await harness.caller(Harness.policy(maxRetryAfter: 120)).send(Harness.request(), classify: standard)
        }
        #expect(failure?.reason == .retryAfterTooLong(requested: 300, limit: 120))
        #expect(failure?.attempts == 1)
        #expect(failure?.response?.status == 429)
        #expect(failure?.refusedWait == "Retry-After 300 s is longer than the 120 s we wait")
        #expect((failure?.problem as? HTTPProblem)?.message == "HTTP 429: slow down")
        #expect(harness.sleeps.all.isEmpty)
        #expect(await harness.requestCount == 1)
        #expect(harness.lines.all.count == 1 && harness.lines.all[0].contains("longer than the 120 s we wait, giving up"))
    }

    @Test("When attempts run out, the failure reports them with the last problem and the last response")
    func attemptsExhausted() async throws {
        let harness = Harness([.answer(500), .answer(500), .answer(503, body: "down")])
        let failure = await #expect(throws: HTTPRetryFailure.self) {
            _ = try await harness.caller(Harness.policy(maxAttempts: 3)).send(Harness.request(), classify: standard)
        }
        #expect(failure?.reason == .attemptsExhausted)
        #expect(failure?.attempts == 3)
        #expect((failure?.problem as? HTTPProblem)?.message == "HTTP 503: down")
        #expect(failure?.response?.status == 503)
        #expect(harness.sleeps.all.count == 2)
        #expect(await harness.requestCount == 3)

        // No answer on the last attempt: no response, and the transport's own error.
        let silent = Harness([.answer(500), .transportError])
        let lastError = await #expect(throws: HTTPRetryFailure.self) {
            _ = try await silent.caller(Harness.policy(maxAttempts: 2)).send(Harness.request(), classify: standard)
        }
        #expect(lastError?.response == nil)
        #expect(lastError?.problem is TransportError)
        #expect(lastError?.description.hasPrefix("gave up after 2 attempts: request to") == true)
    }

    @Test("Statuses that are not retried reach the classifier once and come back with the attempt count")
    func nonRetryableStatusesAreReturned() async throws {
        for status in [201, 304, 404, 410, 422] {
            let harness = Harness([.answer(status)])
            let (response, attempts) = try await harness.caller().send(Harness.request(), classify: standard)
            #expect(response.status == status && attempts == 1)
        }
        let harness = Harness([.answer(500), .answer(404)])
        let attemptsSeen = Recorded<Int>()
        let (response, attempts) = try await harness.caller().send(Harness.request()) { response, attempt in
            attemptsSeen.append(attempt)
            return standard(response, attempt)
        }
        #expect(response.status == 404 && attempts == 2)
        #expect(attemptsSeen.all == [1, 2])
    }

    @Test("The classifier's value is returned, and its failure is thrown as it is, without retry")
    func classifierValueAndFailure() async throws {
        let harness = Harness([.answer(200, body: "42")])
        let (value, _) = try await harness.caller().send(Harness.request()) { response, _ in
            .accept(Int(String(decoding: response.body, as: UTF8.self)) ?? -1)
        }
        #expect(value == 42)

        let refusing = Harness([.answer(401), .answer(200)])
        await #expect(throws: Refused()) {
            _ = try await refusing.caller().send(Harness.request()) { response, _ -> HTTPDecision<HTTPResponse> in
                response.status == 401 ? .fail(Refused()) : .accept(response)
            }
        }
        #expect(await refusing.requestCount == 1)
        #expect(refusing.sleeps.all.isEmpty && refusing.lines.all.isEmpty)
    }

    @Test("A body the classifier cannot use is retried like a status, then handed back as the problem")
    func unusableBodyIsRetried() async throws {
        struct Garbled: Error { var excerpt: String }
        let harness = Harness([.answer(200, body: "{\"trunc"), .answer(200, body: "{\"trunc")])
        let failure = await #expect(throws: HTTPRetryFailure.self) {
            _ = try await harness.caller(Harness.policy(maxAttempts: 2)).send(Harness.request()) { response, _ -> HTTPDecision<Int> in
                .retry(because: Garbled(excerpt: response.bodyExcerpt()))
            }
        }
        #expect((failure?.problem as? Garbled)?.excerpt == "{\"trunc")
        #expect(failure?.response?.status == 200)
    }

    @Test("Transport failures are retried; any other error ends the call at once")
    func transportFailuresAreRetried() async throws {
        let harness = Harness([.transportError, .transportError])
        let (response, attempts) = try await harness.caller().send(Harness.request(), classify: standard)
        #expect(response.status == 200 && attempts == 3)
        #expect(harness.sleeps.all.count == 2)

        let other = Harness([.throwing(Unexpected())])
        await #expect(throws: Unexpected()) {
            _ = try await other.caller().send(Harness.request(), classify: standard)
        }
        #expect(await other.requestCount == 1)
    }

    // MARK: Deadline

    @Test("A stalled attempt ends at the deadline and becomes a retry", .timeLimit(.minutes(1)))
    func stalledAttemptIsRetried() async throws {
        let harness = Harness([.hang])
        let started = ContinuousClock.now
        let (response, attempts) = try await harness.caller().send(Harness.request(), deadline: 0.1, classify: standard)
        #expect(response.status == 200 && attempts == 2)
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(harness.lines.all.count == 1 && harness.lines.all[0].contains("no answer within 0.1 s; retry 1 in"))
    }

    @Test("The deadline defaults to the request's timeout")
    func deadlineDefaultsToTimeout() async throws {
        let harness = Harness([.hang])
        let failure = await #expect(throws: HTTPRetryFailure.self) {
            _ = try await harness.caller(Harness.policy(maxAttempts: 1)).send(Harness.request(timeout: 0.05), classify: standard)
        }
        #expect(failure?.problem as? HTTPDeadlineExceeded == HTTPDeadlineExceeded(seconds: 0.05))
    }

    @Test("A transport that never answers fails within the deadline, every time: 50 calls, 8 at once",
          .timeLimit(.minutes(1)))
    func deadlineNeverHangsInMemory() async throws {
        let elapsed = await concurrently(50, width: 8) { _ -> Duration? in
            let caller = HTTPCaller(transport: ScriptedTransport(Array(repeating: .hang, count: 1)),
                                    policy: Harness.policy(maxAttempts: 1))
            let started = ContinuousClock.now
            do {
                _ = try await caller.send(Harness.request(), deadline: 0.05, classify: standard)
                return nil
            } catch let failure as HTTPRetryFailure where failure.problem is HTTPDeadlineExceeded {
                return ContinuousClock.now - started
            } catch {
                return nil
            }
        }
        #expect(elapsed.count == 50)
        #expect(elapsed.allSatisfy { $0 != nil }, "every call must end with the deadline")
        #expect(elapsed.compactMap { $0 }.allSatisfy { $0 >= .milliseconds(50) && $0 < .seconds(3) })
    }

    @Test("URLSessionTransport to a loopback server that never answers fails within the deadline: 50 calls, 8 at once",
          .timeLimit(.minutes(2)))
    func deadlineNeverHangsOnURLSession() async throws {
        let server = try SilentServer()
        defer { server.stop() }
        let transport = URLSessionTransport()
        let url = server.url
        let elapsed = await concurrently(50, width: 8) { _ -> Duration? in
            let caller = HTTPCaller(transport: transport, policy: Harness.policy(maxAttempts: 1))
            let started = ContinuousClock.now
            do {
                _ = try await caller.send(HTTPRequest(url: url, timeout: 60), deadline: 0.3, classify: standard)
                return nil
            } catch let failure as HTTPRetryFailure where failure.problem is HTTPDeadlineExceeded {
                return ContinuousClock.now - started
            } catch {
                return nil
            }
        }
        #expect(elapsed.count == 50)
        #expect(elapsed.allSatisfy { $0 != nil }, "every call must end with the deadline")
        #expect(elapsed.compactMap { $0 }.allSatisfy { $0 >= .milliseconds(300) && $0 < .seconds(5) })
    }

    @Test("Cancelling a URLSessionTransport request ends it at once with CancellationError, before or after it starts",
          .timeLimit(.minutes(1)))
    func cancellationEndsURLSessionRequests() async throws {
        let server = try SilentServer()
        defer { server.stop() }
        let transport = URLSessionTransport()
        let request = HTTPRequest(url: server.url, timeout: 60)
        for round in 0..<20 {
            let task = Task { try await transport.send(request) }
            if round % 2 == 1 { try await Task.sleep(for: .milliseconds(50)) }
            let cancelled = ContinuousClock.now
            task.cancel()
            let result = await task.result
            #expect(ContinuousClock.now - cancelled < .seconds(3))
            #expect(throws: CancellationError.self) { try result.get() }
        }
    }

    @Test("withDeadline returns the operation's value when it ends first, without waiting for the deadline")
    func withDeadlineReturnsValue() async throws {
        let started = ContinuousClock.now
        let value = try await HTTPCaller.withDeadline(30) { 7 }
        #expect(value == 7)
        #expect(ContinuousClock.now - started < .seconds(5))
        await #expect(throws: HTTPDeadlineExceeded(seconds: 0.01)) {
            _ = try await HTTPCaller.withDeadline(0.01) { try await Task.sleep(for: .seconds(3600)) }
        }
    }

    @Test("Cancelling the call during a backoff wait ends it with CancellationError", .timeLimit(.minutes(1)))
    func cancellationDuringBackoff() async throws {
        let caller = HTTPCaller(transport: ScriptedTransport([.answer(503, headers: ["Retry-After": "60"])]),
                                policy: Harness.policy())
        let task = Task { try await caller.send(Harness.request(), classify: standard) }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
    }

    // MARK: Admission, counting, logging

    @Test("The admission gate wraps each attempt, and time spent waiting there does not count against the deadline",
          .timeLimit(.minutes(1)))
    func admissionIsOutsideTheDeadline() async throws {
        let harness = Harness([.answerAfter(0.05, 500), .answerAfter(0.05, 200)])
        let admitted = Recorded<Int>()
        let (response, attempts) = try await harness.caller().send(Harness.request(), deadline: 0.5, admission: { attempt in
            admitted.append(1)
            try await Task.sleep(for: .milliseconds(700))
            return try await attempt()
        }, classify: standard)
        #expect(response.status == 200 && attempts == 2)
        #expect(admitted.all.count == 2)
    }

    @Test("Every attempt is counted, with the retries and the body bytes received")
    func counting() async throws {
        let harness = Harness([.answer(500, body: "oops"), .transportError, .hang, .answer(200, body: "hello")])
        let caller = harness.caller()
        _ = try await caller.send(Harness.request(), deadline: 0.05, classify: standard)
        #expect(await harness.counter.counts == HTTPCounter.Counts(requests: 4, retries: 3, bytesReceived: 9))
        // A counter is shared by the calls given it.
        _ = try await caller.send(Harness.request(), classify: standard)
        #expect(await harness.counter.counts == HTTPCounter.Counts(requests: 5, retries: 3, bytesReceived: 11))
    }

    @Test("Each retry and the give-up are logged once, with the wait, never with a secret")
    func logging() async throws {
        let secret = "SECRET-123456"
        let harness = Harness([.answer(500, body: "echo \(secret)"), .answer(429, headers: ["Retry-After": "2"]),
                               .answer(502, body: "bad gateway")])
        await #expect(throws: HTTPRetryFailure.self) {
            _ = try await harness.caller(Harness.policy(maxAttempts: 3), secrets: [secret]).send(Harness.request(), classify: standard)
        }
        let lines = harness.lines.all
        #expect(lines == [
            "GET https://api.example.test/v1/things?key=REDACTED&page=2: HTTP 500: echo REDACTED; retry 1 in 0.10 s",
            "GET https://api.example.test/v1/things?key=REDACTED&page=2: HTTP 429: ; retry 2 in 2.00 s",
            "GET https://api.example.test/v1/things?key=REDACTED&page=2: giving up after 3 attempts (HTTP 502: bad gateway)",
        ])
        #expect(lines.allSatisfy { !$0.contains(secret) })
    }
}
