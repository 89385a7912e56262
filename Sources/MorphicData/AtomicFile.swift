/// Whole-or-nothing file writes: the bytes go to a temporary name in the same folder, are
/// flushed to disk, then renamed over the target, so a crash leaves the old file or the
/// new one, never a part.
public enum AtomicFile {
    /// Writes `bytes` to `path`, creating the parent folder when missing.
    /// With `durable` false the bytes are not flushed to disk before the rename: a crash of
    /// the process still leaves the old file or the new one, a power loss may leave neither.
    public static func write(_ bytes: [UInt8], to path: String, durable: Bool = true) throws {
        let file = try StreamingFile(path: path)
        try file.write(bytes)
        try file.commit(durable: durable)
    }
}
