import Foundation

/// A type the model answers in, through Structured Outputs.
///
/// Its JSON Schema is not written by hand: `StrictSchema.of(Self.self)` derives it from the type's
/// own `Decodable` conformance (the same code that decodes the answer), so the schema sent and the
/// decoder that reads the reply cannot drift apart.
public protocol StructuredOutput: Decodable, Sendable {
    /// The `json_schema.name` of the response format: a-z, A-Z, 0-9, `_` or `-`, at most 64.
    static var schemaName: String { get }
    /// Descriptions of fields by coding key (any nesting level), given to the model in the schema.
    static var fieldDescriptions: [String: String] { get }
}

extension StructuredOutput {
    public static var fieldDescriptions: [String: String] { [:] }

    /// The strict-mode schema of this type.
    public static func strictSchema() throws -> JSONValue {
        try StrictSchema.of(Self.self, descriptions: fieldDescriptions)
    }
}

/// A field type whose schema is not a plain JSON type (a string enumeration, say).
public protocol SchemaDescribing {
    static var jsonSchema: JSONValue { get }
    /// Any value of the type: the schema decoder returns it when it walks a containing type.
    static var schemaPlaceholder: Self { get }
}

public struct SchemaDerivationError: Error, CustomStringConvertible {
    public var description: String
}

/// Derives a JSON Schema that follows OpenAI's strict-mode rules from a `Decodable` type:
/// the root is an object; every object lists all its properties in `required` and sets
/// `additionalProperties: false`; optional fields become `[type, "null"]` (still required).
public enum StrictSchema {
    public static func of<T: Decodable>(_ type: T.Type, descriptions: [String: String] = [:]) throws -> JSONValue {
        let node = SchemaNode()
        _ = try T(from: SchemaDecoder(node: node, codingPath: []))
        let schema = node.json(descriptions: descriptions)
        guard case .object = schema, schema["type"] == .string("object") else {
            throw SchemaDerivationError(description: "the root of a strict schema must be an object, \(T.self) is not")
        }
        return schema
    }
}

/// What the schema decoder learned about one value.
final class SchemaNode {
    enum Kind {
        case unknown
        case primitive(String)
        case custom(JSONValue)
        case object([(key: String, node: SchemaNode)])
        case array(SchemaNode)
    }

    var kind: Kind = .unknown
    var nullable = false

    func json(descriptions: [String: String], key: String? = nil) -> JSONValue {
        var members: [(String, JSONValue)]
        switch kind {
        case .unknown:
            members = [("type", "string")]
        case .primitive(let type):
            members = [("type", nullable ? .array([.string(type), "null"]) : .string(type))]
        case .custom(let schema):
            if nullable { return .object([("anyOf", [schema, .object([("type", "null")])])]) }
            guard case .object(let custom) = schema else { return schema }
            members = custom
        case .object(let properties):
            let object: JSONValue = .object([
                ("type", "object"),
                ("properties", .object(properties.map { ($0.key, $0.node.json(descriptions: descriptions, key: $0.key)) })),
                ("required", .array(properties.map { .string($0.key) })),
                ("additionalProperties", false),
            ])
            if nullable { return .object([("anyOf", [object, .object([("type", "null")])])]) }
            guard case .object(let objectMembers) = object else { return object }
            members = objectMembers
        case .array(let element):
            members = [
                ("type", nullable ? ["array", "null"] : "array"),
                ("items", element.json(descriptions: descriptions)),
            ]
        }
        if let key, let description = descriptions[key] {
            members.append(("description", .string(description)))
        }
        return .object(members)
    }
}

