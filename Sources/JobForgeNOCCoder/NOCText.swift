import Foundation

/// How the coder reads a text: folded words, their bigrams and their character n-grams.
///
/// ```swift
/// NOCText.words("Infirmière autorisée / Registered Nurses")  // ["infirmiere", "autorisee", "registered", "nurse"]
/// NOCText.matchKey("Sr. Data-Scientist")                      // "sr data scientist"
/// ```
public enum NOCText {
    /// English and French words that say nothing of an occupation on their own.
    static let stopWords: Set<String> = [
        "a", "an", "and", "the", "of", "in", "on", "for", "to", "with", "or", "by", "at", "as", "from", "into",
        "other", "all", "any", "its", "their", "this", "that", "these", "such", "etc", "e", "g", "i", "n", "c", "s", "nec",
        "le", "la", "les", "l", "un", "une", "des", "de", "du", "d", "et", "en", "au", "aux", "ou", "pour", "par", "sur",
        "dans", "autre", "autres", "avec",
    ]

    /// Case and accents folded, split on anything not a letter or digit.
    static func foldedWords(_ text: String) -> [String] {
        // Nearly every OaSIS text is ASCII: Foundation's folding is slow on Linux and not needed there.
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            return text.utf8.split { !(0x30...0x39).contains($0) && !(0x41...0x5A).contains($0) && !(0x61...0x7A).contains($0) }
                .map { word in String(decoding: word.map { (0x41...0x5A).contains($0) ? $0 + 32 : $0 }, as: UTF8.self) }
        }
        let folded = text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
        var words: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in folded.unicodeScalars {
            if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                current.append(scalar)
            } else if !current.isEmpty {
                words.append(String(current))
                current = String.UnicodeScalarView()
            }
        }
        if !current.isEmpty { words.append(String(current)) }
        return words
    }

    /// The words the index keys on: folded, stop words out, English plurals made singular
    /// (labels are plural, "Registered nurses"; titles singular, "registered nurse").
    public static func words(_ text: String) -> [String] {
        foldedWords(text).filter { !stopWords.contains($0) }.map(singular)
    }

    /// The form the fuzzy scorer compares: folded words joined by one space.
    public static func matchKey(_ text: String) -> String {
        foldedWords(text).joined(separator: " ")
    }

    static func singular(_ word: String) -> String {
        guard word.count > 3, word.hasSuffix("s") else { return word }
        if word.hasSuffix("ies") { return String(word.dropLast(3)) + "y" }
        if word.hasSuffix("ss") || word.hasSuffix("us") || word.hasSuffix("is") { return word }
        if word.hasSuffix("sses") || word.hasSuffix("ches") || word.hasSuffix("shes") || word.hasSuffix("xes") {
            return String(word.dropLast(2))
        }
        return String(word.dropLast())
    }

    /// A feature's kind: its weight in the score differs (a shared word says more than a shared trigram).
    enum Kind: UInt8 {
        case word = 0, bigram = 1, characters = 2
    }

    /// Every feature of `text` with its count: `w:nurse`, `b:registered nurse`, `c: nu` ... (3 to 5
    /// characters of each word, with a space at each end so that a word's start and end count).
    static func features(_ text: String, characterNGrams: Bool) -> [String: Int] {
        let words = words(text)
        var counts: [String: Int] = [:]
        for word in words { counts["w:" + word, default: 0] += 1 }
        for index in words.indices.dropFirst() { counts["b:" + words[index - 1] + " " + words[index], default: 0] += 1 }
        if characterNGrams {
            for word in words {
                let padded = Array((" " + word + " ").unicodeScalars)
                for length in 3...5 where padded.count >= length {
                    for start in 0...(padded.count - length) {
                        var gram = "c:"
                        gram.unicodeScalars.append(contentsOf: padded[start..<(start + length)])
                        counts[gram, default: 0] += 1
                    }
                }
            }
        }
        return counts
    }

    static func kind(of feature: String) -> Kind {
        switch feature.utf8.first {
        case UInt8(ascii: "w"): .word
        case UInt8(ascii: "b"): .bigram
        default: .characters
        }
    }
}
