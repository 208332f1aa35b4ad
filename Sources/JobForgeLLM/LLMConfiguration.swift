import Foundation
import JobForgeNet

/// How to reach the model and how hard to push it. From the environment, then flags.
public struct LLMConfiguration: Sendable {
    public static let defaultModel = "gpt-4o-2024-08-06"
    public static let defaultBaseURL = URL(string: "https://api.openai.com/v1")!

    /// The API root; `/chat/completions` is appended. Any OpenAI-compatible server: OpenAI,
    /// Azure OpenAI (`https://NAME.openai.azure.com/openai/v1`), vLLM, Ollama, llama.cpp.
    public var baseURL: URL
    /// Never printed, logged or stored (see `Redaction`).
    public var apiKey: String?
    public var model: String
    /// Attributes asked per request.
    public var batchSize: Int
    /// Requests in flight at once.
    public var concurrency: Int
    public var temperature: Double?
    /// Upper bound of the tokens of one answer; a truncated answer splits its batch.
    public var maxTokens: Int
    public var maxTokensField: MaxTokensField
    /// Seconds before one HTTP request is abandoned (then retried, up to the policy's attempts).
    public var requestTimeout: TimeInterval
    public var retryPolicy: RetryPolicy
    /// US dollars per million tokens, for the estimated cost; nil when the model's price is unknown.
    public var pricing: TokenPricing?
    /// `--max-cost`: US dollars a run may spend; it stops before a request whose estimate would
    /// pass the limit (what was spent plus what is in flight), and reports what was left.
    public var maxCost: Double?

    public init(baseURL: URL = LLMConfiguration.defaultBaseURL, apiKey: String? = nil,
                model: String = LLMConfiguration.defaultModel, batchSize: Int = 12, concurrency: Int = 4,
                temperature: Double? = 0, maxTokens: Int = 4096, maxTokensField: MaxTokensField = .maxCompletionTokens,
                requestTimeout: TimeInterval = 120, retryPolicy: RetryPolicy = RetryPolicy(maxAttempts: 6, baseDelay: 1, maxDelay: 60),
                pricing: TokenPricing? = nil) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.model = model
        self.batchSize = max(1, batchSize)
        self.concurrency = max(1, concurrency)
        self.temperature = temperature
        self.maxTokens = max(16, maxTokens)
        self.maxTokensField = maxTokensField
        self.requestTimeout = requestTimeout
        self.retryPolicy = retryPolicy
        self.pricing = pricing ?? TokenPricing.known(model: model)
    }

    /// The endpoint the requests go to, with any query (Azure's `api-version`) kept.
    public var chatCompletionsURL: URL {
        guard var components = URLComponents(url: baseURL, resolvingAgainstBaseURL: false) else {
            return baseURL.appendingPathComponent("chat/completions")
        }
        var path = components.path
        while path.hasSuffix("/") { path.removeLast() }
        components.path = path + "/chat/completions"
        return components.url ?? baseURL.appendingPathComponent("chat/completions")
    }

    /// What never leaves the process: the API key and any credentials in the base URL.
    public var secrets: [String] {
        (apiKey.map { [$0] } ?? []) + Redaction.secrets(in: baseURL)
    }

    /// The endpoint as it may be printed or stored: without credentials.
    public var shownChatCompletionsURL: String { Redaction.describe(chatCompletionsURL) }

    /// Azure OpenAI takes the key in `api-key`; everything else in `Authorization: Bearer`.
    public var usesAzureKeyHeader: Bool {
        baseURL.host?.lowercased().hasSuffix(".openai.azure.com") ?? false
    }

    /// Either a configuration to run with, or the one-line reason the LLM step is skipped.
    public enum Resolution: Sendable {
        case ready(LLMConfiguration)
        case skipped(reason: String)
    }

    /// Reads `OPENAI_API_KEY` and `OPENAI_BASE_URL`. A base URL without a key is fine (a local
    /// vLLM / Ollama / llama.cpp server); neither means the step is skipped, not failed.
    public static func resolve(environment: [String: String], baseURL flagBaseURL: String? = nil,
                               configure: (inout LLMConfiguration) -> Void = { _ in }) throws -> Resolution {
        let key = environment["OPENAI_API_KEY"].flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
        let rawBase = flagBaseURL ?? environment["OPENAI_BASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        if key == nil && rawBase == nil {
            return .skipped(reason: "LLM step skipped: set OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (any OpenAI-compatible server) to impute the remaining cells.")
        }
        var configuration = LLMConfiguration(apiKey: key)
        if let rawBase {
            guard let url = URL(string: rawBase), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  url.host != nil else {
                let shown = URL(string: rawBase).map(Redaction.describe) ?? rawBase
                throw LLMError.configuration("OPENAI_BASE_URL \"\(shown)\" is not an http(s) URL; use for example http://127.0.0.1:8000/v1")
            }
            configuration.baseURL = url
        }
        configure(&configuration)
        configuration.pricing = configuration.pricing ?? TokenPricing.known(model: configuration.model)
        return .ready(configuration)
    }
}

