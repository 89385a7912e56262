import Foundation
import HTTP
import Synchronization
import TestSupport
import Testing

/// Streamed answers count what they hold in the bound on bytes held for clients: reserved
/// before their head goes out, refused with a 503 when that would pass the bound, and given
/// back however they end.
@Suite(.serialized) struct HeldBytesTests {
    /// What each streamed answer's producer says it keeps between chunks.
    static let producerHolding = 10_000

    /// Answers `/stream` with `bytes` of bytes gzip barely shrinks (a random block of 64 KiB,
    /// longer than the coder's window, over and over), made as asked (failing after `failAt`
    /// bytes when given), counting the producers released.
    final class Streams: Sendable {
        let released = Atomic<Int>(0)
        let bytes: Int
        let failAt: Int?
        let block: [UInt8]

        init(bytes: Int = 32 << 20, failAt: Int? = nil) {
            self.bytes = bytes
            self.failAt = failAt
            var x: UInt64 = 0x9E37_79B9_7F4A_7C15
            block = (0..<65536).map { _ in
                x ^= x << 13
                x ^= x >> 7
                x ^= x << 17
                return UInt8(truncatingIfNeeded: x)
            }
        }

        struct Failure: Error {}

        func response() -> HTTPResponse {
            let offset = Mutex(0)
            let producer = BodyProducer(
                holding: HeldBytesTests.producerHolding,
                next: { [bytes, failAt, block] maximum in
                    try offset.withLock { offset throws -> [UInt8] in
                        if let failAt, offset >= failAt { throw Failure() }
                        let start = offset % block.count
                        let count = min(maximum, bytes - offset, block.count - start)
                        offset += count
                        return Array(block[start..<start + count])
                    }
                },
                release: { [self] in released.add(1, ordering: .relaxed) })
            return HTTPResponse(
                status: .ok, headers: [("Content-Type", "application/octet-stream")], body: .producer(producer),
                compressible: true)
        }
    }

    static func limits(_ change: (inout HTTPLimits) -> Void = { _ in }) -> HTTPLimits {
        var limits = HTTPLimits()
        // What is unsent stays in the server, not in the kernel's buffers.
        limits.socketSendBuffer = 16384
        change(&limits)
        return limits
    }

    /// What one streamed answer reserves.
    static func reservation(_ limits: HTTPLimits, coded: Bool) -> Int {
        limits.streamHolding(fileChunk: limits.producedChunkBytes, producerHolding: producerHolding, coded: coded)
    }

    static func withServer(
        _ limits: HTTPLimits, _ streams: Streams, _ body: (Int, HTTPServer) throws -> Void
    ) throws {
        let server = HTTPServer(host: "127.0.0.1", port: 0, limits: limits, threads: 2, shutdownGrace: 1) { request in
            request.path == "/stream" ? streams.response() : .text(.ok, "hello")
        }
        let port = try server.start()
        defer { server.shutdown() }
        try body(port, server)
    }

    /// Clients that ask for the stream and do not read.
    static func stalled(_ count: Int, port: Int, coded: Bool) throws -> [LoopbackClient] {
        try (0..<count).map { _ in
            let client = try LoopbackClient(port: port, timeout: 20)
            client.shrinkReceiveBuffer(4096)
            client.send("GET /stream HTTP/1.1\r\nHost: a\r\n\(coded ? "Accept-Encoding: gzip\r\n" : "")\r\n")
            return client
        }
    }

    /// Waits up to `seconds` for `condition`.
    static func eventually(_ seconds: Double = 10, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() > deadline { return false }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return true
    }

