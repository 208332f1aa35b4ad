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
/// stops the whole step on 401/403/404, naming `OPENAI_API_KEY` but never its value, and when
/// several connection attempts in a row reach no server (`LLMError.unreachable`). Answers are
/// scrubbed of the key and of the base URL's credentials before anything reads them.
public struct OpenAIClient: Sendable {
    public let configuration: LLMConfiguration
    private let caller: HTTPCaller
    private let now: @Sendable () -> Date

    /// `sleep` and `now` are injectable so that tests do not wait; `log` receives one line per
    /// retry or give-up, never the key.
    public init(configuration: LLMConfiguration, transport: any HTTPTransport = URLSessionTransport(),
                sleep: @escaping @Sendable (TimeInterval) async throws -> Void = HTTPCaller.sleep,
                now: @escaping @Sendable () -> Date = { Date() },
                log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.configuration = configuration
        self.caller = HTTPCaller(transport: transport, policy: configuration.retryPolicy,
                                 secrets: configuration.secrets, log: log, sleep: sleep, now: now)
        self.now = now
    }

    private var secrets: [String] { configuration.secrets }

    /// Sends `body` (a serialized `ChatCompletionRequest`) and returns the decoded completion.
    /// Throws `LLMError` for what stops the step, `CompletionFailure` for what fails one batch.
    public func complete(body: Data) async throws -> CompletionExchange {
        let url = configuration.chatCompletionsURL
        var headers = ["Content-Type": "application/json", "Accept": "application/json"]
        if let key = configuration.apiKey {
            if configuration.usesAzureKeyHeader { headers["api-key"] = key } else { headers["Authorization"] = "Bearer \(key)" }
        }
        let request = HTTPRequest(method: "POST", url: url, headers: headers, body: body, timeout: configuration.requestTimeout)
        let shownURL = configuration.shownChatCompletionsURL
        let secrets = self.secrets
        let scrub: @Sendable (String) -> String = { Redaction.scrub($0, secrets: secrets) }
        do {
            let ((completion, response), attempts) = try await caller.send(request) { response, attempt
                -> HTTPDecision<(ChatCompletionResponse, HTTPResponse)> in
                switch response.status {
                case 200..<300:
                    // A server may echo the key (or the URL's password) back: it never goes further,
                    // neither into the cache nor into rationales, outcomes or candidates.
                    var response = response
                    response.body = Redaction.scrub(body: response.body, secrets: secrets)
                    guard let completion = try? JSONDecoder().decode(ChatCompletionResponse.self, from: response.body) else {
                        return .retry("HTTP \(response.status) but the body is not a chat completion: \(scrub(response.bodyExcerpt()))")
                    }
                    guard !completion.choices.isEmpty else {
                        return .retry("HTTP \(response.status) with no choices: \(scrub(response.bodyExcerpt()))")
                    }
                    return .accept((completion, response))
                case 401, 403:
                    return .fail(LLMError.unauthorized(status: response.status, url: shownURL, message: Self.errorMessage(response, scrub: scrub)))
                case 404:
                    return .fail(LLMError.fatalHTTP(status: 404, url: shownURL, excerpt: Self.errorMessage(response, scrub: scrub)))
                default:
                    let message = "HTTP \(response.status) from \(shownURL): \(Self.errorMessage(response, scrub: scrub))"
                    guard RetryPolicy.isRetryable(status: response.status) else {
                        return .fail(CompletionFailure(message: message, httpRequests: attempt))
                    }
                    return .retry(message)
                }
            }
            let requestID = (response.header("x-request-id") ?? completion.id).map(scrub)
            return CompletionExchange(response: completion, rawBody: response.body, requestID: requestID, receivedAt: now(),
                                      httpRequests: attempts, fromCache: false)
        } catch let unreachable as HTTPUnreachable {
            throw LLMError.unreachable(host: unreachable.host, failures: unreachable.failures, cause: scrub(unreachable.cause))
        } catch let failure as HTTPRetryFailure {
            let problem: String
            switch failure.problem {
            case let error as TransportError:
                problem = scrub(error.isTimeout ? "timed out after \(Int(configuration.requestTimeout)) s: \(error.description)" : error.description)
            case is HTTPDeadlineExceeded:
                problem = "no answer from \(shownURL) within \(JSONValue.format(configuration.requestTimeout)) s"
            default:
                problem = "\(failure.problem)"
            }
            if let refused = failure.refusedWait {
                throw CompletionFailure(message: "\(problem) (\(refused))", httpRequests: failure.attempts)
            }
            throw CompletionFailure(message: "gave up after \(failure.attempts) attempts: \(problem)", httpRequests: failure.attempts)
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

