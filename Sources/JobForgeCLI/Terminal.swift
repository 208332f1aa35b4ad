import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Terminal output: progress only when stderr is a terminal, so pipes and CI logs stay clean.
public enum Terminal {
    public static let stderrIsTerminal: Bool = isatty(STDERR_FILENO) != 0

    public static func printError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    /// Writes a string to standard output without a trailing newline.
    public static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    public static func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(value)
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }
}

/// A one-line progress display on stderr (`label  123/900`), shown only on a terminal
/// and only once a step has run for more than a second.
public final class ProgressLine: @unchecked Sendable {
    private let label: String
    private let total: Int?
    private let started = Date()
    private var lastDraw = Date.distantPast
    private var shown = false
    private let lock = NSLock()
    private let enabled: Bool

    public init(_ label: String, total: Int? = nil, enabled: Bool = Terminal.stderrIsTerminal) {
        self.label = label
        self.total = total
        self.enabled = enabled
    }

    public func update(_ done: Int, detail: String = "") {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(started) > 1, now.timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = now
        shown = true
        let count = total.map { "\(done)/\($0)" } ?? "\(done)"
        FileHandle.standardError.write(Data("\r\u{1B}[2K\(label)  \(count)  \(detail)".utf8))
    }

    public func finish() {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
    }
}
