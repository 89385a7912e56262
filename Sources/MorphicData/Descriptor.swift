import Foundation

/// Reading and writing a file descriptor until every byte is through, retrying on
/// interruption and short transfers.
enum Descriptor {
    /// Writes all of `bytes` to `descriptor`; errors name `path`.
    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw FileError.system("cannot write \(path)", errno)
                }
                offset += written
            }
        }
    }

    /// Writes all of `bytes` at `offset` of `descriptor` (its own position untouched, so
    /// threads may write one file at once); errors name `path`.
    static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int, path: String) throws {
        var done = 0
        while done < bytes.count {
            let written = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if written < 0 {
                if errno == EINTR { continue }
                throw FileError.system("cannot write \(path)", errno)
            }
            done += written
        }
    }

    /// Fills `buffer` from `offset` of `descriptor`; false at the end of the file or on an
    /// error (what a torn file looks like to its reader).
    static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Bool {
        var done = 0
        while done < buffer.count {
            let count = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            done += count
        }
        return true
    }
}
