import CZlib

/// CRC-32 (the checksum of gzip and zip) on zlib's implementation.
public enum CRC32 {
    /// The CRC-32 of `bytes`.
    public static func of(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(CZlib.crc32(0, $0.baseAddress, UInt32($0.count))) }
    }
}
