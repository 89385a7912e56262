import Foundation
import Synchronization

/// A file written in pieces under a temporary name and renamed into place by ``commit()``,
/// so readers never see a partial file; dropped uncommitted, it removes itself.
public final class StreamingFile {
    /// Where the file will appear.
    public let path: String
    private let temporary: String
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    /// Bytes written so far.
    public private(set) var size = 0

    /// Creates the temporary file next to `path`.
    public init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        temporary = folder + "/" + Self.temporaryName(for: url.lastPathComponent)
        descriptor = try Self.create(temporary, flags: O_WRONLY, mode: 0o644, keepsName: true)
        buffer.reserveCapacity(1 << 16)
    }

    /// The temporaries of this process's files not yet committed or dropped, and whether
    /// they are being removed.
    private struct Temporaries {
        var names: Set<String> = []
        var removing = false
    }
    private static let temporaries = Mutex(Temporaries())

    /// Creates `temporary` (truncated, opened with `flags`), listed among this process's
    /// temporaries when it `keepsName`, else unlinked at once (a file known by its
    /// descriptor alone). Created and listed, or unlinked, under the list's lock, so that
    /// ``removeTemporaries()`` misses none; refused once they are being removed.
    static func create(_ temporary: String, flags: Int32, mode: mode_t, keepsName: Bool) throws -> Int32 {
        let (descriptor, code) = temporaries.withLock { list -> (Int32, Int32) in
            guard !list.removing else { return (-1, EINTR) }
            let descriptor = open(temporary, flags | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
            guard descriptor >= 0 else { return (-1, errno) }
            if keepsName { list.names.insert(temporary) } else { unlink(temporary) }
            return (descriptor, 0)
        }
        guard descriptor >= 0 else { throw FileError.system("cannot create \(temporary)", code) }
        return descriptor
    }

    /// Removes the temporary of every file this process has not yet committed, and refuses
    /// to make more: what a command stopped by a signal does before it dies, so that it
    /// leaves no hidden file (each would otherwise stay until a later run over its folder
    /// found its writer gone).
    public static func removeTemporaries() {
        let names = temporaries.withLock { list in
            list.removing = true
            return list.names
        }
        for name in names { unlink(name) }
    }

    /// The hidden name a file called `name` is written under before its rename. Host and
    /// pid name the writer, so a cleaner can tell whether it is gone (a task on another node
    /// writing into shared storage is not): see ``isAbandonedTemporary(_:)``. A number of its
    /// own sets each apart from the others of this process: two threads writing one file at
    /// once (truncating and renaming one temporary) made one of them fail, and could have
    /// put one's bytes under the other's name.
    static func temporaryName(for name: String) -> String {
        "." + name + "." + String(written.add(1, ordering: .relaxed).newValue) + ".tmp-" + writer
    }

    /// Temporary files named so far by this process.
    private static let written = Atomic<Int>(0)

    /// `host-pid` of this process.
    static let writer: String = {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, 255)
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "-\(getpid())"
    }()

    /// Whether `name` is a temporary file whose writer is provably gone: a process of this
    /// host that no longer exists, or has exited and waits only for its parent to read its
    /// status (a zombie: a server killed with `kill -9` whose shell has not reaped it is one
    /// while the next server starts). Files of other hosts, or of live processes, are not.
    public static func isAbandonedTemporary(_ name: String) -> Bool {
        guard name.hasPrefix("."), let marker = name.range(of: ".tmp-", options: .backwards) else { return false }
        let writer = name[marker.upperBound...]
        guard let dash = writer.lastIndex(of: "-"), let pid = Int32(writer[writer.index(after: dash)...]) else {
            return false
        }
        let host = String(writer[..<dash])
        guard host + "-\(pid)" != Self.writer, host == String(Self.writer[..<Self.writer.lastIndex(of: "-")!]) else {
            return false
        }
        return (kill(pid, 0) != 0 && errno == ESRCH) || isZombie(pid)
    }

    /// Whether process `pid` has exited and is not yet reaped (its state in /proc is `Z`).
    static func isZombie(_ pid: Int32) -> Bool {
        guard let stat = FileManager.default.contents(atPath: "/proc/\(pid)/stat"),
            let close = stat.lastIndex(of: UInt8(ascii: ")")), close + 2 < stat.count
        else { return false }
        // `pid (name) S …`: the name may hold spaces and parentheses, the state follows the last.
        return stat[close + 2] == UInt8(ascii: "Z")
    }

    deinit {
        if descriptor >= 0 {
            close(descriptor)
            unlink(temporary)
        }
        Self.temporaries.withLock { _ = $0.names.remove(temporary) }
    }

    /// Appends bytes.
    public func write(_ bytes: [UInt8]) throws {
        size += bytes.count
        buffer += bytes
        if buffer.count >= 1 << 16 { try flush() }
    }

    /// Appends UTF-8 text.
    public func write(_ text: String) throws { try write(Array(text.utf8)) }

    private func flush() throws {
        try Descriptor.writeAll(descriptor, buffer, path: temporary)
        buffer.removeAll(keepingCapacity: true)
    }

    /// The bytes written so far, opened for reading from their start: what a reader takes
    /// before ``commit()``, whose flush and rename the open file outlives.
    public func reader() throws -> FileHandle {
        try flush()
        guard let handle = FileHandle(forReadingAtPath: temporary) else {
            throw FileError.invalid("cannot read \(temporary)")
        }
        return handle
    }

    /// Flushes to disk and renames the file into place.
    public func commit() throws {
        try flush()
        guard fsync(descriptor) == 0 else { throw FileError.system("cannot flush \(temporary)", errno) }
        close(descriptor)
        descriptor = -1
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw FileError.system("cannot write \(path)", code)
        }
    }
}
