import Foundation

/// Where a candidate value came from. The order of the cases is the cascade's
/// fixed precedence: authoritative Canadian data beats O*NET, which beats an LLM.
public enum Source: String, Sendable, Codable, CaseIterable, Comparable {
    case authoritative
    case onet
    case llm

    /// 3 for authoritative, 2 for O*NET, 1 for an LLM: higher always wins.
    public var precedence: Int {
        switch self {
        case .authoritative: 3
        case .onet: 2
        case .llm: 1
        }
    }

    public static func < (lhs: Source, rhs: Source) -> Bool { lhs.precedence < rhs.precedence }

    /// Accepts the raw value and a few spellings users type (`oasis`, `o*net`, `ai`).
    public init?(userInput: String) {
        switch userInput.lowercased().trimmingCharacters(in: .whitespaces) {
        case "authoritative", "auth", "oasis", "noc": self = .authoritative
        case "onet", "o*net", "o-net": self = .onet
        case "llm", "ai", "openai": self = .llm
        default: return nil
        }
    }
}

/// The level of the NOC / OaSIS hierarchy a value was taken from.
public enum SourceLevel: String, Sendable, Codable, CaseIterable {
    /// NOC 2021 unit group (`21211`).
    case l5 = "L5"
    /// OaSIS profile (`21211.00`).
    case l6 = "L6"
    /// Job title of a job architecture.
    case l7 = "L7"
}