/// A `Decoder` that answers every question with a placeholder and records the questions asked:
/// the keys, their types and their optionality are the schema.
struct SchemaDecoder: Decoder {
    let node: SchemaNode
    var codingPath: [CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        if case .object = node.kind {} else { node.kind = .object([]) }
        return KeyedDecodingContainer(KeyedSchemaContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        let element = SchemaNode()
        node.kind = .array(element)
        return UnkeyedSchemaContainer(element: element, codingPath: codingPath)
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer {
        SingleSchemaContainer(node: node, codingPath: codingPath)
    }

    /// Decodes a placeholder of `type`, recording its schema in `node`.
    static func placeholder<T: Decodable>(_ type: T.Type, node: SchemaNode, codingPath: [CodingKey]) throws -> T {
        if let describing = type as? any SchemaDescribing.Type {
            node.kind = .custom(describing.jsonSchema)
            return describing.schemaPlaceholder as! T
        }
        if let value = primitivePlaceholder(type, node: node) { return value }
        return try T(from: SchemaDecoder(node: node, codingPath: codingPath))
    }

    static func primitivePlaceholder<T>(_ type: T.Type, node: SchemaNode) -> T? {
        switch type {
        case is String.Type: node.kind = .primitive("string"); return "" as? T
        case is Bool.Type: node.kind = .primitive("boolean"); return false as? T
        case is Double.Type: node.kind = .primitive("number"); return 0.0 as? T
        case is Float.Type: node.kind = .primitive("number"); return Float(0) as? T
        case is Int.Type: node.kind = .primitive("integer"); return 0 as? T
        case is Int64.Type: node.kind = .primitive("integer"); return Int64(0) as? T
        case is Int32.Type: node.kind = .primitive("integer"); return Int32(0) as? T
        case is UInt.Type: node.kind = .primitive("integer"); return UInt(0) as? T
        case is Int8.Type: node.kind = .primitive("integer"); return Int8(0) as? T
        case is Int16.Type: node.kind = .primitive("integer"); return Int16(0) as? T
        case is UInt8.Type: node.kind = .primitive("integer"); return UInt8(0) as? T
        case is UInt16.Type: node.kind = .primitive("integer"); return UInt16(0) as? T
        case is UInt32.Type: node.kind = .primitive("integer"); return UInt32(0) as? T
        case is UInt64.Type: node.kind = .primitive("integer"); return UInt64(0) as? T
        default: return nil
        }
    }
}

private struct KeyedSchemaContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let node: SchemaNode
    var codingPath: [CodingKey]
    var allKeys: [Key] { [] }

    private func child(for key: Key) -> SchemaNode {
        guard case .object(var properties) = node.kind else { return SchemaNode() }
        if let existing = properties.first(where: { $0.key == key.stringValue }) { return existing.node }
        let child = SchemaNode()
        properties.append((key.stringValue, child))
        node.kind = .object(properties)
        return child
    }

    func contains(_ key: Key) -> Bool { true }
    func decodeNil(forKey key: Key) throws -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try SchemaDecoder.placeholder(type, node: child(for: key), codingPath: codingPath + [key])
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        let node = child(for: key)
        let value = try SchemaDecoder.placeholder(type, node: node, codingPath: codingPath + [key])
        node.nullable = true
        return value
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decode(type as Bool.Type, key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try decode(type as String.Type, key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decode(type as Double.Type, key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decode(type as Float.Type, key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decode(type as Int.Type, key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decode(type, key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decode(type, key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decode(type as Int32.Type, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decode(type as Int64.Type, key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decode(type as UInt.Type, key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decode(type, key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decode(type, key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decode(type, key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decode(type, key) }

    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try decodeIfPresent(type as Bool.Type, key) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try decodeIfPresent(type as String.Type, key) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try decodeIfPresent(type as Double.Type, key) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try decodeIfPresent(type as Int.Type, key) }

    private func decode<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T {
        guard let value = SchemaDecoder.primitivePlaceholder(type, node: child(for: key)) else { return try unsupported(type, key) }
        return value
    }

    private func decodeIfPresent<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T? {
        let node = child(for: key)
        guard let value = SchemaDecoder.primitivePlaceholder(type, node: node) else { return try unsupported(type, key) }
        node.nullable = true
        return value
    }

    private func unsupported<T>(_ type: T.Type, _ key: Key) throws -> T {
        throw SchemaDerivationError(description: "field \(key.stringValue): \(T.self) has no JSON Schema mapping; use Int, Double, String, Bool or a SchemaDescribing type")
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try SchemaDecoder(node: child(for: key), codingPath: codingPath + [key]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
        try SchemaDecoder(node: child(for: key), codingPath: codingPath + [key]).unkeyedContainer()
    }

    func superDecoder() throws -> Decoder { SchemaDecoder(node: node, codingPath: codingPath) }
    func superDecoder(forKey key: Key) throws -> Decoder { SchemaDecoder(node: child(for: key), codingPath: codingPath + [key]) }
}

/// Yields exactly one element, so that an array's element type is walked once.
private struct UnkeyedSchemaContainer: UnkeyedDecodingContainer {
    let element: SchemaNode
    var codingPath: [CodingKey]
    var count: Int? { nil }
    var currentIndex = 0
    var isAtEnd: Bool { currentIndex > 0 }

    init(element: SchemaNode, codingPath: [CodingKey]) {
        self.element = element
        self.codingPath = codingPath
    }

    mutating func decodeNil() throws -> Bool { false }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        currentIndex += 1
        return try SchemaDecoder.placeholder(type, node: element, codingPath: codingPath)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        currentIndex += 1
        return try SchemaDecoder(node: element, codingPath: codingPath).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer {
        currentIndex += 1
        return try SchemaDecoder(node: element, codingPath: codingPath).unkeyedContainer()
    }

    mutating func superDecoder() throws -> Decoder { SchemaDecoder(node: element, codingPath: codingPath) }
}

private struct SingleSchemaContainer: SingleValueDecodingContainer {
    let node: SchemaNode
    var codingPath: [CodingKey]

    func decodeNil() -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try SchemaDecoder.placeholder(type, node: node, codingPath: codingPath)
    }

    func decode(_ type: Bool.Type) throws -> Bool { try SchemaDecoder.placeholder(type, node: node, codingPath: codingPath) }
    func decode(_ type: String.Type) throws -> String { try SchemaDecoder.placeholder(type, node: node, codingPath: codingPath) }
    func decode(_ type: Double.Type) throws -> Double { try SchemaDecoder.placeholder(type, node: node, codingPath: codingPath) }
    func decode(_ type: Float.Type) throws -> Float { try SchemaDecoder.placeholder(type, node: node, codingPath: codingPath) }
    func decode(_ type: Int.Type) throws -> Int { try SchemaDecoder.placeholder(type, node: node, codingPath: codingPath) }
    func decode(_ type: Int8.Type) throws -> Int8 { try SchemaDecoder.placeholder(type, node: node, codingPath: codingPath) }
    func decode(_ type: Int16.Type) throws -> Int16 { try SchemaDecoder.placeholder(type, node: node, codingPath: codingPath) }
    func decode(_ type: Int32.Type) throws -> Int32 { try SchemaDecoder.placeholder(type, node: node, codingPath: codingPath) }
    func decode(_ type: Int64.Type) throws -> Int64 { try SchemaDecoder.placeholder(type, node: node, codingPath: codingPath) }
    func decode(_ type: UInt.Type) throws -> UInt { try SchemaDecoder.placeholder(type, node: node, codingPath: codingPath) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try SchemaDecoder.placeholder(type, node: node, codingPath: codingPath) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try SchemaDecoder.placeholder(type, node: node, codingPath: codingPath) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try SchemaDecoder.placeholder(type, node: node, codingPath: codingPath) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try SchemaDecoder.placeholder(type, node: node, codingPath: codingPath) }
}
