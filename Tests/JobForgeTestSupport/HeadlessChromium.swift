import Foundation

/// The real browser, headless: the DOM it rendered (scripts run) and what the page logged to
/// its console. `chromium` from apt (`.ci/run` installs it).
public enum HeadlessChromium {
    public struct Page: Sendable {
        /// The DOM after the page's scripts ran, serialized.
        public var dom: String
        /// The console lines (`"Uncaught Error: ...", source: ...`): errors and anything logged.
        public var consoleLines: [String]
    }

    public static var executable: URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":").map(String.init) + ["/usr/bin", "/snap/bin"] {
            for name in ["chromium", "chromium-browser", "google-chrome"] {
                let url = URL(fileURLWithPath: folder).appendingPathComponent(name)
                if FileManager.default.isExecutableFile(atPath: url.path) { return url }
            }
        }
        return nil
    }

    /// Loads `url` (a `file://` page or a served one) and returns the rendered DOM and the console.
    public static func load(_ url: String, timeout: TimeInterval = 120) throws -> Page {
        let (out, err) = try run(["--enable-logging=stderr", "--v=0", "--dump-dom", url], timeout: timeout)
        let console = err.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
        return Page(dom: out, consoleLines: console)
    }

    /// Saves a PNG of `url` at `width` x `height`.
    public static func screenshot(_ url: String, to file: URL, width: Int = 1280, height: Int = 1800, timeout: TimeInterval = 120) throws {
        _ = try run(["--hide-scrollbars", "--window-size=\(width),\(height)", "--screenshot=\(file.path)", url], timeout: timeout)
    }

    static func run(_ arguments: [String], timeout: TimeInterval) throws -> (String, String) {
        guard let executable else {
            throw BrowserFailure("no chromium on PATH: install it (`apt-get install chromium`; .ci/run does)")
        }
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("jobforge-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let process = Process()
        process.executableURL = executable
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile.path)"] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
        // Both pipes drained at once so that neither can fill and block the browser.
        nonisolated(unsafe) var stderr = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            stderr = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        killer.cancel()
        guard process.terminationReason == .exit else { throw BrowserFailure("chromium did not finish within \(Int(timeout)) s") }
        return (String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }
}

/// The `data-` attributes of a rendered page's elements, for tests that read numbers off a page.
public struct DOMElements: Sendable {
    public struct Element: Sendable {
        public var tag: String
        public var attributes: [String: String]
        /// The element's text up to its first child tag's end (`<td data-n="3">3</td>` -> `3`).
        public var text: String
    }

    public var elements: [Element]

    /// Every element that has at least one `data-` attribute, in document order.
    public init(_ page: String) {
        // Script text is not the page's elements (the sheet's template has `<tr data-...` in it).
        let html = page.replacingOccurrences(of: #"<script\b[^>]*>[\s\S]*?</script>"#, with: "<script></script>", options: .regularExpression)
        var found: [Element] = []
        let tag = try! NSRegularExpression(pattern: #"<([a-zA-Z0-9]+)((?:\s+[a-zA-Z-]+(?:="[^"]*")?)*)\s*>([^<]*)"#)
        let attribute = try! NSRegularExpression(pattern: #"([a-zA-Z-]+)(?:="([^"]*)")?"#)
        let text = html as NSString
        for match in tag.matches(in: html, range: NSRange(location: 0, length: text.length)) {
            let attributesText = text.substring(with: match.range(at: 2))
            guard attributesText.contains("data-") else { continue }
            var attributes: [String: String] = [:]
            let nsAttributes = attributesText as NSString
            for pair in attribute.matches(in: attributesText, range: NSRange(location: 0, length: nsAttributes.length)) {
                let name = nsAttributes.substring(with: pair.range(at: 1))
                let value = pair.range(at: 2).location == NSNotFound ? "" : nsAttributes.substring(with: pair.range(at: 2))
                attributes[name] = Self.unescape(value)
            }
            found.append(Element(tag: text.substring(with: match.range(at: 1)), attributes: attributes,
                                 text: Self.unescape(text.substring(with: match.range(at: 3)))))
        }
        elements = found
    }

    /// The elements having `name` (with `value` if given).
    public func with(_ name: String, _ value: String? = nil) -> [Element] {
        elements.filter { element in element.attributes[name].map { value == nil || $0 == value } ?? false }
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&nbsp;", with: "\u{00A0}").replacingOccurrences(of: "&amp;", with: "&")
    }
}

/// Why the browser could not load a page (not installed, hung).
public struct BrowserFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
