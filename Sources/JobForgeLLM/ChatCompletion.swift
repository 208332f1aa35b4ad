import Foundation

/// A Chat Completions request (`POST {base}/chat/completions`) with a strict JSON-schema response
/// format. Built as `JSONValue` so the body bytes, and so the cache key, are deterministic.
public struct ChatCompletionRequest: Sendable, Equatable {
    public struct Message: Sendable, Equatable {
        public var role: String
        public var content: String
        public init(role: String, content: String) {
            self.role = role
            self.content = content
        }
    }

    public var model: String
    public var messages: [Message]
    public var schemaName: String
    public var schema: JSONValue
    public var temperature: Double?
    public var maxTokens: Int?
    public var maxTokensField: MaxTokensField
    public var seed: Int?

    public init(model: String, messages: [Message], schemaName: String, schema: JSONValue, temperature: Double?,
                maxTokens: Int?, maxTokensField: MaxTokensField = .maxCompletionTokens, seed: Int? = nil) {
        self.model = model
        self.messages = messages
        self.schemaName = schemaName
        self.schema = schema
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.maxTokensField = maxTokensField
        self.seed = seed
    }

    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("model", .string(model)),
            ("messages", .array(messages.map { .object([("role", .string($0.role)), ("content", .string($0.content))]) })),
            ("response_format", .object([
                ("type", "json_schema"),
                ("json_schema", .object([
                    ("name", .string(schemaName)),
                    ("strict", true),
                    ("schema", schema),
                ])),
            ])),
        ]
        if let temperature { members.append(("temperature", .number(temperature))) }
        if let maxTokens { members.append((maxTokensField.rawValue, .number(Double(maxTokens)))) }
        if let seed { members.append(("seed", .number(Double(seed)))) }
        return .object(members)
    }

    public var body: Data { json.data() }
}

/// `max_completion_tokens` is the current name (required by reasoning models); some
/// OpenAI-compatible servers still only read the older `max_tokens`.
public enum MaxTokensField: String, Sendable, CaseIterable {
    case maxCompletionTokens = "max_completion_tokens"
    case maxTokens = "max_tokens"
}

/// The parts of `CreateChatCompletionResponse` the tier reads.
public struct ChatCompletionResponse: Decodable, Sendable, Equatable {
    public struct Choice: Decodable, Sendable, Equatable {
        public var index: Int?
        public var message: ResponseMessage
        public var finishReason: String?

        enum CodingKeys: String, CodingKey {
            case index, message
            case finishReason = "finish_reason"
        }
    }

    public struct ResponseMessage: Decodable, Sendable, Equatable {
        public var role: String?
        public var content: String?
        public var refusal: String?
    }

    public struct Usage: Decodable, Sendable, Equatable {
        public var promptTokens: Int
        public var completionTokens: Int
        /// Of `promptTokens`, those the provider served from its prompt cache (billed lower);
        /// absent when the server does not say.
        public var promptTokensDetails: PromptTokensDetails?

        public struct PromptTokensDetails: Decodable, Sendable, Equatable {
            public var cachedTokens: Int?
            enum CodingKeys: String, CodingKey { case cachedTokens = "cached_tokens" }
        }

        /// Cached input tokens, 0 when the server does not report them.
        public var cachedTokens: Int { min(promptTokens, max(0, promptTokensDetails?.cachedTokens ?? 0)) }

        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens"
            case completionTokens = "completion_tokens"
            case promptTokensDetails = "prompt_tokens_details"
        }
    }

    public var id: String?
    public var model: String?
    public var created: Int?
    public var choices: [Choice]
    public var usage: Usage?
}

/// The error body of an OpenAI-compatible server (`ErrorResponse`).
struct ErrorResponseBody: Decodable {
    struct Detail: Decodable {
        var message: String?
        var type: String?
        var code: String?
    }
    var error: Detail?
}
