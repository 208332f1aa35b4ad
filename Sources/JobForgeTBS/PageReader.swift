import Foundation
import JobForgeCore

/// Facts a page states about itself.
public struct TBSPageMetadata: Sendable, Equatable {
    public var title: String?
    /// `dcterms.modified`, else the `gcds-date-modified` element.
    public var modified: String?
}

/// Reads a linked document: its metadata and the text of the sections that links point at.
public struct TBSPageReader: Sendable {
    public init() {}

    public static let methodHeadingSection = "libxml2-html:heading-section"
    public static let methodElement = "libxml2-html:element"
    public static let methodMainContent = "libxml2-html:main-content"

    /// What was read from one document.
    public struct Result: Sendable {
        public var metadata: TBSPageMetadata
        /// The requested fragments that were found, with their text.
        public var sections: [TBSSection]
        /// The requested fragments the page does not have.
        public var missingFragments: [String]
    }

    /// Reads the metadata and, for each requested fragment, the section it names. The empty
    /// fragment stands for the whole document (its `main` content).
    /// `pageURL` is the canonical URL links inside the sections are resolved against.
    public func read(_ data: Data, pageURL: URL, fragments: [String]) throws -> Result {
        let document = try HTMLDocument(data: data, url: pageURL.absoluteString)
        let metadata = Self.metadata(document)
        let index = document.elementsByID()
        var sections: [TBSSection] = []
        var missing: [String] = []
        for fragment in fragments {
            if fragment.isEmpty {
                let main = document.elements(named: "main").first ?? document.elements(named: "body").first
                guard let main else { missing.append(fragment); continue }
                sections.append(TBSSection(fragment: "", heading: metadata.title, text: main.blockText,
                                           method: Self.methodMainContent, links: Self.links(in: [main], pageURL: pageURL)))
                continue
            }
            guard let target = index[fragment], let section = Self.section(at: target, fragment: fragment, pageURL: pageURL),
                  !section.text.isEmpty else {
                missing.append(fragment)
                continue
            }
            sections.append(section)
        }
        return Result(metadata: metadata, sections: sections, missingFragments: missing)
    }

    static func metadata(_ document: HTMLDocument) -> TBSPageMetadata {
        let title = document.elements(named: "title").first.map(\.inlineText).flatMap { $0.isEmpty ? nil : $0 }
        var modified: String?
        for meta in document.elements(named: "meta") where meta.attribute("name")?.lowercased() == "dcterms.modified" {
            if let content = meta.attribute("content")?.trimmingCharacters(in: .whitespaces), !content.isEmpty {
                modified = content
                break
            }
        }
        if modified == nil, let element = document.elements(named: "gcds-date-modified").first {
            let text = element.inlineText
            modified = text.isEmpty ? nil : text
        }
        return TBSPageMetadata(title: title, modified: modified)
    }

    private static func headingRank(_ node: HTMLNode) -> Int? {
        let name = node.name
        guard name.count == 2, name.first == "h", let digit = name.last?.wholeNumberValue, (1...6).contains(digit) else { return nil }
        return digit
    }

    /// The section a fragment names. A heading's section runs from the heading over its following
    /// siblings, up to the next heading of the same or a higher rank, or the next sibling that holds
    /// another addressable heading (a subgroup's definition inside its group's is its own section).
    static func section(at target: HTMLNode, fragment: String, pageURL: URL) -> TBSSection? {
        if let rank = headingRank(target) {
            var parts = [target]
            for sibling in target.followingSiblings {
                if let siblingRank = headingRank(sibling), siblingRank <= rank { break }
                if sibling.contains(where: { headingRank($0) != nil && $0.attribute("id") != nil }) { break }
                parts.append(sibling)
            }
            // The first line is the heading's path: a subgroup's definition names its group, so
            // that identical wording under two groups (SR-E and SR-W on the real page) stays distinct.
            let path = (context(of: target, rank: rank) + [target.inlineText]).joined(separator: " › ")
            let text = ([path] + parts.dropFirst().map(\.blockText)).filter { !$0.isEmpty }.joined(separator: "\n")
            return TBSSection(fragment: fragment, heading: target.inlineText, text: text, method: methodHeadingSection,
                              links: links(in: parts, pageURL: pageURL))
        }
        if target.name == "summary", let details = target.parent {
            return TBSSection(fragment: fragment, heading: target.inlineText, text: details.blockText,
                              method: methodElement, links: links(in: [details], pageURL: pageURL))
        }
        // An empty anchor (`<a id="x"></a>`) marks the place: take its parent block.
        let node = target.blockText.isEmpty ? (target.parent ?? target) : target
        let heading = node.children().first { headingRank($0) != nil }?.inlineText
        return TBSSection(fragment: fragment, heading: heading, text: node.blockText, method: methodElement,
                          links: links(in: [node], pageURL: pageURL))
    }

    /// The headings (with an id, so addressable) of the sections that enclose a heading, outermost first.
    static func context(of target: HTMLNode, rank: Int) -> [String] {
        var result: [String] = []
        var rank = rank
        var node = target
        while let parent = node.parent {
            var enclosing: HTMLNode?
            for child in parent.children() {
                if child.pointer == node.pointer { break }
                if let childRank = headingRank(child), childRank < rank, child.attribute("id") != nil { enclosing = child }
            }
            if let enclosing, let enclosingRank = headingRank(enclosing) {
                result.insert(enclosing.inlineText, at: 0)
                rank = enclosingRank
            }
            node = parent
        }
        return result
    }

    /// Absolute http(s) URLs of the links inside the nodes, in order, without repeats.
    static func links(in nodes: [HTMLNode], pageURL: URL) -> [String] {
        var seen = Set<String>()
        var result: [String] = []
        for node in nodes {
            node.walk { element in
                guard element.name == "a", let href = element.attribute("href")?.trimmingCharacters(in: .whitespaces),
                      !href.isEmpty, let url = URL(string: href, relativeTo: pageURL)?.absoluteURL,
                      let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" else { return }
                let text = url.absoluteString
                if seen.insert(text).inserted { result.append(text) }
            }
        }
        return result
    }
}
