import FlyingFox
import Foundation

/// An OpenAI-compatible Chat Completions server on 127.0.0.1 for tests and benchmarks.
///
/// It checks every request against `CreateChatCompletionRequest` of OpenAI's OpenAPI description
/// (`Tests/Fixtures/openai/`), against the strict-mode rules of Structured Outputs, the expected
/// model and the API key, and answers deterministically from the request: one item per attribute
/// listed in the user message's `missing_attributes`, with a value on that attribute's scale.
/// Its own responses are checked against `CreateChatCompletionResponse`. Problems found are
/// answered with HTTP 400 and kept in `violations`. It misbehaves on request: see `Fault`.
///
/// It knows JobForge's prompt only as JSON (`job.title`, `missing_attributes[].attribute`,
/// `.scale.min`, `.scale.max`), and shares no code with the client it tests.
public actor FakeOpenAIServer {
    public enum Fault: Sendable, Equatable {
        /// `message.refusal` set, `content` null.
        case refusal(String)
        /// HTTP 429 with `Retry-After: value`.
        case rateLimited(retryAfter: String)
        /// HTTP 500.
        case serverError
        /// Wait this long, then answer normally.
        case slow(TimeInterval)
        /// Half of the answer, `finish_reason: length`.
        case truncated
        /// Content that is not JSON.
        case invalidJSON
        /// An HTML page instead of a chat completion.
        case invalidBody
        /// The first item names an attribute that was not asked.
        case wrongAttribute
        /// The last item is left out.
        case missingAttribute
        /// The first item's confidence is 1.7.
        case outOfRangeConfidence
        /// The first item's value is 3 above its scale's maximum.
        case offScaleValue
        /// HTTP 401.
        case unauthorized
        /// Every item's rationale repeats the request's `Authorization` header (a server that
        /// echoes the key back in a successful answer).
        case echoAuthorization
    }

    public enum Trigger: Sendable, Equatable {
        case always
        /// The job title (`job.title` of the user message) contains this text.
        case titleContains(String)
        /// More than this many attributes are asked.
        case attributeCountAbove(Int)
        /// This attribute code is asked.
        case attribute(String)
    }

    private struct Rule {
        var trigger: Trigger
        var fault: Fault
        var remaining: Int?
    }

    public let apiKey: String?
    public let expectedModel: String?
    /// Added to every answer: the benchmark's stand-in for model time.
    public let latency: TimeInterval
    private let validator: OpenAPIValidator?
    private let server: HTTPServer
    private var serverTask: Task<Void, Error>?
    private var rules: [Rule] = []
    private var nextID = 0
    /// Request prefixes seen (everything before the attributes asked), as a provider's prompt
    /// cache keeps them: a request that starts with one reports its tokens as cached.
    private var seenPrefixes: Set<UInt64> = []

    public private(set) var port: UInt16 = 0
    public private(set) var requestCount = 0
    public private(set) var receivedBodies: [Data] = []
    public private(set) var violations: [String] = []
    public private(set) var faultsServed: [Fault] = []
    public private(set) var maxInFlight = 0
    private var inFlight = 0

    /// `http://127.0.0.1:PORT/v1`: give it to the client as its base URL.
    public var baseURL: URL { URL(string: "http://127.0.0.1:\(port)/v1")! }

    /// Starts a fake on a free port. `validateAgainstOpenAPI` loads the OpenAPI schemas once.
    public static func start(apiKey: String? = "sk-test-fake-key-0123456789", expectedModel: String? = nil,
                             latency: TimeInterval = 0, validateAgainstOpenAPI: Bool = true) async throws -> FakeOpenAIServer {
        let fake = try FakeOpenAIServer(apiKey: apiKey, expectedModel: expectedModel, latency: latency,
                                    validator: validateAgainstOpenAPI ? try OpenAPIValidator.chatCompletions() : nil)
        try await fake.startServer()
        return fake
    }

    private init(apiKey: String?, expectedModel: String?, latency: TimeInterval, validator: OpenAPIValidator?) throws {
        self.apiKey = apiKey
        self.expectedModel = expectedModel
        self.latency = latency
        self.validator = validator
        server = HTTPServer(address: try .inet(ip4: "127.0.0.1", port: 0), timeout: 60, pool: NoDelaySocketPool(base: HTTPServer.defaultPool()), logger: .disabled)
    }

    private func startServer() async throws {
        await server.appendRoute("POST /v1/chat/completions") { [weak self] request in
            guard let self else { return FlyingFox.HTTPResponse(statusCode: .internalServerError) }
            return try await self.handle(request)
        }
        let server = self.server
        serverTask = Task { try await server.run() }
        try await server.waitUntilListening(timeout: 120)
        guard case .ip4(_, let boundPort) = await server.listeningAddress else {
            throw FakeServerError(message: "the fake OpenAI server is not listening on an IPv4 address")
        }
        port = boundPort
    }

    public func stop() async {
        await server.stop(timeout: 1)
        serverTask?.cancel()
    }

    /// Misbehave with `fault` on the next `times` requests that match `trigger` (nil: forever).
    public func inject(_ fault: Fault, when trigger: Trigger = .always, times: Int? = 1) {
        rules.append(Rule(trigger: trigger, fault: fault, remaining: times))
    }

    public func clearFaults() { rules = [] }

    public func resetCounters() {
        requestCount = 0
        receivedBodies = []
        faultsServed = []
        maxInFlight = 0
    }

    // MARK: - Handling

    private enum Plan {
        case respond(status: Int, headers: [String: String], body: Data, delay: TimeInterval)
    }

    nonisolated private func handle(_ request: FlyingFox.HTTPRequest) async throws -> FlyingFox.HTTPResponse {
        let body = try await request.bodyData
        let authorization = request.headers[HTTPHeader("Authorization")]
        let plan = await plan(body: body, authorization: authorization)
        guard case let .respond(status, headers, responseBody, delay) = plan else { fatalError() }
        if delay > 0 { try? await Task.sleep(nanoseconds: UInt64(delay * 1_000_000_000)) }
        await finished()
        var httpHeaders = HTTPHeaders()
        for (name, value) in headers { httpHeaders[HTTPHeader(name)] = value }
        return FlyingFox.HTTPResponse(statusCode: HTTPStatusCode(status, phrase: Self.phrase(status)), headers: httpHeaders, body: responseBody)
    }

    private func finished() { inFlight -= 1 }

    private func plan(body: Data, authorization: String?) -> Plan {
        requestCount += 1
        inFlight += 1
        maxInFlight = max(maxInFlight, inFlight)
        receivedBodies.append(body)
        nextID += 1
        let id = nextID

        if let apiKey, authorization != "Bearer \(apiKey)" {
            return error(401, "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
                         type: "invalid_request_error", code: "invalid_api_key")
        }
        guard let json = try? JSONDecoder().decode(FakeJSON.self, from: body) else {
            return violation("the request body is not JSON")
        }
        if let validator {
            let problems = validator.validate(json, against: "CreateChatCompletionRequest", rejectUndeclaredTopLevel: true)
            if !problems.isEmpty { return violation("CreateChatCompletionRequest: " + problems.joined(separator: "; ")) }
        }
        let model = json["model"]?.string ?? ""
        if let expectedModel, model != expectedModel { return violation("model \"\(model)\", expected \"\(expectedModel)\"") }
        guard json["response_format"]?["type"]?.string == "json_schema",
              let jsonSchema = json["response_format"]?["json_schema"] else {
            return violation("response_format is not json_schema")
        }
        guard jsonSchema["strict"] == .bool(true) else { return violation("json_schema.strict is not true") }
        guard let schema = jsonSchema["schema"] else { return violation("json_schema.schema is missing") }
        let strictProblems = StrictModeRules.problems(in: schema)
        if !strictProblems.isEmpty { return violation("strict mode: " + strictProblems.joined(separator: "; ")) }
        guard case .array(let messages) = json["messages"] ?? .null, messages.first?["role"]?.string == "system",
              let userText = messages.last(where: { $0["role"]?.string == "user" })?["content"]?.string else {
            return violation("messages must start with a system message and contain a user message")
        }
        if let user = try? FakeJSON.parse(Data(userText.utf8)), case .array(let groups) = user["noc_2021_unit_groups"] ?? .null {
            return suggestion(user: user, groups: groups.compactMap(\.string), model: model, id: id, promptBytes: body.count)
        }
        guard let user = try? JSONDecoder().decode(FakeJSON.self, from: Data(userText.utf8)),
              case .array(let asked) = user["missing_attributes"] ?? .null, !asked.isEmpty else {
            return violation("the user message is not a JSON document with missing_attributes")
        }
        let title = user["job"]?["title"]?.string ?? ""
        let attributes: [(code: String, min: Double, max: Double)] = asked.compactMap { item in
            guard let code = item["attribute"]?.string, let min = item["scale"]?["min"]?.number,
                  let max = item["scale"]?["max"]?.number else { return nil }
            return (code, min, max)
        }
        guard attributes.count == asked.count else { return violation("an item of missing_attributes has no attribute or scale") }

        let fault = takeFault(title: title, codes: attributes.map(\.code))
        if let fault { faultsServed.append(fault) }
        var delay = latency
        switch fault {
        case .rateLimited(let retryAfter):
            var plan = error(429, "Rate limit reached for requests. Please try again later.", type: "requests", code: "rate_limit_exceeded")
            if case .respond(let status, var headers, let body, let delay) = plan {
                headers["Retry-After"] = retryAfter
                plan = .respond(status: status, headers: headers, body: body, delay: delay)
            }
            return plan
        case .serverError:
            return error(500, "The server had an error while processing your request.", type: "server_error", code: nil)
        case .unauthorized:
            return error(401, "Incorrect API key provided.", type: "invalid_request_error", code: "invalid_api_key")
        case .invalidBody:
            return .respond(status: 200, headers: ["Content-Type": "text/html"],
                            body: Data("<html><body>Bad gateway</body></html>".utf8), delay: delay)
        case .slow(let seconds):
            delay += seconds
        default:
            break
        }

        var items: [FakeJSON] = attributes.map { attribute in
            let hash = Self.stableHash(title + "|" + attribute.code)
            let steps = UInt64(max(0, attribute.max - attribute.min)) + 1
            let value = attribute.min + Double(hash % steps)
            let confidence = 0.3 + Double((hash / 7) % 60) / 100
            return .object([
                "attribute": .string(attribute.code),
                "rationale": .string("Fake estimate of \(attribute.code) for \(title)."),
                "value": .number(value),
                "confidence": .number(confidence),
            ])
        }
        switch fault {
        case .wrongAttribute: items[0] = items[0].setting("attribute", .string("ZZZ99"))
        case .missingAttribute: items.removeLast()
        case .outOfRangeConfidence: items[0] = items[0].setting("confidence", .number(1.7))
        case .offScaleValue: items[0] = items[0].setting("value", .number(attributes[0].max + 3))
        case .echoAuthorization:
            items = items.map { $0.setting("rationale", .string("Estimated with the credentials \(authorization ?? "none") you sent.")) }
        default: break
        }
        var content: FakeJSON = .string(FakeJSON.object(["answers": .array(items)]).text)
        var refusal: FakeJSON = .null
        var finishReason = "stop"
        switch fault {
        case .refusal(let text):
            content = .null
            refusal = .string(text)
        case .truncated:
            let full = content.string ?? ""
            content = .string(String(full.prefix(full.count / 2)))
            finishReason = "length"
        case .invalidJSON:
            content = .string("{\"answers\": [{\"attribute\": oops")
        default:
            break
        }
        let completionTokens = ((content.string ?? refusal.string ?? "").utf8.count + 3) / 4
        let promptTokens = (body.count + 3) / 4
        // The shared part of a request (instructions, the job, its known values) comes before the
        // attributes asked: a second request with the same beginning is served from the cache.
        let bodyText = String(decoding: body, as: UTF8.self)
        var cachedTokens = 0
        if let asked = bodyText.range(of: "missing_attributes") {
            let prefix = String(bodyText[..<asked.lowerBound])
            if !seenPrefixes.insert(Self.stableHash(prefix)).inserted { cachedTokens = prefix.utf8.count / 4 }
        }
        let response: FakeJSON = .object([
            "id": .string("chatcmpl-fake-\(id)"),
            "object": .string("chat.completion"),
            "created": .number(Double(Int(Date().timeIntervalSince1970))),
            "model": .string(model),
            "system_fingerprint": .string("fp_fake"),
            "choices": .array([.object([
                "index": .number(0),
                "message": .object(["role": .string("assistant"), "content": content, "refusal": refusal, "annotations": .array([])]),
                "logprobs": .null,
                "finish_reason": .string(finishReason),
            ])]),
            "usage": .object([
                "prompt_tokens": .number(Double(promptTokens)),
                "completion_tokens": .number(Double(completionTokens)),
                "total_tokens": .number(Double(promptTokens + completionTokens)),
                "prompt_tokens_details": .object(["cached_tokens": .number(Double(cachedTokens))]),
            ]),
        ])
        if let validator {
            let problems = validator.validate(response, against: "CreateChatCompletionResponse")
            if !problems.isEmpty { violations.append("the fake's own response: " + problems.joined(separator: "; ")) }
        }
        return .respond(status: 200, headers: ["Content-Type": "application/json", "x-request-id": "req_fake_\(id)"],
                        body: Data(response.text.utf8), delay: delay)
    }

    /// A NOC suggestion request (`noc_2021_unit_groups` listed): picks a listed unit group from the
    /// title's hash; `.wrongAttribute` answers `99999`, which is not listed.
    private func suggestion(user: FakeJSON, groups: [String], model: String, id: Int, promptBytes: Int) -> Plan {
        let title = user["job"]?["title"]?.string ?? ""
        let fault = takeFault(title: title, codes: [])
        if let fault { faultsServed.append(fault) }
        let pick = groups.isEmpty ? "00000" : String(groups[Int(Self.stableHash(title) % UInt64(groups.count))].prefix(5))
        let answer: FakeJSON = .object([
            "rationale": .string("Fake choice for \(title)."),
            "unit_group": .string(fault == .wrongAttribute ? "99999" : pick),
            "confidence": .number(fault == .outOfRangeConfidence ? 1.7 : 0.72),
        ])
        let refusal: FakeJSON
        let content: FakeJSON
        if case .refusal(let text) = fault {
            refusal = .string(text)
            content = .null
        } else {
            refusal = .null
            content = .string(answer.text)
        }
        let response: FakeJSON = .object([
            "id": .string("chatcmpl-fake-\(id)"), "object": .string("chat.completion"),
            "created": .number(Double(Int(Date().timeIntervalSince1970))), "model": .string(model),
            "choices": .array([.object([
                "index": .number(0),
                "message": .object(["role": .string("assistant"), "content": content, "refusal": refusal]),
                "logprobs": .null, "finish_reason": .string("stop"),
            ])]),
            "usage": .object(["prompt_tokens": .number(Double(promptBytes / 4)), "completion_tokens": .number(30), "total_tokens": .number(Double(promptBytes / 4 + 30))]),
        ])
        if let validator {
            let problems = validator.validate(response, against: "CreateChatCompletionResponse")
            if !problems.isEmpty { violations.append("the fake's own response: " + problems.joined(separator: "; ")) }
        }
        return .respond(status: 200, headers: ["Content-Type": "application/json", "x-request-id": "req_fake_\(id)"],
                        body: Data(response.text.utf8), delay: latency)
    }

    private func takeFault(title: String, codes: [String]) -> Fault? {
        for index in rules.indices {
            let rule = rules[index]
            if let remaining = rule.remaining, remaining <= 0 { continue }
            let matches: Bool = switch rule.trigger {
            case .always: true
            case .titleContains(let text): title.contains(text)
            case .attributeCountAbove(let count): codes.count > count
            case .attribute(let code): codes.contains(code)
            }
            guard matches else { continue }
            if let remaining = rule.remaining { rules[index].remaining = remaining - 1 }
            return rule.fault
        }
        return nil
    }

    private func violation(_ message: String) -> Plan {
        violations.append(message)
        return error(400, message, type: "invalid_request_error", code: nil)
    }

    private func error(_ status: Int, _ message: String, type: String, code: String?) -> Plan {
        let body: FakeJSON = .object(["error": .object([
            "message": .string(message), "type": .string(type), "param": .null, "code": code.map(FakeJSON.string) ?? .null,
        ])])
        if let validator {
            let problems = validator.validate(body, against: "ErrorResponse")
            if !problems.isEmpty { violations.append("the fake's own error body: " + problems.joined(separator: "; ")) }
        }
        return .respond(status: status, headers: ["Content-Type": "application/json"], body: Data(body.text.utf8), delay: 0)
    }

    /// FNV-1a: the same title and attribute always get the same value, on any machine.
    public static func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf29ce484222325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100000001b3
        }
        return hash
    }

    nonisolated private static func phrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        default: "Status"
        }
    }
}

