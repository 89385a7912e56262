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
}
