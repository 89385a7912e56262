import Glibc

/// A file opened for a response body, with its size taken from the open descriptor.
///
/// It is opened (and `fstat`ed) before any header is sent, so a file that cannot be opened
/// gives an error answer instead of headers with no body, and exactly ``size`` bytes are
/// sent even if the file grows or is replaced meanwhile.
public final class FileBody: Sendable {
    /// The open file, closed when the last body reading it is released.
    private let file: OpenFile
    /// Where the bytes to send begin in the file: 0, or the first byte of a range.
    public let start: Int
    /// Bytes to send: the size when it was opened, or the length of a range of it.
    public let size: Int
    /// The whole file's size when it was opened.
    public let fileSize: Int
    /// Last modification, in nanoseconds since the epoch: with the size and inode, a
    /// validator for the file's content.
    public let modified: Int
    /// The file's inode number.
    public let inode: UInt64

    /// Why a file could not be opened.
    public enum Failure: Error, Equatable {
        /// It does not exist or is not a regular file.
        case notFound
        /// The process is out of descriptors (EMFILE, ENFILE): worth retrying later.
        case exhausted
        /// Any other error, with the system's message.
        case failed(String)
    }

    /// Opens a regular file for reading.
    public static func open(_ path: String) throws(Failure) -> FileBody {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            switch code {
            case ENOENT, ENOTDIR, EISDIR, ELOOP, ENAMETOOLONG: throw .notFound
            case EMFILE, ENFILE: throw .exhausted
            default: throw .failed(String(cString: strerror(code)))
            }
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            _ = Glibc.close(descriptor)
            throw .notFound
        }
        return FileBody(
            file: OpenFile(descriptor: descriptor), start: 0, size: Int(info.st_size), fileSize: Int(info.st_size),
            modified: Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec), inode: UInt64(info.st_ino))
    }

    private init(file: OpenFile, start: Int, size: Int, fileSize: Int, modified: Int, inode: UInt64) {
        self.file = file
        self.start = start
        self.size = size
        self.fileSize = fileSize
        self.modified = modified
        self.inode = inode
    }

    /// The bytes `range` of the whole file (as it was opened), read from the same
    /// descriptor: the body of a 206 answer. `range` must lie within ``fileSize``.
    public func slice(_ range: Range<Int>) -> FileBody {
        precondition(range.lowerBound >= 0 && range.upperBound <= fileSize, "a slice lies within the file")
        return FileBody(
            file: file, start: range.lowerBound, size: range.count, fileSize: fileSize, modified: modified, inode: inode)
    }

    /// Owns the descriptor, so a body and its slices share one and it is closed once.
    private final class OpenFile: Sendable {
        let descriptor: Int32
        init(descriptor: Int32) { self.descriptor = descriptor }
        deinit { _ = Glibc.close(descriptor) }
    }

    /// Up to `maximum` bytes from `offset` (counted from ``start``); fewer only at the end of the file.
    func read(at offset: Int, maximum: Int) throws(Failure) -> [UInt8] {
        let descriptor = file.descriptor
        let offset = start + offset
        var bytes = [UInt8](repeating: 0, count: maximum)
        var filled = 0
        while filled < maximum {
            let count = bytes.withUnsafeMutableBytes {
                pread(descriptor, $0.baseAddress! + filled, maximum - filled, off_t(offset + filled))
            }
            if count > 0 {
                filled += count
            } else if count == 0 {
                break
            } else if errno != EINTR {
                throw .failed(String(cString: strerror(errno)))
            }
        }
        bytes.removeLast(maximum - filled)
        return bytes
    }
}
