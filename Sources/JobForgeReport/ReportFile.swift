import Foundation

/// The report's file, written as the page is made (``HTMLReport/write(sheets:to:)``) a megabyte at
/// a time, beside its destination, and moved into place by ``finish()``: a reader never sees half
/// a page, and a page of 20,000 sheets is never held in memory.
///
/// A write that fails is kept and thrown by ``finish()`` (a `TextOutputStream` cannot throw);
/// what follows it is dropped.
public struct ReportFile: TextOutputStream {
    public let path: String
    private let partial: String
    private let handle: FileHandle
    private var buffer = Data()
    private var failure: (any Error)?
    /// Bytes written so far.
    public private(set) var size = 0

    public init(path: String) throws {
        self.path = path
        partial = path + ".partial"
        guard FileManager.default.createFile(atPath: partial, contents: nil) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: partial])
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: partial))
    }

    public mutating func write(_ string: String) {
        guard failure == nil else { return }
        buffer.append(contentsOf: string.utf8)
        size += string.utf8.count
        if buffer.count >= 1 << 20 { flush() }
    }

    private mutating func flush() {
        do {
            try handle.write(contentsOf: buffer)
        } catch {
            failure = error
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is left and puts the file in place; throws the first write that failed.
    public mutating func finish() throws {
        flush()
        try? handle.close()
        if let failure {
            try? FileManager.default.removeItem(atPath: partial)
            throw failure
        }
        guard rename(partial, path) == 0 else {
            let code = POSIXErrorCode(rawValue: errno) ?? .EIO
            try? FileManager.default.removeItem(atPath: partial)
            throw POSIXError(code)
        }
    }

    /// Drops the partial file (the report failed before it was finished).
    public func discard() {
        try? handle.close()
        try? FileManager.default.removeItem(atPath: partial)
    }
}
