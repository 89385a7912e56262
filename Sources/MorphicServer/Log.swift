import Foundation
import MorphicData
import Synchronization

/// Structured logs: one JSON object a line on standard error. Lines are buffered and
/// written a few times a second, so logging every request costs no system call per request.
///
/// `@unchecked`: the timer is set up in `init` and only cancelled in `deinit`.
public final class Log: @unchecked Sendable {
    private let buffer: Buffer
    private let timer: DispatchSourceTimer
    /// Where lines are written: never the thread that logs, which may be an event loop.
    private let queue = DispatchQueue(label: "log")

    /// The pending lines, shared with the flushing timer.
    private final class Buffer: Sendable {
        let lines = Mutex<[UInt8]>([])
        let destination: FileHandle?

        init(destination: FileHandle?) { self.destination = destination }

        func write() {
            let bytes = lines.withLock { lines in
                let taken = lines
                lines.removeAll(keepingCapacity: true)
                return taken
            }
            guard !bytes.isEmpty else { return }
            destination?.write(Data(bytes))
        }
    }

    /// Starts a log that flushes to `destination` (standard error; nil discards) every 0.2 s.
    public init(destination: FileHandle? = .standardError) {
        buffer = Buffer(destination: destination)
        timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + 0.2, repeating: 0.2)
        timer.setEventHandler { [buffer] in buffer.write() }
        timer.resume()
    }

    deinit { timer.cancel() }

    /// Logs an event with its fields, after `time`, `level` and `event`.
    public func info(_ event: String, _ fields: KeyValuePairs<String, JSON> = [:]) {
        append(level: "info", event: event, fields: fields)
    }

    /// Logs a problem.
    public func error(_ event: String, _ fields: KeyValuePairs<String, JSON> = [:]) {
        append(level: "error", event: event, fields: fields)
    }

    /// Writes everything buffered now.
    public func flush() { buffer.write() }

    private func append(level: String, event: String, fields: KeyValuePairs<String, JSON>) {
        var members: [JSON.Member] = [
            .init("time", .string(Timestamp.string(Date()))), .init("level", .string(level)),
            .init("event", .string(event)),
        ]
        members += fields.map { JSON.Member($0.key, $0.value) }
        var line = JSON.object(members).compactBytes
        line.append(0x0A)
        let size = buffer.lines.withLock { buffer in
            buffer += line
            return buffer.count
        }
        // A full buffer is written at once, but on the log's own queue, not by the caller.
        if size > 1 << 16 { queue.async { [buffer] in buffer.write() } }
    }
}
