import Foundation

/// Whole-or-nothing file writes: the bytes go to a temporary name in the same folder, are
/// flushed to disk, then renamed over the target, so a crash leaves the old file or the
/// new one, never a part.
public enum AtomicFile {
    /// Writes `bytes` to `path`, creating the parent folder when missing.
    public static func write(_ bytes: some Collection<UInt8>, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let temporary = folder + "/." + url.lastPathComponent + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileError.system("cannot create \(temporary)", errno) }
        var failure: Int32 = 0
        Array(bytes).withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += written
            }
        }
        if failure == 0 && fsync(descriptor) != 0 { failure = errno }
        close(descriptor)
        guard failure == 0, rename(temporary, path) == 0 else {
            let code = failure != 0 ? failure : errno
            unlink(temporary)
            throw FileError.system("cannot write \(path)", code)
        }
    }

    /// Writes `text` as UTF-8.
    public static func write(text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }
}
