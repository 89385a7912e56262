/// Whole-or-nothing file writes: the bytes go to a temporary name in the same folder, are
/// flushed to disk, then renamed over the target, so a crash leaves the old file or the
/// new one, never a part.
public enum AtomicFile {
    /// Writes `bytes` to `path`, creating the parent folder when missing.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let file = try StreamingFile(path: path)
        try file.write(bytes)
        try file.commit()
    }
}
