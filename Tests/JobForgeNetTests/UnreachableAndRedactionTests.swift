import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import JobForgeNet
import JobForgeTestSupport
import Testing

/// A server nobody answers for stops the calls in seconds; credentials never leave in text.
@Suite struct UnreachableAndRedactionTests {
    static let refused = TransportError(url: "https://api.example.test/v1", message: "Couldn't connect to server",
                                        isConnectionFailure: true)

    @Test("5 connection failures in a row, across calls, stop every call with HTTPUnreachable; later calls send nothing")
    func breakerOpensAfterConsecutiveConnectionFailures() async throws {
        let harness = Harness(Array(repeating: .throwing(Self.refused), count: 20))
        let caller = harness.caller(Harness.policy(maxAttempts: 6))
        // First call: 5 attempts, then it stops (not 6 attempts as for a busy server).
        do {
            _ = try await caller.send(Harness.request(), classify: standard)
            Issue.record("expected HTTPUnreachable")
        } catch let error as HTTPUnreachable {
            #expect(error.host == "api.example.test")
            #expect(error.failures == 5)
            #expect(error.description.contains("cannot reach api.example.test"))
        }
        #expect(await harness.requestCount == 5)
        // The next call of the same caller fails at once, without a request.
        await #expect(throws: HTTPUnreachable.self) { try await caller.send(Harness.request(), classify: standard) }
        #expect(await harness.requestCount == 5)
    }

    @Test("A response of any status in between resets the count: a server restarting is retried as before")
    func anyResponseResetsTheCount() async throws {
        let failures: [Step] = Array(repeating: .throwing(Self.refused), count: 4)
        let harness = Harness(failures + [.answer(503)] + failures)
        let (response, attempts) = try await harness.caller(Harness.policy(maxAttempts: 10)).send(Harness.request(), classify: standard)
        #expect(response.status == 200 && attempts == 10)
    }

    @Test("Connection refused on a closed loopback port, through URLSession, is a connection failure and stops in seconds")
    func closedLoopbackPort() async throws {
        let port = try ClosedPort.take()
        let counter = HTTPCounter()
        let waits = Recorded<TimeInterval>()
        // The LLM's policy: 6 attempts, backoff from 1 s doubling up to 60 s (68 s for one title before).
        let caller = HTTPCaller(transport: URLSessionTransport(), policy: RetryPolicy(maxAttempts: 6, baseDelay: 1, maxDelay: 60),
                                counter: counter, sleep: { waits.append($0) })
        let request = HTTPRequest(method: "POST", url: URL(string: "http://127.0.0.1:\(port)/v1/chat/completions")!, timeout: 10)
        do {
            _ = try await caller.send(request, classify: standard)
            Issue.record("expected HTTPUnreachable")
        } catch let error as HTTPUnreachable {
            #expect(error.host == "127.0.0.1:\(port)")
            #expect(error.failures == 5)
        }
        #expect(await counter.counts.requests == 5)
        #expect(waits.all.count == 4 && waits.all.allSatisfy { $0 <= 1 }, "waits of at most the first backoff step: \(waits.all)")
    }

    @Test("URLs lose the userinfo's password (and a lone token), and the secrets a URL carries are listed for scrubbing")
    func userinfoIsRedacted() throws {
        let url = try #require(URL(string: "https://user:pa%24%24-word-42@llm.example.test/v1?api_key=QKEY-1234&x=1"))
        let shown = Redaction.describe(url)
        #expect(shown == "https://user:REDACTED@llm.example.test/v1?api_key=REDACTED&x=1")
        #expect(Set(Redaction.secrets(in: url)) == ["pa%24%24-word-42", "pa$$-word-42", "QKEY-1234"])
        let token = try #require(URL(string: "https://sk-token-in-user@llm.example.test/v1"))
        #expect(Redaction.describe(token) == "https://REDACTED@llm.example.test/v1")
        #expect(Redaction.secrets(in: token) == ["sk-token-in-user"])
    }

    @Test("A JSON body loses a secret written plainly and one hidden behind JSON escapes; a clean body is left byte for byte")
    func bodiesAreScrubbed() throws {
        let secret = "sk-abc/def-123456"
        let plain = Data(#"{"a":"key sk-abc/def-123456 here","n":1}"#.utf8)
        #expect(!String(decoding: Redaction.scrub(body: plain, secrets: [secret]), as: UTF8.self).contains("sk-abc"))
        let escaped = Data(#"{"a":"key \u0073k-abc\/def-123456 here","n":[1,true,null]}"#.utf8)
        let cleaned = Redaction.scrub(body: escaped, secrets: [secret])
        let object = try #require(try JSONSerialization.jsonObject(with: cleaned) as? [String: Any])
        #expect(object["a"] as? String == "key REDACTED here")
        #expect(!String(decoding: cleaned, as: UTF8.self).contains("def-123456"))
        let clean = Data(#"{"b": "nothing"}"#.utf8)
        #expect(Redaction.scrub(body: clean, secrets: [secret]) == clean)
    }
}
