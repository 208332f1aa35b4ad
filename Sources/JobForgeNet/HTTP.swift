import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization

/// An HTTP request as the sources build it: plain values, easy to log without secrets.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: URL
    public var headers: [String: String]
    public var body: Data?
    public var timeout: TimeInterval
    /// Whether the transport follows 3xx redirects by itself. A caller that must check every hop
    /// (an allow-list, robots.txt) sets it to false, receives the 3xx response, and follows
    /// `Location` itself.
    public var followsRedirects: Bool

    public init(method: String = "GET", url: URL, headers: [String: String] = [:], body: Data? = nil,
                timeout: TimeInterval = 30, followsRedirects: Bool = true) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.followsRedirects = followsRedirects
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data
    public var url: URL

    public init(status: Int, headers: [String: String], body: Data, url: URL) {
        self.status = status
        self.headers = headers
        self.body = body
        self.url = url
    }

    /// Case-insensitive header lookup.
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.key.lowercased() == lowered }?.value
    }

    /// The first bytes of the body as text, for error messages.
    public func bodyExcerpt(limit: Int = 300) -> String {
        let text = String(decoding: body.prefix(limit), as: UTF8.self)
        let flattened = text.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
        return body.count > limit ? flattened + "..." : flattened
    }
}

/// Sends requests. The real one is `URLSessionTransport`; tests can wrap it to count calls.
///
/// `send` must end promptly once its task is cancelled: `HTTPCaller` enforces its deadline by
/// cancelling it, and waits for it to end.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}

/// A failure of the transport itself: no response at all.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public var url: String
    public var message: String
    public var isTimeout: Bool
    /// No server was reached at all (connection refused, host not found): `HTTPCaller` stops
    /// retrying after a few of these in a row instead of backing off like for a busy server.
    public var isConnectionFailure: Bool
    public var description: String { "request to \(url) failed: \(message)" }

    public init(url: String, message: String, isTimeout: Bool = false, isConnectionFailure: Bool = false) {
        self.url = url
        self.message = message
        self.isTimeout = isTimeout
        self.isConnectionFailure = isConnectionFailure
    }
}

/// URLSession (libcurl underneath on Linux): costs nothing to build and speaks async/await.
/// Cancelling `send` ends it at once, whatever the session does with the cancelled task.
public struct URLSessionTransport: HTTPTransport {
    private let session: URLSession

    public init(session: URLSession? = nil) {
        if let session {
            self.session = session
        } else {
            let configuration = URLSessionConfiguration.ephemeral
            configuration.urlCache = nil
            configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
            configuration.httpMaximumConnectionsPerHost = 16
            self.session = URLSession(configuration: configuration)
        }
    }

    /// URL errors that mean no server answered at all.
    static let connectionFailureCodes: Set<URLError.Code> = [
        .cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet,
    ]

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        var urlRequest = URLRequest(url: request.url, timeoutInterval: request.timeout)
        urlRequest.httpMethod = request.method
        urlRequest.httpBody = request.body
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        do {
            let (data, response) = try await load(urlRequest, followsRedirects: request.followsRedirects)
            guard let http = response as? HTTPURLResponse else {
                throw TransportError(url: Redaction.describe(request.url), message: "not an HTTP response", isTimeout: false)
            }
            var headers: [String: String] = [:]
            for (name, value) in http.allHeaderFields {
                if let name = name as? String, let value = value as? String { headers[name] = value }
            }
            return HTTPResponse(status: http.statusCode, headers: headers, body: data, url: request.url)
        } catch let error as TransportError {
            throw error
        } catch let error as CancellationError {
            throw error
        } catch let error as URLError {
            throw TransportError(url: Redaction.describe(request.url), message: error.localizedDescription,
                                 isTimeout: error.code == .timedOut,
                                 isConnectionFailure: Self.connectionFailureCodes.contains(error.code))
        } catch {
            throw TransportError(url: Redaction.describe(request.url), message: "\(error)", isTimeout: false)
        }
    }

    /// `session.data(for:)` resumes its continuation only when the session calls the task's
    /// completion handler, which a cancelled libcurl task may never do: a deadline that cancels it
    /// would then wait forever. Here cancellation resumes the continuation itself, once, and the
    /// session's late answer, if any, is dropped.
    ///
    /// When `followsRedirects` is false, the task's own delegate refuses each redirect, so the 3xx
    /// response itself is the answer.
    private func load(_ request: URLRequest, followsRedirects: Bool) async throws -> (Data, URLResponse) {
        let delegate: RedirectRefusal? = followsRedirects ? nil : RedirectRefusal()
        if #available(macOS 15, iOS 18, tvOS 18, watchOS 11, visionOS 2, *) {
            let load = CancellableLoad()
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    load.start(session: session, request: request, taskDelegate: delegate, continuation: continuation)
                }
            } onCancel: {
                load.cancel()
            }
        } else {
            return try await session.data(for: request, delegate: delegate)
        }
    }
}

/// A task delegate that refuses every redirect: the task completes with the 3xx response.
private final class RedirectRefusal: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}

/// One data task whose continuation is resumed exactly once: by the session's answer, or by
/// cancellation, whichever comes first (cancellation may come before the task even starts).
@available(macOS 15, iOS 18, tvOS 18, watchOS 11, visionOS 2, *)
private final class CancellableLoad: Sendable {
    typealias Continuation = CheckedContinuation<(Data, URLResponse), any Error>

