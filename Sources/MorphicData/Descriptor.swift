import Foundation

/// Writing to a file descriptor until every byte is written.
enum Descriptor {
    /// Writes all of `bytes` to `descriptor`, retrying on interruption and short writes;
    /// errors name `path`.
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
}
