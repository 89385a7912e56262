import Foundation

/// A failed file operation, saying which file and why.
public enum FileError: Error, CustomStringConvertible {
    /// A system call failed with `errno`.
    case system(String, Int32)
    /// A file's content is not what it should be.
    case invalid(String)

    /// What failed, for a person.
    public var description: String {
        switch self {
        case .system(let what, let code): "\(what): \(String(cString: strerror(code)))"
        case .invalid(let what): what
        }
    }

    /// `error` for a person: Foundation's file errors as the file and the system's reason
    /// (`…/records: Not a directory`), not their domain, code and user-info dump; others as
    /// they describe themselves.
    public static func message(of error: any Error) -> String {
        guard let cocoa = error as? CocoaError, let path = cocoa.filePath ?? cocoa.url?.path else {
            return String(describing: error)
        }
        if let underlying = cocoa.underlying as? POSIXError {
            return path + ": " + String(cString: strerror(underlying.code.rawValue))
        }
        if let underlying = (cocoa as NSError).userInfo[NSUnderlyingErrorKey] as? NSError,
            underlying.domain == NSPOSIXErrorDomain
        {
            return path + ": " + String(cString: strerror(Int32(underlying.code)))
        }
        return path + ": " + (cocoa.isFileError ? "file error \(cocoa.code.rawValue)" : String(describing: error))
    }
}