    private enum State {
        case idle
        case cancelled
        case running(Continuation, URLSessionDataTask?)
        case finished
    }

    private let state = Mutex(State.idle)

    func start(session: URLSession, request: URLRequest, taskDelegate: (any URLSessionTaskDelegate)?, continuation: Continuation) {
        let started = state.withLock { state in
            guard case .idle = state else { return false }
            state = .running(continuation, nil)
            return true
        }
        guard started else {
            continuation.resume(throwing: CancellationError())
            return
        }
        let task = session.dataTask(with: request) { data, response, error in
            self.complete(data: data, response: response, error: error)
        }
        if let taskDelegate { task.delegate = taskDelegate }
        let attached = state.withLock { state in
            guard case .running(let continuation, nil) = state else { return false }
            state = .running(continuation, task)
            return true
        }
        // Not attached: cancelled meanwhile, and the continuation already resumed.
        if attached { task.resume() } else { task.cancel() }
    }

    func cancel() {
        let (continuation, task) = state.withLock { state -> (Continuation?, URLSessionDataTask?) in
            switch state {
            case .idle:
                state = .cancelled
                return (nil, nil)
            case .running(let continuation, let task):
                state = .finished
                return (continuation, task)
            case .cancelled, .finished:
                return (nil, nil)
            }
        }
        task?.cancel()
        continuation?.resume(throwing: CancellationError())
    }

    private func complete(data: Data?, response: URLResponse?, error: (any Error)?) {
        let continuation = state.withLock { state -> Continuation? in
            guard case .running(let continuation, _) = state else { return nil }
            state = .finished
            return continuation
        }
        guard let continuation else { return }
        if let error {
            continuation.resume(throwing: error)
        } else if let response {
            continuation.resume(returning: (data ?? Data(), response))
        } else {
            continuation.resume(throwing: URLError(.badServerResponse))
        }
    }
}

/// Keeps secrets out of anything printed or stored: URLs lose their query values for known key
/// names and the password of their userinfo; texts and JSON bodies lose every secret given.
public enum Redaction {
    public static let secretQueryNames: Set<String> = ["key", "api_key", "apikey", "token", "access_token"]
    public static let placeholder = "REDACTED"

    public static func describe(_ url: URL) -> String {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else {
            return scrub(url.absoluteString, secrets: secrets(in: url))
        }
        // `user:password@` loses the password; a lone `token@` is a credential too.
        if components.password != nil {
            components.password = placeholder
        } else if components.user != nil {
            components.user = placeholder
        }
        if let items = components.queryItems, !items.isEmpty {
            components.queryItems = items.map {
                secretQueryNames.contains($0.name.lowercased()) ? URLQueryItem(name: $0.name, value: placeholder) : $0
            }
        }
        return components.string ?? scrub(url.absoluteString, secrets: secrets(in: url))
    }

    /// The secrets a URL carries: the password of its userinfo (as written and decoded) and the
    /// values of secret query items. Add them to the secrets scrubbed from responses and errors.
    public static func secrets(in url: URL) -> [String] {
        guard let components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return [] }
        var found: [String] = []
        let credential = components.percentEncodedPassword ?? components.percentEncodedUser
        if let credential, !credential.isEmpty {
            found.append(credential)
            if let decoded = credential.removingPercentEncoding, decoded != credential { found.append(decoded) }
        }
        for item in components.queryItems ?? [] where secretQueryNames.contains(item.name.lowercased()) {
            if let value = item.value, !value.isEmpty { found.append(value) }
        }
        return found
    }

    /// Replaces every occurrence of each secret in `text` (for bodies echoed back in errors).
    public static func scrub(_ text: String, secrets: [String]) -> String {
        var result = text
        for secret in secrets where secret.count >= 4 {
            result = result.replacingOccurrences(of: secret, with: placeholder)
        }
        return result
    }

    /// A response body without the secrets: a JSON body has them removed from every string,
    /// also where JSON escapes (`\u0073k-...`, `\/`) hide them from a plain text search, and is
    /// re-serialized only then; any other body is scrubbed as text. Unchanged when clean.
    public static func scrub(body: Data, secrets: [String]) -> Data {
        let secrets = secrets.filter { $0.count >= 4 }
        guard !secrets.isEmpty else { return body }
        let text = String(decoding: body, as: UTF8.self)
        let scrubbedText = scrub(text, secrets: secrets)
        guard let json = try? JSONSerialization.jsonObject(with: Data(scrubbedText.utf8), options: [.fragmentsAllowed]) else {
            return scrubbedText == text ? body : Data(scrubbedText.utf8)
        }
        var changed = false
        let clean = scrub(json: json, secrets: secrets, changed: &changed)
        if changed, let data = try? JSONSerialization.data(withJSONObject: clean, options: [.fragmentsAllowed]) {
            return data
        }
        return scrubbedText == text ? body : Data(scrubbedText.utf8)
    }

    private static func scrub(json: Any, secrets: [String], changed: inout Bool) -> Any {
        switch json {
        case let text as String:
            let clean = scrub(text, secrets: secrets)
            if clean != text { changed = true }
            return clean
        case let array as [Any]:
            return array.map { scrub(json: $0, secrets: secrets, changed: &changed) }
        case let object as [String: Any]:
            return object.mapValues { scrub(json: $0, secrets: secrets, changed: &changed) }
        default:
            return json
        }
    }
}
