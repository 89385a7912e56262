import Foundation
import HTTP
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
            // A standard error nobody reads any more (its pipe's reader gone) loses the lines,
            // not the server: the throwing write, since the other one traps on EPIPE.
            try? destination?.write(contentsOf: bytes)
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

    /// Logs an answered request: the very line `info("request", …)` writes with the method
    /// (its first 20 characters), the path (its first 200), the status and the milliseconds
    /// (to a microsecond), made straight into bytes, since every request writes one and
    /// building the JSON value cost more than the rest of a cached answer.
    public func request(method: String, path: String, status: Int, milliseconds: Double) {
        var line: [UInt8] = []
        line.reserveCapacity(112 + min(path.utf8.count, 200))
        line.append(literal: #"{"time":""#)
        Timestamp.append(Date(), to: &line)
        line.append(literal: #"","level":"info","event":"request","method":"#)
        Self.appendString(method, characters: 20, to: &line)
        line.append(literal: #","path":"#)
        Self.appendString(path, characters: 200, to: &line)
        line.append(literal: #","status":"#)
        line.append(decimal: status)
        line.append(literal: #","ms":"#)
        Self.appendMilliseconds(milliseconds, to: &line)
        line.append(literal: "}\n")
        add(line)
    }

    /// `milliseconds` to a microsecond as `JSON.double` writes it: Swift's shortest form that
    /// reads back the same, null when not finite. Below a billion milliseconds that form is
    /// the integer part, a dot and the thousandths without trailing zeros (at least one
    /// digit), since no shorter decimal lies within half a step of the double there; it is
    /// written so, as Swift's general formatting cost more than the rest of the line.
    static func appendMilliseconds(_ milliseconds: Double, to line: inout [UInt8]) {
        let micro = (milliseconds * 1000).rounded()
        guard micro.sign == .plus, micro < 1e12 else {
            let rounded = micro / 1000
            if rounded.isFinite { line.append(contentsOf: String(rounded).utf8) } else { line.append(literal: "null") }
            return
        }
        let whole = Int(micro) / 1000
        var fraction = Int(micro) % 1000
        line.append(decimal: whole)
        line.append(UInt8(ascii: "."))
        var digits = 3
        while digits > 1 && fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        line.append(decimal: fraction, digits: digits)
    }

    /// `text`'s first `characters` characters as a JSON string. Printable ASCII other than a
    /// quote or backslash is copied as it is; anything else takes the JSON writer. The
    /// byte after the cut is looked at too: a non-ASCII mark there would join the last
    /// character, so the cut would not fall on a byte boundary.
    static func appendString(_ text: String, characters: Int, to line: inout [UInt8]) {
        let copied = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            for index in 0..<min(bytes.count, characters + 1) {
                let byte = bytes[index]
                guard byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") else {
                    return false
                }
            }
            line.append(UInt8(ascii: "\""))
            line.append(contentsOf: bytes.prefix(characters))
            line.append(UInt8(ascii: "\""))
            return true
        }
        if copied != true { line.append(contentsOf: JSON.string(String(text.prefix(characters))).compactBytes) }
    }

    private func append(level: String, event: String, fields: KeyValuePairs<String, JSON>) {
        var members: [JSON.Member] = [
            .init("time", .string(Timestamp.string(Date()))), .init("level", .string(level)),
            .init("event", .string(event)),
        ]
        members += fields.map { JSON.Member($0.key, $0.value) }
        var line = JSON.object(members).compactBytes
        line.append(0x0A)
        add(line)
    }

    /// Queues a whole line; a full buffer is written at once, on the log's own queue.
    private func add(_ line: [UInt8]) {
        let size = buffer.lines.withLock { buffer in
            buffer += line
            return buffer.count
        }
        // A full buffer is written at once, but on the log's own queue, not by the caller.
        if size > 1 << 16 { queue.async { [buffer] in buffer.write() } }
    }
}