    /// Asks `clients` stalled streams and checks each is counted at its reservation.
    static func holdAndCheck(_ clients: Int, port: Int, server: HTTPServer, limits: HTTPLimits, coded: Bool) throws
        -> [LoopbackClient]
    {
        let held = try stalled(clients, port: port, coded: coded)
        let each = reservation(limits, coded: coded)
        #expect(
            eventually { server.queuedBytes == clients * each },
            "\(clients) streams reserve \(clients) × \(each) bytes: \(server.queuedBytes)")
        return held
    }

    @Test(arguments: [false, true]) func completion_GivesTheReservationBack(coded: Bool) throws {
        let limits = Self.limits()
        let streams = Streams(bytes: 1 << 20)
        try Self.withServer(limits, streams) { port, server in
            let client = try LoopbackClient(port: port, timeout: 20)
            client.send("GET /stream HTTP/1.1\r\nHost: a\r\n\(coded ? "Accept-Encoding: gzip\r\n" : "")\r\n")
            let answer = client.read(untilBytes: { $0.suffix(7).elementsEqual("\r\n0\r\n\r\n".utf8) })
            #expect(answer.bytes.starts(with: "HTTP/1.1 200 ".utf8) && !answer.closed)
            #expect(Self.eventually { server.queuedBytes == 0 }, "held: \(server.queuedBytes)")
            #expect(streams.released.load(ordering: .relaxed) == 1)
        }
    }

    @Test(arguments: [false, true]) func clientClose_GivesTheReservationBack(coded: Bool) throws {
        let limits = Self.limits()
        let streams = Streams()
        try Self.withServer(limits, streams) { port, server in
            var held: [LoopbackClient] = try Self.holdAndCheck(8, port: port, server: server, limits: limits, coded: coded)
            held.removeAll()
            #expect(Self.eventually { server.queuedBytes == 0 }, "held: \(server.queuedBytes)")
            #expect(Self.eventually { streams.released.load(ordering: .relaxed) == 8 })
        }
    }

    @Test(arguments: [false, true]) func reset_GivesTheReservationBack(coded: Bool) throws {
        let limits = Self.limits()
        let streams = Streams()
        try Self.withServer(limits, streams) { port, server in
            var held: [LoopbackClient] = try Self.holdAndCheck(8, port: port, server: server, limits: limits, coded: coded)
            for client in held { client.resetOnClose() }
            held.removeAll()
            #expect(Self.eventually { server.queuedBytes == 0 }, "held: \(server.queuedBytes)")
            #expect(Self.eventually { streams.released.load(ordering: .relaxed) == 8 })
        }
    }

    @Test(arguments: [false, true]) func writeTimeout_GivesTheReservationBack(coded: Bool) throws {
        let limits = Self.limits { $0.writeTimeout = 1 }
        let streams = Streams()
        try Self.withServer(limits, streams) { port, server in
            let held = try Self.holdAndCheck(8, port: port, server: server, limits: limits, coded: coded)
            #expect(Self.eventually(5) { server.queuedBytes == 0 }, "held: \(server.queuedBytes)")
            #expect(Self.eventually { streams.released.load(ordering: .relaxed) == 8 })
            #expect(server.openConnections == 0)
            _ = held
        }
    }

    @Test(arguments: [false, true]) func shutdown_GivesTheReservationBack(coded: Bool) throws {
        let limits = Self.limits()
        let streams = Streams()
        let server = HTTPServer(host: "127.0.0.1", port: 0, limits: limits, threads: 2, shutdownGrace: 0.5) { _ in
            streams.response()
        }
        let port = try server.start()
        let held = try Self.holdAndCheck(8, port: port, server: server, limits: limits, coded: coded)
        server.shutdown()
        #expect(server.queuedBytes == 0, "held: \(server.queuedBytes)")
        #expect(Self.eventually { streams.released.load(ordering: .relaxed) == 8 })
        _ = held
    }

    @Test(arguments: [false, true]) func failureMidStream_GivesTheReservationBack(coded: Bool) throws {
        let limits = Self.limits()
        let streams = Streams(failAt: 400_000)
        try Self.withServer(limits, streams) { port, server in
            let clients = try (0..<4).map { _ in try LoopbackClient(port: port, timeout: 20) }
            for client in clients {
                client.send("GET /stream HTTP/1.1\r\nHost: a\r\n\(coded ? "Accept-Encoding: gzip\r\n" : "")\r\n")
            }
            for client in clients {
                let answer = client.read(untilBytes: { _ in false })
                #expect(answer.closed && !answer.bytes.suffix(7).elementsEqual("\r\n0\r\n\r\n".utf8), "the answer is cut")
            }
            #expect(Self.eventually { server.queuedBytes == 0 }, "held: \(server.queuedBytes)")
            #expect(Self.eventually { streams.released.load(ordering: .relaxed) == 4 })
        }
    }

    @Test(arguments: [false, true]) func streamPastTheBound_Gets503BeforeAnyByte(coded: Bool) throws {
        let each = Self.reservation(Self.limits(), coded: coded)
        let limits = Self.limits { $0.maximumQueuedBytes = 2 * each + each / 2 }
        let streams = Streams()
        try Self.withServer(limits, streams) { port, server in
            var held = try Self.holdAndCheck(2, port: port, server: server, limits: limits, coded: coded)
            let refused = try LoopbackClient(port: port, timeout: 20)
            refused.send("GET /stream HTTP/1.1\r\nHost: a\r\n\(coded ? "Accept-Encoding: gzip\r\n" : "")\r\n")
            let answer = refused.read { $0.contains("try again") }
            #expect(answer.text.hasPrefix("HTTP/1.1 503 ") && answer.text.contains("Retry-After: "))
            #expect(!answer.text.contains("Transfer-Encoding") && !answer.text.contains("Content-Encoding"))
            #expect(server.refusedForHolding == 1)
            #expect(server.queuedBytes == 2 * each, "the refused answer reserves nothing")
            #expect(Self.eventually { streams.released.load(ordering: .relaxed) == 1 }, "its producer is released")
            // A small answer in memory is never refused.
            let small = try LoopbackClient(port: port, timeout: 20)
            small.send("GET /small HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(small.read { $0.contains("hello") }.text.hasPrefix("HTTP/1.1 200 "))
            held.removeAll()
            #expect(Self.eventually { server.queuedBytes == 0 })
            let later = try Self.holdAndCheck(2, port: port, server: server, limits: limits, coded: coded)
            _ = later
        }
    }

    @Test func oneStream_IsLetThrough_EvenPastTheBound() throws {
        let each = Self.reservation(Self.limits(), coded: true)
        let limits = Self.limits { $0.maximumQueuedBytes = each / 2 }
        let streams = Streams()
        try Self.withServer(limits, streams) { port, server in
            let first = try Self.holdAndCheck(1, port: port, server: server, limits: limits, coded: true)
            let second = try LoopbackClient(port: port, timeout: 20)
            second.send("GET /stream HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n")
            #expect(second.read { $0.contains("try again") }.text.hasPrefix("HTTP/1.1 503 "))
            _ = first
        }
    }
}
