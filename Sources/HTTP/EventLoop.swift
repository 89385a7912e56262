import CSystem
import Synchronization

/// One thread's share of the server: an epoll queue with the listening socket (shared by
/// every loop, each woken alone) and the connections it accepted.
///
/// Its connections belong to the thread running ``run()``. Other threads reach it only
/// through its mailbox (SwiftNIO's `SelectableEventLoop` task queue): an answer is
/// appended under a lock, and the eventfd is written only when the mailbox was empty.
final class EventLoop: @unchecked Sendable {
    private final class Slot {
        let socket: Socket
        /// Tells this connection from a later one that reuses its descriptor.
        let serial: Int
        /// The client's address, given to each of its requests.
        let peer: String
        var connection: HTTPConnection
        var reading = true
        var writing = false
        /// What the connection holds as last counted in the server's total: its unsent
        /// output, or what its streaming answer reserves where that is more.
        var counted = 0
        /// What the connection holds of requests not yet whole, as last counted in the
        /// server's total (``HTTPServer/receivingBytes``).
        var receiving = 0
        /// The request handed to the handler and not yet answered; cancelled when the
        /// connection goes.
        var responder: Responder?
        /// Whether the request in flight changes something (any method but GET and HEAD):
        /// its change is made whether the client stays or not, so a client that has only
        /// half-closed (FIN, as `nc -N` does) is still told what happened.
        var changes = false
        /// Set when the client half-closed while such a request was in flight: its answer is
        /// written, and then the connection closed, since nothing more can come.
        var halfClosed = false
        /// Once a refused request's answer is written: the time and bytes the client's
        /// remaining input may still be drained.
        var drain: (until: Double, bytes: Int)?
        /// Set when the connection goes, so a chunk queued for the pool is not read or made
        /// for nobody: its body (a file, a producer) is released instead.
        let gone = Gone()

        init(socket: Socket, serial: Int, connection: HTTPConnection) {
            self.socket = socket
            self.serial = serial
            peer = socket.peerAddress
            self.connection = connection
        }
    }

    /// Whether a connection has gone, read from the pool's threads.
    private final class Gone: Sendable {
        private let flag = Atomic<Bool>(false)
        var isSet: Bool { flag.load(ordering: .acquiring) }
        func set() { flag.store(true, ordering: .releasing) }
    }

    /// What another thread hands a connection: the response to its request `request`, or
    /// a chunk of the body it streams (read from a file or produced).
    private enum Content {
        case response(request: Int, HTTPResponse)
        case chunk(Result<[UInt8], FileBody.Failure>)
    }

    /// Mail for the connection `slot` on descriptor `descriptor`.
    private struct Letter {
        let descriptor: Int32
        let slot: Int
        let content: Content
    }

    private let server: HTTPServer
    private let listener: Socket
    private let queue: EventQueue
    private var slots: [Int32: Slot] = [:]
    private var nextSerial = 0
    private var listening = true
    /// When accepting stopped for lack of descriptors, the time to try again.
    private var acceptPausedUntil: Double?
    private var lastExhaustionNotice = -Double.infinity
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    private var lastSweep = 0.0
    private let mailbox = Mutex<[Letter]>([])

    init(server: HTTPServer, listener: Socket) throws {
        self.server = server
        self.listener = listener
        queue = try EventQueue()
        queue.addListener(listener.descriptor)
    }

    /// The queue's descriptors stay open as long as a responder may still post here, so a
    /// late wake can never hit a descriptor reused by someone else.
    deinit { queue.close() }

    /// Wakes the loop so it notices a shutdown.
    func wake() { queue.wake() }

    /// Posts an answer from any thread.
    private func post(_ letter: Letter) {
        let wasEmpty = mailbox.withLock { letters in
            letters.append(letter)
            return letters.count == 1
        }
        if wasEmpty { queue.wake() }
    }

    /// Serves until shutdown has begun and every connection has finished or `grace` passed.
    func run() {
        var events = EventQueue.Buffer()
        var stopDeadline: Double?
        while true {
            let ready = queue.wait(milliseconds: 250, into: &events)
            let now = EventQueue.now()
            for event in ready {
                if event.descriptor == queue.wakeDescriptor {
                    queue.drainWake()
                } else if event.descriptor == listener.descriptor {
                    if listening { accept(now: now) }
                } else if let slot = slots[event.descriptor] {
                    // Input is not watched while a request is in flight, so a readable event
                    // then is the peer's close (EPOLLRDHUP): the client has gone, and its
                    // queued work is skipped; unless the request changes something and the
                    // client only half-closed (no hangup: it may still read).
                    if (event.hangup || event.readable) && !slot.reading {
                        if !event.hangup && slot.changes && slot.connection.isAwaitingResponse {
                            slot.halfClosed = true
                            slot.writing = false
                            queue.modify(slot.socket.descriptor, readable: false, writable: false, watchesClose: false)
                        } else {
                            drop(slot)
                        }
                        continue
                    }
                    if event.readable || event.hangup {
                        guard read(slot, now: now) else { continue }
                    }
                    pump(slot, now: now)
                }
            }
            deliverMail(now: now)
            if let until = acceptPausedUntil, now >= until, listening {
                acceptPausedUntil = nil
                queue.addListener(listener.descriptor)
                accept(now: now)
            }
            if server.isStopping && listening {
                listening = false
                if acceptPausedUntil == nil { queue.remove(listener.descriptor) }
                stopDeadline = now + server.shutdownGrace
            }
            if now - lastSweep >= 0.25 || stopDeadline != nil {
                lastSweep = now
                sweep(now: now, stopping: stopDeadline != nil)
            }
            if let deadline = stopDeadline, slots.isEmpty || now > deadline {
                for slot in Array(slots.values) { drop(slot) }
                return
            }
        }
    }

