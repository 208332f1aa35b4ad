import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// An HTTP request as the sources build it: plain values, easy to log without secrets.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: URL
    public var headers: [String: String]
    public var body: Data?
    public var timeout: TimeInterval

    public init(method: String = "GET", url: URL, headers: [String: String] = [:], body: Data? = nil,
                timeout: TimeInterval = 30) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
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
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}

/// A failure of the transport itself: no response at all.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public var url: String
    public var message: String
    public var isTimeout: Bool
    public var description: String { "request to \(url) failed: \(message)" }
}

/// URLSession (libcurl underneath on Linux): costs nothing to build and speaks async/await.
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

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        var urlRequest = URLRequest(url: request.url, timeoutInterval: request.timeout)
        urlRequest.httpMethod = request.method
        urlRequest.httpBody = request.body
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        do {
            let (data, response) = try await session.data(for: urlRequest)
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
        } catch let error as URLError {
            throw TransportError(url: Redaction.describe(request.url), message: error.localizedDescription,
                                 isTimeout: error.code == .timedOut)
        } catch {
            throw TransportError(url: Redaction.describe(request.url), message: "\(error)", isTimeout: false)
        }
    }
}

/// Keeps secrets out of anything printed: URLs lose their query values for known key names.
public enum Redaction {
    public static let secretQueryNames: Set<String> = ["key", "api_key", "apikey", "token", "access_token"]

    public static func describe(_ url: URL) -> String {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false),
              let items = components.queryItems, !items.isEmpty else { return url.absoluteString }
        components.queryItems = items.map {
            secretQueryNames.contains($0.name.lowercased()) ? URLQueryItem(name: $0.name, value: "REDACTED") : $0
        }
        return components.string ?? url.absoluteString
    }

    /// Replaces every occurrence of each secret in `text` (for bodies echoed back in errors).
    public static func scrub(_ text: String, secrets: [String]) -> String {
        var result = text
        for secret in secrets where secret.count >= 4 {
            result = result.replacingOccurrences(of: secret, with: "REDACTED")
        }
        return result
    }
}
