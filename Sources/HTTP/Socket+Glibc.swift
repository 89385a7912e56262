import CSystem
import Glibc

extension Socket {
    private static func error(_ call: String) -> Error {
        let code = errno
        return Error(call: call, code: code, description: "\(call): \(String(cString: strerror(code)))")
    }

    /// A non-blocking IPv4 TCP socket listening on `host:port` (port 0 picks a free port).
    public static func listen(host: String, port: Int, backlog: Int32 = 1024) throws -> Socket {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let name = host == "localhost" ? "127.0.0.1" : host
        guard inet_pton(AF_INET, name, &address.sin_addr) == 1 else {
            throw Error(call: "inet_pton", code: EINVAL, description: "'\(host)' is not an IPv4 address")
        }
        let descriptor = socket(
            AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw error("socket") }
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let failure = error("bind \(host):\(port)")
            _ = Glibc.close(descriptor)
            throw failure
        }
        guard Glibc.listen(descriptor, backlog) == 0 else {
            let failure = error("listen")
            _ = Glibc.close(descriptor)
            throw failure
        }
        return Socket(descriptor: descriptor)
    }

    /// The local port the socket is bound to.
    public var localPort: Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// The peer's IPv4 address as text; empty when it cannot be known.
    public var peerAddress: String {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let found = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(descriptor, $0, &length) }
        }
        guard found == 0 else { return "" }
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        guard inet_ntop(AF_INET, &address.sin_addr, &text, socklen_t(INET_ADDRSTRLEN)) != nil else { return "" }
        return String(cString: text)
    }

    /// What ``accept()`` found.
    public enum AcceptResult {
        /// A new connection, non-blocking.
        case connection(Socket)
        /// None is waiting.
        case none
        /// The process or system is out of descriptors (EMFILE, ENFILE, ENOBUFS, ENOMEM):
        /// the pending connection stays queued, so accepting again at once would spin.
        case exhausted(String)
    }

    /// Takes a pending connection.
    public func accept() -> AcceptResult {
        while true {
            let client = CSystem.accept4(
                descriptor, nil, nil, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
            if client >= 0 {
                var one: Int32 = 1
                // Responses are written whole; without this, small ones wait for the peer's ACK.
                setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                return .connection(Socket(descriptor: client))
            }
            let code = errno
            switch code {
            case EINTR, ECONNABORTED, EPROTO: continue
            case EMFILE, ENFILE, ENOBUFS, ENOMEM: return .exhausted(String(cString: strerror(code)))
            default: return .none
            }
        }
    }

    /// Sends `bytes` once without waiting and closes: for a connection refused at once,
    /// whose socket buffer always has room for a short answer. What the client already sent
    /// is read first, so the close sends FIN, not a reset that could discard the answer.
    public func refuse(with bytes: [UInt8]) {
        var scratch = [UInt8](repeating: 0, count: 4096)
        _ = scratch.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        _ = write(bytes[...])
        _ = shutdown(descriptor, Int32(SHUT_WR))
        close()
    }

    /// Ends the sending side (FIN after what is queued); reading goes on.
    public func finishWriting() { _ = shutdown(descriptor, Int32(SHUT_WR)) }

    /// Sets the kernel's send buffer (SO_SNDBUF) to `bytes`.
    public func setSendBuffer(_ bytes: Int) {
        var size = Int32(clamping: bytes)
        setsockopt(descriptor, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    /// The soft limit of open descriptors.
    public static var descriptorLimit: Int {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 else { return 1024 }
        return Int(clamping: limit.rlim_cur)
    }

    /// Reads into `buffer`.
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> ReadResult {
        while true {
            let count = recv(descriptor, buffer.baseAddress, buffer.count, 0)
            if count > 0 { return .bytes(count) }
            if count == 0 { return .closed }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .closed
            }
        }
    }

    /// Writes as much of `bytes` as the socket takes now; nil when the connection failed.
    public func write(_ bytes: ArraySlice<UInt8>) -> Int? {
        guard !bytes.isEmpty else { return 0 }
        return bytes.withUnsafeBytes { raw in
            while true {
                let count = send(raw.baseAddress, raw.count)
                if count >= 0 { return count }
                switch errno {
                case EINTR: continue
                case EAGAIN, EWOULDBLOCK: return 0
                default: return nil
                }
            }
        }
    }

    private func send(_ pointer: UnsafeRawPointer?, _ count: Int) -> Int {
        Glibc.send(descriptor, pointer, count, Int32(MSG_NOSIGNAL))
    }

    /// Closes the descriptor.
    public func close() { _ = Glibc.close(descriptor) }

    /// Raises the soft limit of open descriptors to the hard limit, so that many idle
    /// clients cannot exhaust a default limit of 1024.
    public static func raiseDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(RLIMIT_NOFILE_VALUE, &limit)
    }

    private static var RLIMIT_NOFILE_VALUE: __rlimit_resource_t { __rlimit_resource_t(RLIMIT_NOFILE.rawValue) }
}