    private func deliverMail(now: Double) {
        let letters = mailbox.withLock { letters in
            defer { letters.removeAll(keepingCapacity: true) }
            return letters
        }
        for letter in letters {
            guard let slot = slots[letter.descriptor], slot.serial == letter.slot else { continue }
            switch letter.content {
            case .response(let request, let response):
                guard slot.connection.complete(admitted(response, slot), serial: request, now: now) else {
                    // Too late: the request timed out and was answered 503 in its place.
                    server.withdrawn(response.status)
                    continue
                }
            case .chunk(let chunk):
                slot.connection.received(chunk: chunk, now: now)
            }
            pump(slot, now: now)
        }
    }

    private func accept(now: Double) {
        while acceptPausedUntil == nil {
            switch listener.accept() {
            case .none:
                return
            case .exhausted(let reason):
                // The connection stays in the backlog and epoll would report it again at
                // once: stop watching the listener for a moment instead of spinning.
                acceptPausedUntil = now + 0.1
                queue.remove(listener.descriptor)
                if now - lastExhaustionNotice > 10 {
                    lastExhaustionNotice = now
                    server.notice("accept_paused", "cannot accept connections: \(reason); pausing 100 ms")
                }
            case .connection(let socket):
                guard server.openConnection() else {
                    socket.refuse(with: server.overloadAnswer())
                    continue
                }
                if server.limits.socketSendBuffer > 0 { socket.setSendBuffer(server.limits.socketSendBuffer) }
                nextSerial += 1
                let slot = Slot(
                    socket: socket, serial: nextSerial,
                    connection: HTTPConnection(
                        limits: server.limits, now: now, errorResponder: server.errorResponder, screen: server.screen))
                slots[socket.descriptor] = slot
                queue.add(socket.descriptor, writable: false)
            }
        }
    }

    /// Reads what arrived; false when the connection was dropped.
    private func read(_ slot: Slot, now: Double) -> Bool {
        if slot.drain != nil { return discard(slot) }
        let result = buffer.withUnsafeMutableBytes { slot.socket.read(into: $0) }
        switch result {
        case .bytes(let count):
            slot.connection.receive(buffer[0..<count], now: now)
            countReceiving(slot, now: now)
        case .wouldBlock:
            break
        case .closed:
            drop(slot)
            return false
        }
        return true
    }

    /// Counts what `slot` holds of requests not yet whole in the server's total; past the
    /// bound, a connection holding more than a small request's worth, and no request in
    /// flight (whose answer must come first), is refused with a 503 and what it holds dropped.
    private func countReceiving(_ slot: Slot, now: Double) {
        guard recountReceiving(slot), slot.receiving > server.limits.smallRequestBytes,
            !slot.connection.isAwaitingResponse, !slot.connection.isClosing
        else { return }
        var busy = server.errorResponder(
            HTTPError(.serviceUnavailable, "the server is receiving too many requests at once; try again shortly"))
        busy.headers.append(("Retry-After", "1"))
        slot.connection.refuseReceiving(busy, now: now)
        _ = recountReceiving(slot)
    }

    /// Brings `slot`'s share of the server's total of requests not yet whole to what its
    /// connection holds; returns whether the total is past the bound.
    private func recountReceiving(_ slot: Slot) -> Bool {
        let holding = slot.connection.receivingBytes
        let over = server.adjustReceiving(by: holding - slot.receiving)
        slot.receiving = holding
        return over
    }

    /// Reads and drops what a refused client still sends, until it closes, the budget is
    /// spent or the socket is empty; false (never pumped) while draining.
    private func discard(_ slot: Slot) -> Bool {
        while let drain = slot.drain {
            let result = buffer.withUnsafeMutableBytes { slot.socket.read(into: $0) }
            switch result {
            case .bytes(let count) where count < drain.bytes:
                slot.drain = (drain.until, drain.bytes - count)
            case .wouldBlock:
                return false
            case .bytes, .closed:
                drop(slot)
                return false
            }
        }
        return false
    }

