import Foundation

/// A response body produced in chunks, so large files are never loaded whole.
public protocol BodySource: AnyObject {
    /// The next chunk of at most `maximum` bytes; empty at the end.
    func read(maximum: Int) throws -> [UInt8]
}

/// Reads a file in chunks.
public final class FileBodySource: BodySource {
    private let handle: FileHandle

    /// Opens `path`; nil when it cannot be read.
    public init?(path: String) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        self.handle = handle
    }

    deinit { try? handle.close() }

    /// The next chunk of the file; empty at its end.
    public func read(maximum: Int) throws -> [UInt8] {
        Array(try handle.read(upToCount: maximum) ?? Data())
    }
}
