import Foundation
import Glibc

/// A blocking TCP client to a loopback port, for tests that speak raw HTTP.
public final class LoopbackClient {
    private let descriptor: Int32

    /// Connects to 127.0.0.1:`port`, from `source` (another loopback address, so that one
    /// test can be several clients) when given; reads time out after `timeout` seconds.
    public init(port: Int, timeout: Int = 10, source: String? = nil) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = inet_addr(source)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else {
                close(descriptor)
                throw POSIXError(.EADDRNOTAVAIL)
            }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            throw POSIXError(.ECONNREFUSED)
        }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    /// Makes the close send a reset (RST) instead of FIN, as a client that crashes or
    /// gives up does: SO_LINGER with a zero timeout.
    public func resetOnClose() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    }

    /// Closes the sending half (FIN) and goes on reading, as `nc -N` does after its input.
    public func finishSending() { shutdown(descriptor, Int32(SHUT_WR)) }

    /// Shrinks the receive buffer to `bytes`, so a client that does not read makes the
    /// server hold the rest of its answer.
    public func shrinkReceiveBuffer(_ bytes: Int32) {
        var size = bytes
        setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Sends everything; false when the peer has closed.
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    /// Sends UTF-8 text.
    public func send(_ text: String) { send(Array(text.utf8)) }

    /// Reads until the peer closes, the timeout passes, or `done` holds for what arrived.
    public func read(until done: (String) -> Bool = { _ in false }) -> (bytes: [UInt8], text: String, closed: Bool) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return (received, String(decoding: received, as: UTF8.self), count == 0) }
            received += buffer[0..<count]
            let text = String(decoding: received, as: UTF8.self)
            if done(text) { return (received, text, false) }
        }
    }

    /// Reads until the peer closes, the timeout passes, or `done` holds for the bytes that
    /// arrived; for long binary answers, which ``read(until:)`` would decode again at every read.
    public func read(untilBytes done: ([UInt8]) -> Bool) -> (bytes: [UInt8], closed: Bool) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return (received, count == 0) }
            received += buffer[0..<count]
            if done(received) { return (received, false) }
        }
    }

    /// Reads until `count` bytes have arrived, the peer closes or the timeout passes.
    public func read(bytes count: Int) -> [UInt8] {
        var received: [UInt8] = []
        received.reserveCapacity(min(count, 1 << 20))
        var buffer = [UInt8](repeating: 0, count: 65536)
        while received.count < count {
            let got = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if got <= 0 { break }
            received += buffer[0..<got]
        }
        return received
    }
}
