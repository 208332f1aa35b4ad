import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A command that failed while running, for a reason in the data, the files or the store (not in
/// the command line): `Error: <message>` on stderr and exit status 1, without the usage banner
/// that ArgumentParser prints for a usage error (status 64).
public struct CommandFailure: Error, CustomStringConvertible, LocalizedError {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
    public var errorDescription: String? { message }

    /// What the user sees of an error thrown by a command's `run()`. A `ValidationError` there
    /// is about the data (an unknown title, an empty store), not the command line, so it loses
    /// the usage banner; a Foundation file error becomes one line with the path and the reason.
    /// Anything else passes unchanged (ArgumentParser's own `help` and `--version` requests
    /// arrive here too, from its internal commands).
    static func fromRun(_ error: any Error) -> any Error {
        if let validation = error as? ValidationError { return CommandFailure(validation.message) }
        if isFileError(error) { return CommandFailure(describe(error)) }
        return error
    }

    /// A Foundation file error (`NSCocoaErrorDomain`) or a bare errno.
    static func isFileError(_ error: any Error) -> Bool {
        if error is CocoaError || error is POSIXError { return true }
        let domain = (error as NSError).domain
        return domain == NSCocoaErrorDomain || domain == NSPOSIXErrorDomain
    }

    /// One line for any error: a file error names its path and the system's reason
    /// (`cannot write /x/out: Permission denied`) instead of an NSError dump.
    static func describe(_ error: any Error) -> String {
        if let failure = error as? CommandFailure { return failure.message }
        if let validation = error as? ValidationError { return validation.message }
        let nsError = error as NSError
        guard nsError.domain == NSCocoaErrorDomain || nsError.domain == NSPOSIXErrorDomain else {
            return String(describing: error)
        }
        let path = (nsError.userInfo[NSFilePathErrorKey] as? String)
            ?? (nsError.userInfo[NSURLErrorKey] as? URL)?.path
        let reason = fileErrorReason(nsError)
        guard let path else { return reason }
        switch nsError.code {
        case CocoaError.Code.fileReadUnknown.rawValue..<CocoaError.Code.fileWriteUnknown.rawValue
            where nsError.domain == NSCocoaErrorDomain:
            return "cannot read \(path): \(reason)"
        case CocoaError.Code.fileWriteUnknown.rawValue...CocoaError.Code.fileWriteVolumeReadOnly.rawValue
            where nsError.domain == NSCocoaErrorDomain:
            return "cannot write \(path): \(reason)"
        default:
            return "\(path): \(reason)"
        }
    }

    /// The errno of an underlying error, however Foundation stored it (NSError or POSIXError).
    static func posixCode(_ underlying: Any?) -> Int32? {
        if let posix = underlying as? POSIXError { return posix.code.rawValue }
        if let error = underlying as? any Error {
            let nsError = error as NSError
            if nsError.domain == NSPOSIXErrorDomain { return Int32(nsError.code) }
        }
        return nil
    }

    /// The system's reason (`No such file or directory`) when the error carries an errno.
    static func fileErrorReason(_ error: NSError) -> String {
        if error.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(error.code))) }
        if let code = posixCode(error.userInfo[NSUnderlyingErrorKey]) {
            return String(cString: strerror(code))
        }
        switch CocoaError.Code(rawValue: error.code) {
        case .fileNoSuchFile, .fileReadNoSuchFile: return String(cString: strerror(ENOENT))
        case .fileReadNoPermission, .fileWriteNoPermission: return String(cString: strerror(EACCES))
        case .fileWriteOutOfSpace: return String(cString: strerror(ENOSPC))
        case .fileWriteVolumeReadOnly: return String(cString: strerror(EROFS))
        case .fileWriteFileExists: return String(cString: strerror(EEXIST))
        default:
            return error.localizedDescription.replacingOccurrences(of: "\n", with: " ")
        }
    }
}
