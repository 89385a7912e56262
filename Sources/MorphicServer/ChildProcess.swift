import Foundation
import Glibc

/// Runs an external command with a deadline, as swift-subprocess does: the child gets its
/// own process group, both its pipes are read together (so a chatty stderr cannot block
/// it), each is kept to `outputLimit` bytes, and at the deadline the whole group gets
/// SIGTERM, then SIGKILL after `grace`.
enum ChildProcess {
    /// What a finished command gave.
    struct Output: Sendable {
        /// Its exit status (128 + signal when a signal ended it).
        let status: Int32
        /// Standard output, at most the limit.
        let output: String
        /// Standard error, at most the limit.
        let errors: String
    }

    /// Why a command gave no output.
    enum Failure: Error, CustomStringConvertible, Equatable {
        /// It could not be started (not found, not executable).
        case cannotStart(String, reason: String)
        /// It did not finish in time and was stopped.
        case timedOut(String, seconds: Double)

        var description: String {
            switch self {
            case .cannotStart(let command, let reason): "cannot run \(command): \(reason)"
            case .timedOut(let command, let seconds): "\(command) did not finish within \(Int(seconds.rounded(.up))) s"
            }
        }
    }

    /// Runs `arguments` (the first found on PATH) and waits at most `timeout` seconds.
    static func run(
        _ arguments: [String], timeout: Double, grace: Double = 2, outputLimit: Int = 1 << 20
    ) throws(Failure) -> Output {
        let command = arguments.first ?? ""
        var outputPipe: [Int32] = [0, 0]
        var errorPipe: [Int32] = [0, 0]
        guard pipe(&outputPipe) == 0 else { throw .cannotStart(command, reason: "no pipe") }
        guard pipe(&errorPipe) == 0 else {
            close(outputPipe[0])
            close(outputPipe[1])
            throw .cannotStart(command, reason: "no pipe")
        }
        // Kept from other children; the spawned one gets copies as its stdout and stderr.
        for descriptor in outputPipe + errorPipe { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own group, so a timeout stops the command and anything it started.
        // And signals as a fresh process has them: the server blocks SIGTERM and SIGINT (it
        // waits for them) and ignores SIGPIPE, and a child would inherit both.
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signalNumber in [SIGTERM, SIGINT, SIGPIPE] { sigaddset(&defaults, signalNumber) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, command, &actions, &attributes, argv, environ)
        close(outputPipe[1])
        close(errorPipe[1])
        guard spawned == 0 else {
            close(outputPipe[0])
            close(errorPipe[0])
            throw .cannotStart(command, reason: String(cString: strerror(spawned)))
        }
        var streams = [Stream(descriptor: outputPipe[0]), Stream(descriptor: errorPipe[0])]
        defer { for stream in streams { close(stream.descriptor) } }
        let start = Self.now()
        var signalled: (term: Double?, kill: Bool) = (nil, false)
        while streams.contains(where: { $0.open }) {
            let now = Self.now()
            if now - start >= timeout && signalled.term == nil {
                kill(-pid, SIGTERM)
                signalled.term = now
            }
            if let term = signalled.term, now - term >= grace, !signalled.kill {
                kill(-pid, SIGKILL)
                signalled.kill = true
            }
            let wait = signalled.term.map { max(0, grace - (now - $0)) } ?? max(0, timeout - (now - start))
            var polled = streams.filter(\.open).map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&polled, nfds_t(polled.count), Int32(min(wait, 1) * 1000) + 1)
            if ready < 0 && errno != EINTR { break }
            for entry in polled where entry.revents != 0 {
                guard let index = streams.firstIndex(where: { $0.descriptor == entry.fd }) else { continue }
                streams[index].read(limit: outputLimit)
            }
            if signalled.kill && now - (signalled.term ?? now) > grace + 2 { break }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if signalled.term != nil { throw .timedOut(command, seconds: timeout) }
        let code = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return Output(status: code, output: streams[0].text, errors: streams[1].text)
    }

    /// One pipe being read.
    private struct Stream {
        let descriptor: Int32
        var bytes: [UInt8] = []
        var open = true

        init(descriptor: Int32) { self.descriptor = descriptor }

        var text: String { String(decoding: bytes, as: UTF8.self) }

        mutating func read(limit: Int) {
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                // Past the limit the output is read and dropped, so the child never blocks.
                bytes += chunk[0..<min(count, max(0, limit - bytes.count))]
            } else if count == 0 || errno != EINTR && errno != EAGAIN {
                open = false
            }
        }
    }

    private static func now() -> Double { ProcessInfo.processInfo.systemUptime }
}
