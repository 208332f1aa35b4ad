import CLibXML2
import Foundation

/// An HTML page parsed by libxml2's HTML parser (the engine under Python's lxml): tolerant of the
/// tag soup real pages contain, yet a real tree, so the table and sections are read by structure,
/// never by string matching.
///
/// Not `Sendable`: a document lives inside one parsing call and is freed with it.
final class HTMLDocument {
    private let document: htmlDocPtr

    /// Parses `data` as UTF-8 HTML. Fails only when libxml2 cannot build any tree at all.
    init(data: Data, url: String) throws {
        let options = Int32(HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue
                            | HTML_PARSE_NONET.rawValue | HTML_PARSE_COMPACT.rawValue)
        let parsed: htmlDocPtr? = data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: CChar.self) else { return nil }
            return htmlReadMemory(base, Int32(raw.count), url, "UTF-8", options)
        }
        guard let parsed else {
            throw TBSPageError(url: url, message: "libxml2 could not parse the page as HTML (\(data.count) bytes)")
        }
        document = parsed
    }

    deinit { xmlFreeDoc(document) }

    var root: HTMLNode? { xmlDocGetRootElement(document).map(HTMLNode.init) }

    /// Every element in document order.
    func elements(named name: String? = nil) -> [HTMLNode] {
        guard let root else { return [] }
        var result: [HTMLNode] = []
        root.walk { node in
            if name == nil || node.name == name { result.append(node) }
        }
        return result
    }

    /// Elements by their `id` attribute (the first one wins when a page repeats an id).
    func elementsByID() -> [String: HTMLNode] {
        var index: [String: HTMLNode] = [:]
        root?.walk { node in
            if let id = node.attribute("id"), index[id] == nil { index[id] = node }
        }
        return index
    }
}

/// An element of an `HTMLDocument`; valid only while its document is alive.
struct HTMLNode {
    let pointer: xmlNodePtr

    init(_ pointer: xmlNodePtr) { self.pointer = pointer }

    var isElement: Bool { pointer.pointee.type == XML_ELEMENT_NODE }
    var isText: Bool { pointer.pointee.type == XML_TEXT_NODE || pointer.pointee.type == XML_CDATA_SECTION_NODE }

    /// The lowercased tag name.
    var name: String {
        guard let name = pointer.pointee.name else { return "" }
        return String(cString: name).lowercased()
    }

    func attribute(_ name: String) -> String? {
        guard let value = xmlGetProp(pointer, name) else { return nil }
        defer { jf_xmlFree(value) }
        return String(cString: value)
    }

    /// The classes of the `class` attribute.
    var classes: [String] { (attribute("class") ?? "").split(whereSeparator: \.isWhitespace).map(String.init) }

    /// All child nodes, text included.
    var childNodes: [HTMLNode] {
        var result: [HTMLNode] = []
        var child = pointer.pointee.children
        while let current = child {
            result.append(HTMLNode(current))
            child = current.pointee.next
        }
        return result
    }

    /// Child elements, optionally of one tag name.
    func children(named name: String? = nil) -> [HTMLNode] {
        childNodes.filter { $0.isElement && (name == nil || $0.name == name) }
    }

    var parent: HTMLNode? {
        guard let parent = pointer.pointee.parent, parent.pointee.type == XML_ELEMENT_NODE else { return nil }
        return HTMLNode(parent)
    }

    /// Following element siblings, in order.
    var followingSiblings: [HTMLNode] {
        var result: [HTMLNode] = []
        var next = pointer.pointee.next
        while let current = next {
            let node = HTMLNode(current)
            if node.isElement { result.append(node) }
            next = current.pointee.next
        }
        return result
    }

    /// Visits this element and every element below it, in document order.
    func walk(_ visit: (HTMLNode) -> Void) {
        guard isElement else { return }
        visit(self)
        var child = pointer.pointee.children
        while let current = child {
            HTMLNode(current).walk(visit)
            child = current.pointee.next
        }
    }

    /// Descendant elements (not self) with the given tag name, in document order.
    func descendants(named name: String) -> [HTMLNode] {
        var result: [HTMLNode] = []
        for child in children() {
            child.walk { if $0.name == name { result.append($0) } }
        }
        return result
    }

    /// Whether any descendant element matches.
    func contains(where predicate: (HTMLNode) -> Bool) -> Bool {
        var found = false
        for child in children() where !found {
            child.walk { if !found && predicate($0) { found = true } }
        }
        return found
    }

    /// The raw text of a text node.
    var textContent: String {
        guard let content = pointer.pointee.content else { return "" }
        return String(cString: content)
    }

    /// The text as one line: `<br>` and runs of white space become one space, trimmed.
    /// `Air Traffic Control<br> (AI)` reads `Air Traffic Control (AI)`.
    var inlineText: String {
        var raw = ""
        appendInline(to: &raw)
        return HTMLText.collapse(raw)
    }

    private func appendInline(to out: inout String) {
        if isText { out += textContent; return }
        guard isElement else { return }
        if name == "br" { out += " "; return }
        if name == "script" || name == "style" { return }
        for child in childNodes { child.appendInline(to: &out) }
    }

    /// The text as blocks: each paragraph, list item, heading or cell on its own line.
    var blockText: String {
        var lines: [String] = []
        var current = ""
        appendBlocks(lines: &lines, current: &current)
        let last = HTMLText.collapse(current)
        if !last.isEmpty { lines.append(last) }
        return lines.joined(separator: "\n")
    }

    private static let blockNames: Set<String> = [
        "p", "div", "section", "article", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tr",
        "td", "th", "dl", "dt", "dd", "details", "summary", "blockquote", "header", "footer", "figure", "main", "aside",
    ]

    private func appendBlocks(lines: inout [String], current: inout String) {
        if isText { current += textContent; return }
        guard isElement else { return }
        if name == "script" || name == "style" { return }
        if name == "br" { current += " "; return }
        let isBlock = Self.blockNames.contains(name)
        if isBlock {
            let text = HTMLText.collapse(current)
            if !text.isEmpty { lines.append(text) }
            current = ""
        }
        for child in childNodes { child.appendBlocks(lines: &lines, current: &current) }
        if isBlock {
            let text = HTMLText.collapse(current)
            if !text.isEmpty { lines.append(text) }
            current = ""
        }
    }
}

enum HTMLText {
    /// Collapses runs of white space (including no-break spaces) into one space and trims.
    static func collapse(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace {
                pendingSpace = true
            } else {
                if pendingSpace && !out.isEmpty { out.unicodeScalars.append(" ") }
                pendingSpace = false
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// A page that cannot be read at all (not a structure difference: see `TBSStructureError`).
public struct TBSPageError: Error, Sendable, CustomStringConvertible {
    public var url: String
    public var message: String
    public var description: String { "\(url): \(message)" }
}
