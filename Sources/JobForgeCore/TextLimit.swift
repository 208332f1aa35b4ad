import Foundation

/// The longest text a field of an input file may hold. A title or a name is a line; a
/// description, a few paragraphs. Anything longer is a broken file (a pasted document, a quote
/// that swallowed the rest of the file) and would reach the LLM's prompts whole: a 1 MB title
/// is millions of tokens. Imports refuse such a field with its file, line and column.
/// The README ("Limits on input text") states these numbers: keep both in step.
public enum TextLimit: Int, Sendable, CaseIterable {
    /// Titles, labels, names, ids and other one-line fields.
    case name = 500
    /// Free text: descriptions, duties, notes, any column JobForge does not interpret.
    case freeText = 5_000

    /// Characters (extended grapheme clusters, as a user counts them).
    public var characters: Int { rawValue }

    /// What the limit applies to, for messages.
    public var kind: String {
        switch self {
        case .name: "a title or name"
        case .freeText: "a free-text field"
        }
    }

    /// Whether `text` fits. A text of no more UTF-8 bytes than the limit fits without counting
    /// its characters (nearly every field): only longer ones are counted.
    public func admits(_ text: String) -> Bool {
        text.utf8.count <= characters || text.count <= characters
    }

    /// Whether `byteCount` UTF-8 bytes certainly fit (each character is at least one byte).
    @inline(__always)
    public func certainlyAdmits(byteCount: Int) -> Bool { byteCount <= characters }

    /// The message for a field of `count` characters over this limit.
    public func message(characters count: Int) -> String {
        "\(count) characters: \(kind) may have at most \(characters) (see \"Limits on input text\" in the README); shorten it"
    }
}
