import ArgumentParser
import Foundation
import JobForgeCore
import JobForgeLLM
import JobForgeTBS
import JobForgeTitles

// The vocabulary the commands take on the command line. Each type parses its own values, so
// ArgumentParser rejects a bad one before any command runs, and both `--help` and the error list
// the valid values:
//
//     $ jobforge show 21211 --category skils
//     Error: The value 'skils' is invalid for '--category <category>'. Please provide one of the following:
//       - skills
//       - abilities
//       ...

/// `skills`, `work-context`, `Work Context`, `work_activities`, `WorkContext`: any spelling whose
/// letters match a category's name, case-insensitively. Help and errors list the dashed forms.
extension Category: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(userInput: argument)
    }

    /// The form help and errors show: `work-context`.
    public var defaultValueDescription: String {
        rawValue.lowercased().replacingOccurrences(of: " ", with: "-")
    }

    public static var allValueStrings: [String] { allCases.map(\.defaultValueDescription) }

    /// None: help lists the values on one line instead of a table of names.
    public static var allValueDescriptions: [String: String] { [:] }
}

/// `authoritative`, `onet`, `llm`, and the spellings users type (`oasis`, `o*net`, `ai`, ...).
extension Source: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(userInput: argument)
    }
}

/// `en` or `fr`. Declared here, not beside the type, so it holds wherever `TBSLanguage` lives.
extension TBSLanguage: ExpressibleByArgument {}

/// `max_completion_tokens` or `max_tokens`.
extension MaxTokensField: ExpressibleByArgument {}

/// `answered`, `refused`, `invalid`, `unasked`, `missing`, `failed`.
extension CellOutcomeStatus: ExpressibleByArgument {}

/// The raw values (`exact_label`, `unit_group_fallback`, ...), dashes for underscores, and the short
/// names `ResolutionMethod(userInput:)` accepts (`exact`, `fallback`, ...).
extension ResolutionMethod: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(userInput: argument)
    }
}

/// One or more values in one argument, separated by commas: `--category skills,work-context`.
/// With `parsing: .upToNextOption` an option takes both `--source onet llm` and `--source onet,llm`.
/// Help and errors list the values of `Value`.
public struct CommaSeparated<Value: ExpressibleByArgument>: ExpressibleByArgument {
    public var values: [Value]

    public init(_ values: [Value]) {
        self.values = values
    }

    /// Nil when any piece is not a `Value`, or when there is no piece at all (`,`).
    public init?(argument: String) {
        var values: [Value] = []
        for piece in argument.split(separator: ",") {
            guard let value = Value(argument: String(piece)) else { return nil }
            values.append(value)
        }
        guard !values.isEmpty else { return nil }
        self.values = values
    }

    public var defaultValueDescription: String {
        values.map(\.defaultValueDescription).joined(separator: ",")
    }

    public static var allValueStrings: [String] { Value.allValueStrings }
    public static var allValueDescriptions: [String: String] { Value.allValueDescriptions }
    public static var defaultCompletionKind: CompletionKind { Value.defaultCompletionKind }
}

extension CommaSeparated: Equatable where Value: Equatable {}
extension CommaSeparated: Sendable where Value: Sendable {}

/// Codes and URLs given on the command line, checked and normalized at parse time. The throwing
/// ones are for `@Option(transform:)`: their message follows "The value 'X' is invalid for '--opt <v>': ".
enum ArgumentValues {
    /// A NOC 2021 unit group, zero-padded: `2121` -> `02121`.
    @Sendable static func unitGroup(_ text: String) throws -> String {
        guard let code = Codes.unitGroup(text) else { throw ValidationError("not a NOC unit group code (1-5 digits)") }
        return code
    }

    /// An O*NET-SOC code; a bare SOC gets `.00`: `15-1252` -> `15-1252.00`.
    @Sendable static func onetSOC(_ text: String) throws -> String {
        guard let code = Codes.onetSOC(text) else { throw ValidationError("not an O*NET-SOC code (NN-NNNN.NN)") }
        return code
    }

    /// An absolute URL (it has a scheme), or nil.
    static func absoluteURL(_ text: String) -> URL? {
        guard let url = URL(string: text), url.scheme != nil else { return nil }
        return url
    }

    /// An http(s) URL with a host, or nil.
    static func httpURL(_ text: String) -> URL? {
        guard let url = URL(string: text), url.scheme == "http" || url.scheme == "https", url.host != nil else { return nil }
        return url
    }
}

/// What `jobforge crosswalk CODE` looks up: an O*NET-SOC code, else a NOC unit group.
public struct CrosswalkCode: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        case soc(String)
        case unitGroup(String)
    }

    /// As typed, for messages.
    public var text: String
    /// Normalized: `15-1252` -> `.soc("15-1252.00")`, `2121` -> `.unitGroup("02121")`.
    public var kind: Kind

    /// For `@Argument(transform:)`.
    @Sendable public static func parse(_ text: String) throws -> CrosswalkCode {
        if let soc = Codes.onetSOC(text) { return CrosswalkCode(text: text, kind: .soc(soc)) }
        if let unitGroup = Codes.unitGroup(text) { return CrosswalkCode(text: text, kind: .unitGroup(unitGroup)) }
        throw ValidationError("neither a NOC unit group (1-5 digits) nor an O*NET-SOC code (NN-NNNN.NN)")
    }
}
