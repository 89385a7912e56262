import Foundation
import Gzip
import HTTP
import Synchronization
import Testing
import TestSupport

/// Bodies made a chunk at a time: their framing in each case, what the connection holds of
/// them, and their release however the answer ends.
@Suite struct BodyProducerTests {
    /// A producer of `total` bytes in pieces of `piece`, counting its calls and releases;
    /// it fails at `failAt` bytes when given.
    final class Source: Sendable {
        let calls = Atomic<Int>(0)
        let released = Atomic<Int>(0)
        let bytes: [UInt8]

        init(total: Int) { bytes = (0..<total).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 / 7) } }

        struct Failure: Error {}

        func producer(length: Int? = nil, piece: Int = 10_000, failAt: Int? = nil) -> BodyProducer {
            let offset = Mutex(0)
            return BodyProducer(
                length: length,
                next: { [self] _ in
                    calls.add(1, ordering: .relaxed)
                    return try offset.withLock { offset throws -> [UInt8] in
                        if let failAt, offset >= failAt { throw Failure() }
                        let end = min(bytes.count, offset + piece)
                        defer { offset = end }
                        return Array(bytes[offset..<end])
                    }
                },
                release: { [self] in released.add(1, ordering: .relaxed) })
        }
    }

    /// A connection that has been asked `request` and answered with `body`.
    func answered(_ request: String, _ body: BodyProducer, compressible: Bool = false, limits: HTTPLimits = HTTPLimits())
        -> HTTPConnection
    {
        var connection = HTTPConnection(limits: limits, now: 0)
        connection.receive(Array(request.utf8), now: 0)
        let pending = connection.nextRequest(now: 0)!
        connection.complete(
            HTTPResponse(status: .ok, headers: [("Content-Type", "application/octet-stream")], body: .producer(body),
                compressible: compressible),
            serial: pending.serial, now: 0)
        return connection
    }

    /// Everything the connection writes, producing chunks as room appears.
    func drain(_ connection: inout HTTPConnection) -> [UInt8] {
        var out: [UInt8] = []
        while true {
            while let read = connection.nextChunkRead() { connection.received(chunk: read.perform(), now: 0) }
            guard !connection.pendingOutput.isEmpty else { return out }
            out += connection.pendingOutput
            connection.wrote(connection.pendingOutput.count, now: 0)
        }
    }

    /// The head as text and the body after it.
    func split(_ output: [UInt8]) -> (head: String, body: [UInt8]) {
        let end = output.firstRange(of: Array("\r\n\r\n".utf8))!
        return (String(decoding: output[..<end.lowerBound], as: UTF8.self), Array(output[end.upperBound...]))
    }

    /// The payload of a chunked body, and whether it ended with the last chunk.
    func dechunk(_ body: [UInt8]) -> (payload: [UInt8], complete: Bool) {
        var payload: [UInt8] = []
        var index = 0
        while let line = body[index...].firstRange(of: [0x0D, 0x0A]) {
            let size = Int(String(decoding: body[index..<line.lowerBound], as: UTF8.self), radix: 16)!
            if size == 0 { return (payload, line.upperBound + 2 == body.count) }
            payload += body[line.upperBound..<line.upperBound + size]
            index = line.upperBound + size + 2
        }
        return (payload, false)
    }

    @Test func unknownLength_IsSentChunked_AndTheConnectionStaysOpen() {
        let source = Source(total: 300_000)
        var connection = answered("GET /r HTTP/1.1\r\nHost: a\r\n\r\n", source.producer())
        let (head, body) = split(drain(&connection))
        #expect(head.contains("Transfer-Encoding: chunked") && !head.contains("Content-Length"))
        let (payload, complete) = dechunk(body)
        #expect(payload == source.bytes && complete)
        #expect(!connection.isClosing && connection.isDrained)
        #expect(source.released.load(ordering: .relaxed) == 1)
    }

    @Test func gzipClient_GetsTheBodyCodedInChunks() throws {
        let source = Source(total: 300_000)
        var connection = answered(
            "GET /r HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n", source.producer(), compressible: true)
        let (head, body) = split(drain(&connection))
        #expect(head.contains("Content-Encoding: gzip") && head.contains("Transfer-Encoding: chunked"))
        let (payload, complete) = dechunk(body)
        #expect(complete)
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data(payload).write(to: URL(fileURLWithPath: folder + "/b.gz"))
        _ = try shell("gunzip \(folder)/b.gz")
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: folder + "/b"))) == source.bytes)
        #expect(source.released.load(ordering: .relaxed) == 1)
    }

    @Test func knownLength_IsSentWithContentLength_AndAShortBodyCutsTheConnection() {
        let whole = Source(total: 200_000)
        var connection = answered("GET /r HTTP/1.1\r\nHost: a\r\n\r\n", whole.producer(length: 200_000))
        let (head, body) = split(drain(&connection))
        #expect(head.contains("Content-Length: 200000") && !head.contains("chunked"))
        #expect(body == whole.bytes && !connection.isClosing)

        let short = Source(total: 100_000)
        connection = answered("GET /r HTTP/1.1\r\nHost: a\r\n\r\n", short.producer(length: 200_000))
        #expect(split(drain(&connection)).body.count == 100_000)
        #expect(connection.isClosing && connection.isDrained)
        #expect(short.released.load(ordering: .relaxed) == 1)
    }

    @Test func http10Client_GetsTheBodyUntilTheConnectionCloses() {
        let source = Source(total: 150_000)
        var connection = answered("GET /r HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n", source.producer())
        let (head, body) = split(drain(&connection))
        #expect(!head.contains("Content-Length") && !head.contains("chunked") && head.contains("Connection: close"))
        #expect(body == source.bytes && connection.isClosing && connection.isDrained)
    }

    @Test func http10KeepAlive_IsSaidInTheAnswer_WhenTheConnectionStays() {
        for (request, kept) in [
            ("GET /r HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n", true),
            ("GET /r HTTP/1.0\r\nHost: a\r\n\r\n", false), ("GET /r HTTP/1.1\r\nHost: a\r\n\r\n", true),
        ] {
            var connection = HTTPConnection(limits: HTTPLimits(), now: 0)
            connection.receive(Array(request.utf8), now: 0)
            let pending = connection.nextRequest(now: 0)!
            connection.complete(HTTPResponse(status: .ok, body: .bytes(Array("ok".utf8))), serial: pending.serial, now: 0)
            let (head, body) = split(drain(&connection))
            #expect(body == Array("ok".utf8) && connection.isClosing == !kept, "\(request)")
            #expect(head.contains("Connection: keep-alive") == (kept && request.contains("HTTP/1.0")), "\(head)")
            #expect(head.contains("Connection: close") == !kept, "\(head)")
        }
    }

    @Test func head_MakesNothing_AndReleasesTheProducerAtOnce() {
        let source = Source(total: 150_000)
        var connection = answered(
            "HEAD /r HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n", source.producer(), compressible: true)
        #expect(source.released.load(ordering: .relaxed) == 1)
        let (head, body) = split(drain(&connection))
        #expect(head.contains("Content-Encoding: gzip") && body.isEmpty)
        #expect(source.calls.load(ordering: .relaxed) == 0 && !connection.isClosing)
    }

    @Test func failureMidStream_CutsTheConnection_AndReleases() {
        let source = Source(total: 300_000)
        var connection = answered("GET /r HTTP/1.1\r\nHost: a\r\n\r\n", source.producer(failAt: 100_000))
        let (_, body) = split(drain(&connection))
        #expect(!dechunk(body).complete && connection.isClosing && connection.isDrained)
        #expect(source.released.load(ordering: .relaxed) == 1)
    }

    @Test func clientThatDoesNotRead_HoldsAtMostOneChunkPastTheMark() {
        var limits = HTTPLimits()
        limits.outputHighWater = 64 * 1024
        limits.fileChunkBytes = 64 * 1024
        let source = Source(total: 2_000_000)
        do {
            var connection = answered("GET /r HTTP/1.1\r\nHost: a\r\n\r\n", source.producer(piece: 4096), limits: limits)
            // A producer giving 4 KiB a call is asked until the output passes the mark, no more.
            while let read = connection.nextChunkRead() { connection.received(chunk: read.perform(), now: 0) }
            #expect(connection.pendingOutput.count >= limits.outputHighWater)
            #expect(connection.pendingOutput.count < limits.outputHighWater + 4096 + 64)
            #expect(connection.nextChunkRead() == nil)
            // The client goes away: the connection is dropped mid-answer.
            #expect(source.released.load(ordering: .relaxed) == 0)
        }
        #expect(source.released.load(ordering: .relaxed) == 1)
        #expect(source.calls.load(ordering: .relaxed) < 20)
    }

    @Test func deferredRead_IsHandedOutAgain() {
        let source = Source(total: 50_000)
        var connection = answered("GET /r HTTP/1.1\r\nHost: a\r\n\r\n", source.producer())
        #expect(connection.nextChunkRead() != nil)
        #expect(connection.nextChunkRead() == nil)
        connection.deferChunkRead()
        let (_, body) = split(drain(&connection))
        #expect(dechunk(body) == (source.bytes, true))
    }

    @Test func holdingAnnounced_IsWhatTheStreamHolds_InEveryFraming() {
        let limits = HTTPLimits()
        let requests = [
            "GET /r HTTP/1.1\r\nHost: a\r\n\r\n", "GET /r HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n",
            "HEAD /r HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n", "GET /r HTTP/1.0\r\nHost: a\r\n\r\n",
            "GET /r HTTP/1.0\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n",
        ]
        var seen: Set<Int> = []
        for request in requests {
            for length in [nil, 0, 50_000] as [Int?] {
                for compressible in [false, true] {
                    for status in [HTTPStatus.ok, .notModified] {
                        var connection = HTTPConnection(limits: limits, now: 0)
                        connection.receive(Array(request.utf8), now: 0)
                        let pending = connection.nextRequest(now: 0)!
                        let producer = BodyProducer(length: length, holding: 1234, next: { _ in [] })
                        let response = HTTPResponse(status: status, body: .producer(producer), compressible: compressible)
                        let announced = connection.holding(for: response)
                        connection.complete(response, serial: pending.serial, now: 0)
                        #expect(announced == connection.streamHolding, "\(request) \(String(describing: length)) \(compressible) \(status.code)")
                        seen.insert(announced)
                    }
                }
            }
        }
        let plain = limits.outputHighWater + limits.producedChunkBytes + 64 + 1234
        #expect(seen == [0, plain, plain + GzipWriter.memory(windowBits: 13, memoryLevel: 6, bufferBytes: 16 * 1024)])
    }
}
