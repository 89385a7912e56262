import Foundation
import CSystem
import Synchronization

/// An HTTP/1.1 server: one event loop thread per core sharing a listening socket, each
/// answering its connections with `handler`.
public final class HTTPServer: @unchecked Sendable {
    /// Answers a request. It runs on an event loop thread and must not block: it returns a
    /// response made from memory at once, or returns nil and, from another thread (a
    /// ``BlockingPool``), gives the response to the ``Responder``.
    public typealias Handler = @Sendable (HTTPRequest, Responder) -> HTTPResponse?

    /// The limits every connection is held to (``HTTPLimits/maximumConnections`` lowered to
    /// what the descriptor limit allows once started).
    public private(set) var limits: HTTPLimits
    let handler: Handler
    let errorResponder: HTTPConnection.ErrorResponder
    /// Refuses, from its head, a request whose client waits for `100 Continue`.
    let screen: HTTPConnection.Screen
    /// Told of conditions an operator should see: a name and a message.
    let notice: @Sendable (String, String) -> Void
    /// Told of an answer counted by the handler that was never sent: replaced by a 503 for
    /// the bound on queued bytes, or come after its request timed out (and had its 503).
    /// Metrics that counted it can take it back, so each request is counted once.
    let withdrawn: @Sendable (HTTPStatus) -> Void
    /// Where chunks of streamed files are read, off the loops; without it they are read on
    /// the loop.
    let fileReads: BlockingPool?
    /// Where chunks of produced bodies (``BodyProducer``: long lists, exports) are made, off
    /// the loops and apart from ``fileReads``, so that clients reading long answers keep no
    /// file read waiting; without it they are made on ``fileReads``.
    let producedChunks: BlockingPool?
    /// Seconds in-flight requests get to finish after shutdown begins.
    let shutdownGrace: Double
    private let host: String
    private let requestedPort: Int
    private let threads: Int
    private let connections = Atomic<Int>(0)
    /// Bytes held for clients, all connections together (``HTTPLimits/maximumQueuedBytes``):
    /// unsent output, and what streaming answers reserve.
    private let queued = Atomic<Int>(0)
    /// Answers replaced by a 503 because they would have taken `queued` past the bound.
    private let refusedHolding = Atomic<Int>(0)
    /// Bytes of requests not yet whole, all connections together
    /// (``HTTPLimits/maximumReceivingBytes``).
    private let receiving = Atomic<Int>(0)
    /// The most `receiving` reached since memory was last handed back to the system.
    private let receivingPeak = Atomic<Int>(0)
    /// The most `queued` reached since memory was last handed back to the system.
    private let queuedPeak = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private var loops: [EventLoop] = []
    private var listener: Socket?
    private let finished = DispatchGroup()

    /// Creates a server; nothing happens until ``start()``.
    public init(
        host: String, port: Int, limits: HTTPLimits = HTTPLimits(),
        threads: Int = ProcessInfo.processInfo.activeProcessorCount,
        shutdownGrace: Double = 10,
        errorResponder: @escaping HTTPConnection.ErrorResponder = HTTPConnection.plainError,
        screen: @escaping HTTPConnection.Screen = { _ in nil },
        notice: @escaping @Sendable (String, String) -> Void = { _, _ in },
        fileReads: BlockingPool? = nil,
        producedChunks: BlockingPool? = nil,
        withdrawn: @escaping @Sendable (HTTPStatus) -> Void = { _ in },
        handler: @escaping Handler
    ) {
        self.fileReads = fileReads
        self.producedChunks = producedChunks
        self.withdrawn = withdrawn
        self.host = host
        self.requestedPort = port
        self.limits = limits
        self.threads = max(1, threads)
        self.shutdownGrace = shutdownGrace
        self.handler = handler
        self.errorResponder = errorResponder
        self.screen = screen
        self.notice = notice
    }

    /// A server whose handler answers every request at once, on the loop thread.
    public convenience init(
        host: String, port: Int, limits: HTTPLimits = HTTPLimits(),
        threads: Int = ProcessInfo.processInfo.activeProcessorCount, shutdownGrace: Double = 10,
        immediate handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse
    ) {
        self.init(
            host: host, port: port, limits: limits, threads: threads, shutdownGrace: shutdownGrace,
            handler: { request, _ in handler(request) })
    }

