import Foundation
import JobForgeCore
import JobForgeNet

/// One successful exchange with the service: an HTTP 200 whose body is a chat completion.
public struct CompletionExchange: Sendable, Equatable {
    public var response: ChatCompletionResponse
    /// The body as received, for the cache.
    public var rawBody: Data
    /// The service's request id (`x-request-id`), else the completion id.
    public var requestID: String?
    public var receivedAt: Date
    /// HTTP requests this exchange took, retries included (0 when it came from the cache).
    public var httpRequests: Int
    public var fromCache: Bool

    public init(response: ChatCompletionResponse, rawBody: Data, requestID: String?, receivedAt: Date, httpRequests: Int,
                fromCache: Bool) {
        self.response = response
        self.rawBody = rawBody
        self.requestID = requestID
        self.receivedAt = receivedAt
        self.httpRequests = httpRequests
        self.fromCache = fromCache
    }
}

/// A request that could not get a usable answer, after retries. The batch's cells are
/// recorded as `failed` and asked again on the next run; the run goes on.
public struct CompletionFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var httpRequests: Int
    public var description: String { message }
}

/// A Chat Completions client for any OpenAI-compatible server.
///
/// Retries 429, 408 and 5xx with exponential backoff and jitter, honouring `Retry-After` (and
/// OpenAI's `retry-after-ms`); retries timeouts and bodies that are not a chat completion;
/// stops the whole step on 401/403/404, naming `OPENAI_API_KEY` but never its value.
public struct OpenAIClient: Sendable {
    public let configuration: LLMConfiguration
    private let transport: any HTTPTransport
    private let sleep: @Sendable (TimeInterval) async throws -> Void
    private let now: @Sendable () -> Date

    public init(configuration: LLMConfiguration, transport: any HTTPTransport = URLSessionTransport(),
                sleep: @escaping @Sendable (TimeInterval) async throws -> Void = { seconds in
                    try await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1_000_000_000))
                },
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.configuration = configuration
        self.transport = transport
        self.sleep = sleep
        self.now = now
    }

    private var secrets: [String] { configuration.apiKey.map { [$0] } ?? [] }

    private func scrub(_ text: String) -> String { Redaction.scrub(text, secrets: secrets) }

    /// Sends `body` (a serialized `ChatCompletionRequest`) and returns the decoded completion.
    /// Throws `LLMError` for what stops the step, `CompletionFailure` for what fails one batch.
    public func complete(body: Data) async throws -> CompletionExchange {
        let url = configuration.chatCompletionsURL
        var headers = ["Content-Type": "application/json", "Accept": "application/json"]
        if let key = configuration.apiKey {
            if configuration.usesAzureKeyHeader { headers["api-key"] = key } else { headers["Authorization"] = "Bearer \(key)" }
        }
        let request = HTTPRequest(method: "POST", url: url, headers: headers, body: body, timeout: configuration.requestTimeout)
        let policy = configuration.retryPolicy
        let shownURL = Redaction.describe(url)
        var attempt = 0
        var lastProblem = ""
        while attempt < policy.maxAttempts {
            attempt += 1
            var retryAfter: String?
            do {
                let response = try await sendWithDeadline(request)
                switch response.status {
                case 200..<300:
                    do {
                        let completion = try JSONDecoder().decode(ChatCompletionResponse.self, from: response.body)
                        guard !completion.choices.isEmpty else {
                            lastProblem = "HTTP \(response.status) with no choices: \(scrub(response.bodyExcerpt()))"
                            break
                        }
                        let requestID = response.header("x-request-id") ?? completion.id
                        return CompletionExchange(response: completion, rawBody: response.body, requestID: requestID, receivedAt: now(),
                                                  httpRequests: attempt, fromCache: false)
                    } catch {
                        lastProblem = "HTTP \(response.status) but the body is not a chat completion: \(scrub(response.bodyExcerpt()))"
                    }
                case 401, 403:
                    throw LLMError.unauthorized(status: response.status, url: shownURL, message: Self.errorMessage(response, scrub: scrub))
                case 404:
                    throw LLMError.fatalHTTP(status: 404, url: shownURL, excerpt: Self.errorMessage(response, scrub: scrub))
                default:
                    let message = "HTTP \(response.status) from \(shownURL): \(Self.errorMessage(response, scrub: scrub))"
                    guard RetryPolicy.isRetryable(status: response.status) else {
                        throw CompletionFailure(message: message, httpRequests: attempt)
                    }
                    lastProblem = message
                    retryAfter = response.header("retry-after-ms").flatMap { Double($0) }.map { String($0 / 1000) }
                        ?? response.header("retry-after")
                    if let retryAfter, let seconds = RetryPolicy.parseRetryAfter(retryAfter), seconds > policy.maxRetryAfter {
                        throw CompletionFailure(message: message + " (Retry-After \(Int(seconds)) s is longer than the \(Int(policy.maxRetryAfter)) s we wait)",
                                                httpRequests: attempt)
                    }
                }
            } catch let error as TransportError {
                lastProblem = scrub(error.isTimeout ? "timed out after \(Int(configuration.requestTimeout)) s: \(error.description)" : error.description)
            } catch is DeadlineExceeded {
                lastProblem = "no answer from \(shownURL) within \(JSONValue.format(configuration.requestTimeout)) s"
            }
            if attempt < policy.maxAttempts {
                try await sleep(policy.delay(afterAttempt: attempt, retryAfter: retryAfter))
            }
        }
        throw CompletionFailure(message: "gave up after \(attempt) attempts: \(lastProblem)", httpRequests: attempt)
    }

    /// The transport's own timeout is not reliable everywhere (URLSession on Linux treats it as an
    /// idle timeout), so the deadline is enforced here: whichever ends first, answer or deadline.
    private func sendWithDeadline(_ request: HTTPRequest) async throws -> HTTPResponse {
        let transport = self.transport
        let seconds = configuration.requestTimeout
        return try await withThrowingTaskGroup(of: HTTPResponse?.self) { group in
            group.addTask { try await transport.send(request) }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(max(0.001, seconds) * 1_000_000_000))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let response = first else { throw DeadlineExceeded() }
            return response
        }
    }

    /// The `error.message` of an OpenAI error body, else a body excerpt; scrubbed of the key.
    static func errorMessage(_ response: HTTPResponse, scrub: (String) -> String) -> String {
        if let body = try? JSONDecoder().decode(ErrorResponseBody.self, from: response.body), let message = body.error?.message {
            return scrub(message)
        }
        return scrub(response.bodyExcerpt())
    }
}

struct DeadlineExceeded: Error {}