    /// Hands ready requests to the handler and writes what is queued, until neither makes
    /// progress; then watches the socket for what the connection wants next.
    private func pump(_ slot: Slot, now: Double) {
        guard slots[slot.socket.descriptor] === slot, slot.drain == nil else { return }
        var progressed = true
        while progressed {
            progressed = false
            while let (serial, taken) = slot.connection.nextRequest(now: now) {
                var request = taken
                request.peer = slot.peer
                let descriptor = slot.socket.descriptor
                let slotSerial = slot.serial
                let responder = Responder { [self] response in
                    post(Letter(descriptor: descriptor, slot: slotSerial, content: .response(request: serial, response)))
                }
                guard let response = server.handler(request, responder) else {
                    slot.responder = responder
                    slot.changes = request.method != "GET" && request.method != "HEAD"
                    break
                }
                slot.connection.complete(admitted(response, slot), serial: serial, now: now)
                progressed = true
            }
            while !slot.connection.pendingOutput.isEmpty {
                guard let written = slot.socket.write(slot.connection.pendingOutput) else {
                    drop(slot)
                    return
                }
                if written == 0 { break }
                slot.connection.wrote(written, now: now)
                progressed = true
            }
            while let read = slot.connection.nextChunkRead() {
                let letter = (descriptor: slot.socket.descriptor, slot: slot.serial)
                let gone = slot.gone
                let pool = read.isProduced ? server.producedChunks ?? server.fileReads : server.fileReads
                let queued = pool?.submit { [self] in
                    // A connection gone while the chunk waited: nothing is read or made.
                    guard !gone.isSet else { return }
                    post(Letter(descriptor: letter.descriptor, slot: letter.slot, content: .chunk(read.perform())))
                }
                guard queued != true else { break }
                if queued == false && read.isProduced {
                    // A produced chunk is never made on the loop: the next sweep asks again.
                    slot.connection.deferChunkRead()
                    break
                }
                // No pool (or a full one, for a file): read here rather than stall the download.
                slot.connection.received(chunk: read.perform(), now: now)
                progressed = true
            }
        }
        let holding = max(slot.connection.pendingOutput.count, slot.connection.streamHolding)
        server.adjustQueued(by: holding - slot.counted)
        slot.counted = holding
        // Requests taken hand their bytes to the handler.
        if slot.connection.receivingBytes != slot.receiving { _ = recountReceiving(slot) }
        if slot.halfClosed {
            // The client sends nothing more: closed once its answer is out, written meanwhile.
            if !slot.connection.isAwaitingResponse && slot.connection.isDrained { return drop(slot) }
            let writing = !slot.connection.pendingOutput.isEmpty
            if writing != slot.writing {
                slot.writing = writing
                queue.modify(slot.socket.descriptor, readable: false, writable: writing, watchesClose: false)
            }
            return
        }
        if slot.connection.isClosing && slot.connection.isDrained {
            guard slot.connection.drainsBeforeClose else { return drop(slot) }
            // The answer is out: FIN it, then read what the client still sends so the
            // close does not reset the connection before the client has read the answer.
            slot.socket.finishWriting()
            slot.drain = (now + server.limits.refusedDrainSeconds, server.limits.refusedDrainBytes)
            slot.reading = true
            slot.writing = false
            queue.modify(slot.socket.descriptor, readable: true, writable: false)
            _ = discard(slot)
            return
        }
        let reading = slot.connection.wantsInput
        let writing = !slot.connection.pendingOutput.isEmpty
        if reading != slot.reading || writing != slot.writing {
            slot.reading = reading
            slot.writing = writing
            queue.modify(slot.socket.descriptor, readable: reading, writable: writing)
        }
    }

    /// `response`, with what it will hold reserved in the bytes held for clients (its body
    /// in memory, or its stream's share: ``HTTPConnection/holding(for:)``), or a 503 in its
    /// place, before any byte of it is sent, when that would take the total past
    /// ``HTTPLimits/maximumQueuedBytes``. The reservation joins the slot's count, which
    /// ``pump(_:now:)`` brings to what the connection holds and ``drop(_:)`` gives back, so
    /// it is returned however the answer ends. The refused answer's body (a file, a
    /// producer) is released with it.
    private func admitted(_ response: HTTPResponse, _ slot: Slot) -> HTTPResponse {
        let holding = slot.connection.holding(for: response)
        guard holding > 0 else { return response }
        if server.reserve(holding) {
            slot.counted += holding
            return response
        }
        server.withdrawn(response.status)
        var busy = server.errorResponder(
            HTTPError(.serviceUnavailable, "the server holds too many unread answers; try again in a moment"))
        busy.headers.append(("Retry-After", "1"))
        return busy
    }

    private func sweep(now: Double, stopping: Bool) {
        for slot in Array(slots.values) {
            if let drain = slot.drain {
                if now > drain.until || stopping { drop(slot) }
                continue
            }
            if slot.connection.expire(now: now) || (stopping && slot.connection.isIdle) {
                drop(slot)
            } else {
                pump(slot, now: now)
            }
        }
    }

    private func drop(_ slot: Slot) {
        guard slots.removeValue(forKey: slot.socket.descriptor) != nil else { return }
        slot.gone.set()
        slot.responder?.cancel()
        slot.responder = nil
        server.adjustQueued(by: -slot.counted)
        slot.counted = 0
        _ = server.adjustReceiving(by: -slot.receiving)
        slot.receiving = 0
        queue.remove(slot.socket.descriptor)
        slot.socket.close()
        server.closeConnection()
    }
}