    /// Binds and starts serving; returns the bound port.
    public func start() throws -> Int {
        Socket.raiseDescriptorLimit()
        // Past the descriptor limit accept would fail while clients wait in the backlog;
        // below it every client over the limit gets a quick 503 instead. A connection may
        // hold a second descriptor, the file it downloads: two each.
        let allowed = max(1, (Socket.descriptorLimit - limits.reservedDescriptors) / 2)
        if limits.maximumConnections > allowed {
            notice(
                "connections_clamped",
                "max_connections lowered from \(limits.maximumConnections) to \(allowed) by the descriptor limit")
            limits.maximumConnections = allowed
        }
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
        loops = []
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

    /// Bytes held for clients now, all connections together: answers in memory not yet
    /// written, and what each streaming answer reserves while it lasts. Back to 0 once every
    /// answer has ended, however it ended.
    public var queuedBytes: Int { queued.load(ordering: .relaxed) }

    /// Answers refused with a 503 since the start because they would have taken
    /// ``queuedBytes`` past ``HTTPLimits/maximumQueuedBytes``.
    public var refusedForHolding: Int { refusedHolding.load(ordering: .relaxed) }

    /// Reserves `count` bytes for an answer about to be queued: always when nothing else is
    /// held, so one answer always goes through, else when the total stays within
    /// ``HTTPLimits/maximumQueuedBytes``. Taken in one atomic step, so answers completed
    /// at once on several loops cannot pass the bound together. False, reserving nothing,
    /// when it does not fit; the refusal is counted.
    func reserve(_ count: Int) -> Bool {
        var now = queued.load(ordering: .relaxed)
        while now == 0 || now + count <= limits.maximumQueuedBytes {
            let (exchanged, original) = queued.compareExchange(
                expected: now, desired: now + count, ordering: .relaxed)
            if exchanged {
                Self.raise(queuedPeak, to: now + count)
                return true
            }
            now = original
        }
        refusedHolding.add(1, ordering: .relaxed)
        return false
    }

    /// Raises `peak` to `total`.
    private static func raise(_ peak: borrowing Atomic<Int>, to total: Int) {
        var seen = peak.load(ordering: .relaxed)
        while total > seen {
            let (exchanged, original) = peak.compareExchange(expected: seen, desired: total, ordering: .relaxed)
            if exchanged { break }
            seen = original
        }
    }

    /// Adds `delta` to `total` and returns the new total: a rise raises `peak`; when a fall
    /// takes the total to a quarter of a peak over half `bound`, the freed heap is handed back
    /// to the system (`malloc_trim`, off the loop): glibc keeps freed memory otherwise, and
    /// the process would stay at its peak after the clients have gone.
    private func adjust(_ total: borrowing Atomic<Int>, peak: borrowing Atomic<Int>, by delta: Int, bound: Int) -> Int {
        let now = total.add(delta, ordering: .relaxed).newValue
        if delta > 0 {
            Self.raise(peak, to: now)
        } else if delta < 0 && now <= peak.load(ordering: .relaxed) / 4 && peak.load(ordering: .relaxed) > bound / 2 {
            peak.store(now, ordering: .relaxed)
            _ = fileReads?.submit { _ = CSystem.malloc_trim(0) }
        }
        return now
    }

    /// Bytes of requests not yet whole now, all connections together.
    public var receivingBytes: Int { receiving.load(ordering: .relaxed) }

    /// Records a change of what a connection holds of requests not yet whole, and returns
    /// whether the total is past ``HTTPLimits/maximumReceivingBytes``; freed heap is handed
    /// back as for answers (``adjustQueued(by:)``).
    func adjustReceiving(by delta: Int) -> Bool {
        adjust(receiving, peak: receivingPeak, by: delta, bound: limits.maximumReceivingBytes)
            > limits.maximumReceivingBytes
    }

    /// Records a change of what a connection holds (its unsent output, or its stream's
    /// reservation where that is more), handing the freed heap back once the total falls to
    /// a quarter of a peak over half ``HTTPLimits/maximumQueuedBytes``.
    func adjustQueued(by delta: Int) {
        guard delta != 0 else { return }
        _ = adjust(queued, peak: queuedPeak, by: delta, bound: limits.maximumQueuedBytes)
    }

    /// The whole answer to a client over the connection limit: a 503 with `Retry-After`.
    func overloadAnswer() -> [UInt8] {
        var response = errorResponder(HTTPError(.serviceUnavailable, "the server has too many connections"))
        response.headers.append(("Retry-After", "1"))
        return response.serialized()
    }
}
