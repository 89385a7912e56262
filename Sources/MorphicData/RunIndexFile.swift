import Foundation

/// A finished sweep's summary statistics as one binary file, `runs-index.bin` in the server's
/// sweep folder, written while the dataset is assembled, so that a cold ``RunIndex`` is one
/// read of a file rather than a parse of every run's record (a million records take seconds;
/// the file, well under one).
///
/// Layout, little-endian: the magic `MRIX1\n`; the run count and the statistic count
/// (UInt64 each); the sweep id's length (UInt64) and UTF-8 bytes; then per run, in the
/// definition's order, its statistics in ``RunQuery/statistics`` order as Float64 (NaN for
/// null, or for a failed run); then one byte per run, 1 for finished and 2 for failed.
///
/// The file is the folder's, not the dataset's: it is not in the archive. The server's
/// assembler, `morphic sweep` and `morphic merge` write it alike, so a folder made on the
/// command line and served afterwards has it too.
public enum RunIndexFile {
    /// The file's name in a sweep folder.
    public static let fileName = "runs-index.bin"
    private static let magic = Array("MRIX1\n".utf8)

    /// A run's state in the file and in ``RunIndex``.
    public enum State: UInt8, Sendable {
        case unknown = 0
        case finished = 1
        case failed = 2
    }

    /// The file's path in `folder`.
    public static func path(in folder: SweepFolder) -> String { folder.path + "/" + fileName }

    /// Removes the file, when the runs it describes are about to change (a retry).
    public static func remove(from folder: SweepFolder) { unlink(path(in: folder)) }

    /// Writes the file run after run, in the definition's order; it appears at ``commit()``.
    public final class Writer {
        private let file: StreamingFile
        private let count: Int
        private var states: [UInt8] = []
        private var row: [UInt8] = []

        /// Starts the file of `count` runs of sweep `sweepID` in `folder`.
        public init(folder: SweepFolder, sweepID: String, count: Int) throws {
            file = try StreamingFile(path: RunIndexFile.path(in: folder))
            self.count = count
            states.reserveCapacity(count)
            var header = RunIndexFile.magic
            header.le64(count)
            header.le64(RunQuery.statistics.count)
            header.le64(sweepID.utf8.count)
            header += Array(sweepID.utf8)
            try file.write(header)
        }

        /// Appends the next run: its statistics, or nil for a failed run.
        public func add(_ statistics: [Double]?) throws {
            row.removeAll(keepingCapacity: true)
            for position in RunQuery.statistics.indices {
                row.le64(Int(bitPattern: UInt(statistics?[position].bitPattern ?? Double.nan.bitPattern)))
            }
            states.append(statistics == nil ? State.failed.rawValue : State.finished.rawValue)
            try file.write(row)
        }

        /// Writes the states and puts the file in place; refused unless every run was added.
        public func commit() throws {
            guard states.count == count else {
                throw FileError.invalid("the runs index holds \(states.count) of \(count) runs")
            }
            try file.write(states)
            try file.commit()
        }
    }

    /// Reads the file of sweep `sweepID`'s `count` runs in `folder`: hands `rows` the
    /// statistics a few thousand runs at a time (the first run's index, then per run its
    /// statistics in ``RunQuery/statistics`` order), so the file is never held whole, and
    /// returns every run's state. Nil when there is no file, or it is not a whole file of
    /// that sweep (checked before any row is handed over), or it cannot be read to its end.
    public static func read(
        folder: SweepFolder, sweepID: String, count: Int, rows: (Int, UnsafeBufferPointer<Double>) -> Void
    ) -> [UInt8]? {
        guard let handle = FileHandle(forReadingAtPath: path(in: folder)) else { return nil }
        defer { try? handle.close() }
        let width = RunQuery.statistics.count
        let id = Array(sweepID.utf8)
        let headerSize = magic.count + 24 + id.count
        let statesAt = UInt64(headerSize + count * width * 8)
        guard let size = try? handle.seekToEnd(), size == statesAt + UInt64(count),
            (try? handle.seek(toOffset: 0)) != nil, let header = try? handle.read(upToCount: headerSize).map(Array.init),
            header.count == headerSize, Array(header[0..<magic.count]) == magic,
            header.le64(at: magic.count) == count, header.le64(at: magic.count + 8) == width,
            header.le64(at: magic.count + 16) == id.count, Array(header[(magic.count + 24)...]) == id,
            (try? handle.seek(toOffset: statesAt)) != nil,
            let states = try? handle.read(upToCount: count).map(Array.init), states.count == count,
            states.allSatisfy({ $0 == State.finished.rawValue || $0 == State.failed.rawValue }),
            (try? handle.seek(toOffset: UInt64(headerSize))) != nil
        else { return nil }
        let chunkRuns = 4096
        var values = [Double](repeating: 0, count: chunkRuns * width)
        var done = 0
        while done < count {
            let runs = min(chunkRuns, count - done)
            guard let chunk = try? handle.read(upToCount: runs * width * 8), chunk.count == runs * width * 8 else {
                return nil
            }
            chunk.withUnsafeBytes { raw in
                for position in 0..<runs * width {
                    let bits = raw.loadUnaligned(fromByteOffset: position * 8, as: UInt64.self)
                    values[position] = Double(bitPattern: UInt64(littleEndian: bits))
                }
            }
            values.withUnsafeBufferPointer { rows(done, UnsafeBufferPointer(rebasing: $0[0..<runs * width])) }
            done += runs
        }
        return states
    }
}

extension [UInt8] {
    fileprivate func le64(at offset: Int) -> Int {
        Int(truncatingIfNeeded: (0..<8).reduce(UInt64(0)) { $0 | UInt64(self[offset + $1]) << (8 * UInt64($1)) })
    }
}
