import Glibc

/// A file opened for a response body, with its size taken from the open descriptor.
///
/// It is opened (and `fstat`ed) before any header is sent, so a file that cannot be opened
/// gives an error answer instead of headers with no body, and exactly ``size`` bytes are
/// sent even if the file grows or is replaced meanwhile.
public final class FileBody: Sendable {
    /// The descriptor; closed when the body is released.
    let descriptor: Int32
    /// Bytes to send: the size when it was opened.
    public let size: Int
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
            descriptor: descriptor, size: Int(info.st_size),
            modified: Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec), inode: UInt64(info.st_ino))
    }

    private init(descriptor: Int32, size: Int, modified: Int, inode: UInt64) {
        self.descriptor = descriptor
        self.size = size
        self.modified = modified
        self.inode = inode
    }

    deinit { _ = Glibc.close(descriptor) }

    /// Up to `maximum` bytes from `offset`; fewer only at the end of the file.
    func read(at offset: Int, maximum: Int) throws(Failure) -> [UInt8] {
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