/// Prices in US dollars per million tokens.
public struct TokenPricing: Sendable, Equatable {
    public var inputPerMillion: Double
    public var outputPerMillion: Double
    /// Input tokens the provider served from its prompt cache; nil: the input price.
    public var cachedInputPerMillion: Double?

    public init(inputPerMillion: Double, outputPerMillion: Double, cachedInputPerMillion: Double? = nil) {
        self.inputPerMillion = inputPerMillion
        self.outputPerMillion = outputPerMillion
        self.cachedInputPerMillion = cachedInputPerMillion
    }

    /// `inputTokens` include `cachedInputTokens`, which are billed at the cached price.
    ///
    /// ```swift
    /// TokenPricing(inputPerMillion: 2.5, outputPerMillion: 10, cachedInputPerMillion: 1.25)
    ///     .cost(inputTokens: 1000, outputTokens: 100, cachedInputTokens: 800)   // (200 * 2.5 + 800 * 1.25 + 100 * 10) / 1e6
    /// ```
    public func cost(inputTokens: Int, outputTokens: Int, cachedInputTokens: Int = 0) -> Double {
        let cached = min(max(0, cachedInputTokens), inputTokens)
        return (Double(inputTokens - cached) * inputPerMillion + Double(cached) * (cachedInputPerMillion ?? inputPerMillion)
                + Double(outputTokens) * outputPerMillion) / 1_000_000
    }

    /// OpenAI's list prices for a few models (standard tier); others need `--price-in/--price-out`.
    public static func known(model: String) -> TokenPricing? {
        switch model {
        case "gpt-4o-2024-08-06", "gpt-4o-2024-11-20", "gpt-4o":
            TokenPricing(inputPerMillion: 2.50, outputPerMillion: 10.00, cachedInputPerMillion: 1.25)
        case "gpt-4o-mini", "gpt-4o-mini-2024-07-18": TokenPricing(inputPerMillion: 0.15, outputPerMillion: 0.60, cachedInputPerMillion: 0.075)
        case "gpt-4.1", "gpt-4.1-2025-04-14": TokenPricing(inputPerMillion: 2.00, outputPerMillion: 8.00, cachedInputPerMillion: 0.50)
        case "gpt-4.1-mini", "gpt-4.1-mini-2025-04-14": TokenPricing(inputPerMillion: 0.40, outputPerMillion: 1.60, cachedInputPerMillion: 0.10)
        default: nil
        }
    }
}

/// Errors that stop the LLM step, worded for the person running it. Never contain the key.
public enum LLMError: Error, Sendable, CustomStringConvertible, Equatable {
    /// 401 / 403: the key is missing, wrong or lacks access.
    case unauthorized(status: Int, url: String, message: String)
    /// A status that no retry will fix for any request (404: wrong base URL or model).
    case fatalHTTP(status: Int, url: String, excerpt: String)
    case configuration(String)
    /// No server answered at the base URL (connection refused, host not found), several times in a row.
    case unreachable(host: String, failures: Int, cause: String)
    /// Every item asked in the run (`count` `items`: cells, titles) failed, no request got an
    /// answer: `detail` is one of the reasons.
    case everyRequestFailed(count: Int, items: String, detail: String)

    public var description: String {
        switch self {
        case let .unauthorized(status, url, message):
            "the server at \(url) refused the request (HTTP \(status)): \(message). Check OPENAI_API_KEY (it was sent, and is not shown here)."
        case let .fatalHTTP(status, url, excerpt):
            "the server at \(url) answered HTTP \(status): \(excerpt). Check OPENAI_BASE_URL and the model name."
        case let .configuration(message):
            message
        case let .unreachable(host, failures, cause):
            "cannot reach the server at \(host): \(failures) connection attempts in a row failed (\(cause)). "
                + "Check OPENAI_BASE_URL (or --base-url) and that the server is running."
        case let .everyRequestFailed(count, items, detail):
            "all \(count) \(items) failed, no request got an answer: \(detail). Run again once the service answers."
        }
    }
}