/// epoll, the readiness queue of the event loops.
struct EventQueue {
    let descriptor: Int32
    /// Written to wake a waiting loop (shutdown).
    let wakeDescriptor: Int32

    struct Event {
        let descriptor: Int32
        let readable: Bool
        /// The connection failed or both directions are closed; reported even when neither
        /// reading nor writing is watched.
        let hangup: Bool
        let writable: Bool
    }

    init() throws {
        descriptor = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeDescriptor = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        guard descriptor >= 0, wakeDescriptor >= 0 else {
            throw Socket.Error(call: "epoll_create1", code: errno, description: "cannot create an event queue")
        }
        add(wakeDescriptor, writable: false)
    }

    func add(_ fd: Int32, readable: Bool = true, writable: Bool) {
        csystem_epoll_ctl(descriptor, EPOLL_CTL_ADD, fd, Self.mask(readable: readable, writable: writable))
    }

    /// Adds a listening socket shared with other queues: only one of them wakes per connection.
    func addListener(_ fd: Int32) {
        // EPOLLEXCLUSIVE refuses EPOLLRDHUP, which a listener has no use for anyway.
        csystem_epoll_ctl(descriptor, EPOLL_CTL_ADD, fd, EPOLLIN.rawValue | EPOLLEXCLUSIVE.rawValue)
    }

    /// Level-triggered: a descriptor whose input is not wanted must leave EPOLLIN out, or
    /// the loop would wake for it again and again; and one whose peer's close has been seen
    /// must leave EPOLLRDHUP out (`watchesClose` false), for the same reason.
    func modify(_ fd: Int32, readable: Bool, writable: Bool, watchesClose: Bool = true) {
        let mask = Self.mask(readable: readable, writable: writable)
        csystem_epoll_ctl(descriptor, EPOLL_CTL_MOD, fd, watchesClose ? mask : mask & ~EPOLLRDHUP.rawValue)
    }

    func remove(_ fd: Int32) {
        csystem_epoll_ctl(descriptor, EPOLL_CTL_DEL, fd, 0)
    }

    private static func mask(readable: Bool, writable: Bool) -> UInt32 {
        // EPOLLRDHUP always: a client that closes while its request is in flight (input not
        // wanted then) is noticed at once, and its queued work skipped.
        EPOLLRDHUP.rawValue | (readable ? EPOLLIN.rawValue : 0) | (writable ? EPOLLOUT.rawValue : 0)
    }

    /// Scratch space for one wait's results.
    struct Buffer {
        var descriptors = [Int32](repeating: 0, count: 256)
        var events = [UInt32](repeating: 0, count: 256)
    }

    /// Waits up to `milliseconds` for events.
    func wait(milliseconds: Int32, into buffer: inout Buffer) -> [Event] {
        let count = buffer.descriptors.withUnsafeMutableBufferPointer { descriptors in
            buffer.events.withUnsafeMutableBufferPointer { events in
                csystem_epoll_wait(descriptor, descriptors.baseAddress, events.baseAddress, 256, milliseconds)
            }
        }
        guard count > 0 else { return [] }
        return (0..<Int(count)).map { index in
            let events = buffer.events[index]
            return Event(
                descriptor: buffer.descriptors[index],
                readable: events & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue) != 0,
                hangup: events & (EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0,
                writable: events & EPOLLOUT.rawValue != 0)
        }
    }

    func wake() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeDescriptor, &one, 8)
    }

    func drainWake() {
        var value: UInt64 = 0
        _ = Glibc.read(wakeDescriptor, &value, 8)
    }

    func close() {
        _ = Glibc.close(wakeDescriptor)
        _ = Glibc.close(descriptor)
    }

    /// A monotonic clock in seconds.
    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
