import CSystem
import Synchronization

/// One thread's share of the server: an epoll queue with the listening socket (shared by
/// every loop, each woken alone) and the connections it accepted.
/// Its state belongs to the thread running ``run()``; other threads only call ``wake()``,
/// which writes to an eventfd.
final class EventLoop: @unchecked Sendable {
    private final class Slot {
        let socket: Socket
        var connection: HTTPConnection
        var watchingWrites = false

        init(socket: Socket, connection: HTTPConnection) {
            self.socket = socket
            self.connection = connection
        }
    }

    private let server: HTTPServer
    private let listener: Socket
    private let queue: EventQueue
    private var slots: [Int32: Slot] = [:]
    private var listening = true
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    private var lastSweep = 0.0

    init(server: HTTPServer, listener: Socket) throws {
        self.server = server
        self.listener = listener
        queue = try EventQueue()
        queue.addListener(listener.descriptor)
    }

    /// Wakes the loop so it notices a shutdown.
    func wake() { queue.wake() }

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
                    if event.readable { read(slot, now: now) }
                    if event.writable || !slot.connection.pendingOutput.isEmpty { flush(slot, now: now) }
                }
            }
            if server.isStopping && listening {
                listening = false
                queue.remove(listener.descriptor)
                stopDeadline = now + server.shutdownGrace
            }
            if now - lastSweep >= 0.25 || stopDeadline != nil {
                lastSweep = now
                sweep(now: now, stopping: stopDeadline != nil)
            }
            if let deadline = stopDeadline, slots.isEmpty || now > deadline {
                for slot in Array(slots.values) { drop(slot) }
                queue.close()
                return
            }
        }
    }

    private func accept(now: Double) {
        while let socket = listener.accept() {
            guard server.openConnection() else {
                socket.close()
                continue
            }
            let slot = Slot(socket: socket, connection: HTTPConnection(limits: server.limits, now: now))
            slots[socket.descriptor] = slot
            queue.add(socket.descriptor, writable: false)
        }
    }

    private func read(_ slot: Slot, now: Double) {
        let result = buffer.withUnsafeMutableBytes { slot.socket.read(into: $0) }
        switch result {
        case .bytes(let count):
            slot.connection.receive(
                buffer[0..<count], now: now, handler: server.handler, errorResponder: server.errorResponder)
        case .wouldBlock:
            break
        case .closed:
            drop(slot)
        }
    }

    private func flush(_ slot: Slot, now: Double) {
        guard slots[slot.socket.descriptor] === slot else { return }
        while !slot.connection.pendingOutput.isEmpty {
            guard let written = slot.socket.write(slot.connection.pendingOutput) else {
                drop(slot)
                return
            }
            slot.connection.wrote(written, now: now, handler: server.handler, errorResponder: server.errorResponder)
            if written == 0 { break }
        }
        let waiting = !slot.connection.pendingOutput.isEmpty
        if waiting != slot.watchingWrites {
            slot.watchingWrites = waiting
            queue.modify(slot.socket.descriptor, writable: waiting)
        }
        if !waiting && slot.connection.isDrained && slot.connection.isClosing { drop(slot) }
    }

    private func sweep(now: Double, stopping: Bool) {
        for slot in Array(slots.values) {
            if slot.connection.expire(now: now) || (stopping && slot.connection.isIdle) {
                drop(slot)
            } else if !slot.connection.pendingOutput.isEmpty {
                flush(slot, now: now)
            }
        }
    }

    private func drop(_ slot: Slot) {
        guard slots.removeValue(forKey: slot.socket.descriptor) != nil else { return }
        queue.remove(slot.socket.descriptor)
        slot.socket.close()
        server.closeConnection()
    }
}
