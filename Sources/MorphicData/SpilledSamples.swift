import Foundation

/// Samples too many to hold, each a value and two codes, kept in an unlinked temporary file
/// and read back in ascending order of their values by an external merge sort: what ranking
/// a million runs' influence needs, in two megabytes whatever the number of runs.
final class SpilledSamples {
    /// A value and the codes of the two variables it is paired with.
    struct Sample {
        var value: Double
        var first: UInt32
        var second: UInt32
    }

    /// Samples sorted in memory before they are written as one sorted run of the file.
    static let runLength = 1 << 16
    /// Samples buffered while merging, shared among the runs (at least 256 each).
    static let mergeBuffer = 1 << 16

    private let descriptor: Int32
    private var pending: [Sample] = []
    private var runs: [(start: Int, count: Int)] = []
    private var end = 0

    /// Creates the file in `directory` and unlinks it at once, so nothing is left behind.
    init(directory: String) throws {
        var template = Array((directory + "/.samples-XXXXXX").utf8CString)
        descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw FileError.system("cannot create a temporary file in \(directory)", errno) }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        pending.reserveCapacity(Self.runLength)
    }

    deinit { close(descriptor) }

    /// Adds a sample.
    func append(_ sample: Sample) throws {
        pending.append(sample)
        if pending.count == Self.runLength { try writeRun() }
    }

    private func writeRun() throws {
        guard !pending.isEmpty else { return }
        pending.sort { $0.value < $1.value }
        try pending.withUnsafeBytes { try Descriptor.writeAll(descriptor, $0, at: end, path: "a temporary file") }
        runs.append((end, pending.count))
        end += pending.count * MemoryLayout<Sample>.stride
        pending.removeAll(keepingCapacity: true)
    }

    /// Calls `body` with every sample, in ascending order of value (ties in any order).
    func forEachAscending(_ body: (Sample) -> Void) throws {
        try writeRun()
        let stride = MemoryLayout<Sample>.stride
        let readLength = max(256, Self.mergeBuffer / max(1, runs.count))
        var buffers = runs.map { _ in [Sample]() }
        var positions = runs.map { _ in 0 }
        var read = runs.map { _ in 0 }
        func refill(_ run: Int) throws {
            let count = min(readLength, runs[run].count - read[run])
            var samples = [Sample](repeating: Sample(value: 0, first: 0, second: 0), count: count)
            let offset = runs[run].start + read[run] * stride
            guard samples.withUnsafeMutableBytes({ Descriptor.read(descriptor, into: $0, at: offset) }) else {
                throw FileError.system("cannot read a temporary file", errno)
            }
            buffers[run] = samples
            positions[run] = 0
            read[run] += count
        }
        for run in runs.indices { try refill(run) }
        while true {
            // Runs are few (16 for a million samples): the smallest head is found by a scan.
            var smallest: Int?
            for run in runs.indices where positions[run] < buffers[run].count {
                if smallest == nil || buffers[run][positions[run]].value < buffers[smallest!][positions[smallest!]].value {
                    smallest = run
                }
            }
            guard let run = smallest else { return }
            body(buffers[run][positions[run]])
            positions[run] += 1
            if positions[run] == buffers[run].count && read[run] < runs[run].count { try refill(run) }
        }
    }
}
