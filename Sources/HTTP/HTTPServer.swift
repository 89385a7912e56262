import Foundation
import Synchronization

/// An HTTP/1.1 server: one event loop thread per core sharing a listening socket, each
/// answering its connections with `handler`.
///
/// The handler runs on the loop's thread and must be quick: it answers from memory or
/// names a file to stream, and hands long work to other threads.
public final class HTTPServer: @unchecked Sendable {
    /// The limits every connection is held to.
    public let limits: HTTPLimits
    let handler: HTTPConnection.Handler
    let errorResponder: HTTPConnection.ErrorResponder
    /// Seconds in-flight requests get to finish after shutdown begins.
    let shutdownGrace: Double
    private let host: String
    private let requestedPort: Int
    private let threads: Int
    private let connections = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private var loops: [EventLoop] = []
    private var listener: Socket?
    private let finished = DispatchGroup()

    /// Creates a server; nothing happens until ``start()``.
    public init(
        host: String, port: Int, limits: HTTPLimits = HTTPLimits(),
        threads: Int = ProcessInfo.processInfo.activeProcessorCount,
        shutdownGrace: Double = 10,
        handler: @escaping HTTPConnection.Handler,
        errorResponder: @escaping HTTPConnection.ErrorResponder = { .text($0.status, $0.message + "\n") }
    ) {
        self.host = host
        self.requestedPort = port
        self.limits = limits
        self.threads = max(1, threads)
        self.shutdownGrace = shutdownGrace
        self.handler = handler
        self.errorResponder = errorResponder
    }

    /// Binds and starts serving; returns the bound port.
    public func start() throws -> Int {
        Socket.raiseDescriptorLimit()
        let listener = try Socket.listen(host: host, port: requestedPort)
        self.listener = listener
        loops = try (0..<threads).map { _ in try EventLoop(server: self, listener: listener) }
        for loop in loops {
            finished.enter()
            let thread = Thread { [finished] in
                loop.run()
                finished.leave()
            }
            thread.name = "http"
            thread.start()
        }
        return listener.localPort
    }

    /// Stops accepting, lets in-flight requests finish (up to the grace period), closes
    /// every connection and returns when all loops have ended.
    public func shutdown() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        for loop in loops { loop.wake() }
        finished.wait()
        listener?.close()
        listener = nil
    }

    /// Open connections now.
    public var openConnections: Int { connections.load(ordering: .relaxed) }

    var isStopping: Bool { stopping.load(ordering: .relaxed) }

    func openConnection() -> Bool {
        let count = connections.add(1, ordering: .relaxed).newValue
        if count > limits.maximumConnections {
            connections.subtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func closeConnection() { connections.subtract(1, ordering: .relaxed) }
}