public struct FakeServerError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

// MARK: - JSON for the fake and the validator

/// Any JSON value, decoded strictly: `true` is a boolean, never the number 1.
public indirect enum FakeJSON: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([FakeJSON])
    case object([String: FakeJSON])

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([FakeJSON].self) { self = .array(value) }
        else { self = .object(try container.decode([String: FakeJSON].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if value == value.rounded(), abs(value) < 1e15 { try container.encode(Int64(value)) } else { try container.encode(value) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    public subscript(key: String) -> FakeJSON? {
        guard case .object(let members) = self else { return nil }
        return members[key]
    }

    public var string: String? { if case .string(let value) = self { value } else { nil } }
    public var number: Double? { if case .number(let value) = self { value } else { nil } }

    public func setting(_ key: String, _ value: FakeJSON) -> FakeJSON {
        guard case .object(var members) = self else { return self }
        members[key] = value
        return .object(members)
    }

    /// Compact JSON text, keys sorted.
    public var text: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    public static func parse(_ data: Data) throws -> FakeJSON { try JSONDecoder().decode(FakeJSON.self, from: data) }
}

// MARK: - OpenAPI validation

/// Validates JSON against a schema of an OpenAPI 3.1 document: `$ref`, `allOf`, `anyOf`, `oneOf`,
/// `type` (and 3.0's `nullable`), `enum`, `properties`, `required`, `additionalProperties`,
/// `items`, `minItems`, `maxItems`, `minimum`, `maximum`, `maxLength`. Enough for the Chat
/// Completions schemas; anything else is ignored.
public struct OpenAPIValidator: Sendable {
    public let schemas: [String: FakeJSON]

    public init(documentAt url: URL) throws {
        let document = try FakeJSON.parse(try Data(contentsOf: url))
        guard case .object(let schemas) = document["components"]?["schemas"] ?? .null else {
            throw FakeServerError(message: "\(url.path): no components.schemas")
        }
        self.schemas = schemas
    }

    /// The Chat Completions part of OpenAI's OpenAPI description, copied into `Tests/Fixtures/openai/`.
    public static func chatCompletions() throws -> OpenAPIValidator {
        try OpenAPIValidator(documentAt: RepoPaths.fixtures.appendingPathComponent("openai/chat-completions-openapi.json"))
    }

    /// The problems of `value` against the schema `name` (empty: valid). `rejectUndeclaredTopLevel`
    /// also rejects top-level members the schema does not declare (catches misspelt parameters).
    public func validate(_ value: FakeJSON, against name: String, rejectUndeclaredTopLevel: Bool = false) -> [String] {
        guard let schema = schemas[name] else { return ["no schema named \(name)"] }
        var problems = check(value, schema, path: "$")
        if rejectUndeclaredTopLevel, case .object(let members) = value {
            let declared = declaredProperties(schema)
            for key in members.keys.sorted() where !declared.contains(key) {
                problems.append("$.\(key): not a property of \(name)")
            }
        }
        return problems
    }

    private func resolve(_ schema: FakeJSON) -> FakeJSON {
        if let ref = schema["$ref"]?.string, let name = ref.split(separator: "/").last, let target = schemas[String(name)] {
            return resolve(target)
        }
        return schema
    }

    private func declaredProperties(_ schema: FakeJSON) -> Set<String> {
        let schema = resolve(schema)
        var names = Set<String>()
        if case .object(let properties) = schema["properties"] ?? .null { names.formUnion(properties.keys) }
        for keyword in ["allOf", "anyOf", "oneOf"] {
            if case .array(let parts) = schema[keyword] ?? .null {
                for part in parts { names.formUnion(declaredProperties(part)) }
            }
        }
        return names
    }

    private func check(_ value: FakeJSON, _ rawSchema: FakeJSON, path: String) -> [String] {
        let schema = resolve(rawSchema)
        guard case .object = schema else { return [] }
        var problems: [String] = []
        if value == .null, schema["nullable"] == .bool(true) { return [] }
        if case .array(let parts) = schema["allOf"] ?? .null {
            for part in parts { problems += check(value, part, path: path) }
        }
        if case .array(let parts) = schema["anyOf"] ?? .null {
            let results = parts.map { check(value, $0, path: path) }
            if !results.contains(where: \.isEmpty) {
                problems.append("\(path): matches none of anyOf (\(results.compactMap(\.first).prefix(3).joined(separator: " | ")))")
            }
        }
        if case .array(let parts) = schema["oneOf"] ?? .null {
            let results = parts.map { check(value, $0, path: path) }
            let matching = results.filter(\.isEmpty).count
            if matching != 1 {
                problems.append("\(path): matches \(matching) of oneOf, expected exactly 1 (\(results.compactMap(\.first).prefix(3).joined(separator: " | ")))")
            }
        }
        if let type = schema["type"] {
            let allowed: [String] = switch type {
            case .string(let one): [one]
            case .array(let many): many.compactMap(\.string)
            default: []
            }
            if !allowed.isEmpty, !allowed.contains(where: { Self.hasType(value, $0) }) {
                return problems + ["\(path): expected \(allowed.joined(separator: " or ")), found \(Self.typeName(value))"]
            }
        }
        if case .array(let options) = schema["enum"] ?? .null, !options.contains(value) {
            problems.append("\(path): \(value.text) is not one of \(options.map(\.text).prefix(8).joined(separator: ", "))")
        }
        switch value {
        case .object(let members):
            var declared = Set<String>()
            if case .object(let properties) = schema["properties"] ?? .null {
                declared = Set(properties.keys)
                for (key, propertySchema) in properties {
                    if let member = members[key] { problems += check(member, propertySchema, path: "\(path).\(key)") }
                }
            }
            if case .array(let required) = schema["required"] ?? .null {
                for key in required.compactMap(\.string) where members[key] == nil {
                    problems.append("\(path): required member \"\(key)\" is missing")
                }
            }
            if let additional = schema["additionalProperties"] {
                for key in members.keys.sorted() where !declared.contains(key) {
                    if additional == .bool(false) {
                        problems.append("\(path).\(key): not allowed (additionalProperties false)")
                    } else if case .object = additional {
                        problems += check(members[key]!, additional, path: "\(path).\(key)")
                    }
                }
            }
        case .array(let items):
            if let itemSchema = schema["items"] {
                for (index, item) in items.enumerated() { problems += check(item, itemSchema, path: "\(path)[\(index)]") }
            }
            if let minItems = schema["minItems"]?.number, Double(items.count) < minItems {
                problems.append("\(path): \(items.count) items, at least \(Int(minItems)) required")
            }
            if let maxItems = schema["maxItems"]?.number, Double(items.count) > maxItems {
                problems.append("\(path): \(items.count) items, at most \(Int(maxItems)) allowed")
            }
        case .number(let number):
            if let minimum = schema["minimum"]?.number, number < minimum { problems.append("\(path): \(number) < minimum \(minimum)") }
            if let maximum = schema["maximum"]?.number, number > maximum { problems.append("\(path): \(number) > maximum \(maximum)") }
        case .string(let text):
            if let maxLength = schema["maxLength"]?.number, Double(text.count) > maxLength {
                problems.append("\(path): longer than \(Int(maxLength)) characters")
            }
        default:
            break
        }
        return problems
    }

    private static func hasType(_ value: FakeJSON, _ type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object), ("number", .number):
            true
        case ("integer", .number(let number)):
            number == number.rounded()
        default:
            false
        }
    }

    private static func typeName(_ value: FakeJSON) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

/// OpenAI's Structured Outputs strict-mode rules for a response schema: the root is an object
/// (not `anyOf`); every object sets `additionalProperties: false` and lists every property in
/// `required`; only supported keywords appear.
public enum StrictModeRules {
    static let supportedKeywords: Set<String> = [
        "type", "properties", "required", "additionalProperties", "items", "description", "enum", "const", "anyOf",
        "$ref", "$defs", "title", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
        "pattern", "format", "minItems", "maxItems",
    ]

    public static func problems(in schema: FakeJSON) -> [String] {
        var problems: [String] = []
        if schema["type"]?.string != "object" { problems.append("$: the root must be an object") }
        if schema["anyOf"] != nil { problems.append("$: the root must not be anyOf") }
        check(schema, path: "$", into: &problems)
        return problems
    }

    private static func check(_ schema: FakeJSON, path: String, into problems: inout [String]) {
        guard case .object(let members) = schema else {
            problems.append("\(path): a schema must be an object")
            return
        }
        for key in members.keys.sorted() where !supportedKeywords.contains(key) {
            problems.append("\(path): keyword \"\(key)\" is not supported in strict mode")
        }
        let types: [String] = switch schema["type"] ?? .null {
        case .string(let one): [one]
        case .array(let many): many.compactMap(\.string)
        default: []
        }
        if types.contains("object") {
            if schema["additionalProperties"] != .bool(false) {
                problems.append("\(path): additionalProperties must be false")
            }
            let properties: [String: FakeJSON] = if case .object(let properties) = schema["properties"] ?? .null { properties } else { [:] }
            var required = Set<String>()
            if case .array(let items) = schema["required"] ?? .null { required = Set(items.compactMap(\.string)) }
            if required != Set(properties.keys) {
                problems.append("\(path): required \(required.sorted()) must list every property \(properties.keys.sorted())")
            }
            for (key, property) in properties { check(property, path: "\(path).\(key)", into: &problems) }
        }
        if types.contains("array") {
            if let items = schema["items"] { check(items, path: "\(path)[]", into: &problems) } else { problems.append("\(path): array without items") }
        }
        if case .array(let options) = schema["anyOf"] ?? .null {
            for (index, option) in options.enumerated() { check(option, path: "\(path).anyOf[\(index)]", into: &problems) }
        }
    }
}
