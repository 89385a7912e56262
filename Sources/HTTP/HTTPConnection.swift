import Gzip

/// The protocol logic of one connection, without the socket: bytes in, requests out,
/// responses in, bytes out, and decisions about deadlines, driven by the caller's clock,
/// so tests need no sockets and no sleeps.
///
/// One request is in flight at a time, as in SwiftNIO's `HTTPServerPipelineHandler`: the
/// next pipelined request is taken only once the previous response is queued and the
/// unsent output has fallen below ``HTTPLimits/outputHighWater``. While a request is in
/// flight or the output is above that mark the connection does not want input, so a
/// client that pipelines and never reads is held by TCP's own flow control instead of
/// growing the server's memory.
public struct HTTPConnection {
    /// Turns a refused request into the response that explains it.
    public typealias ErrorResponder = @Sendable (HTTPError) -> HTTPResponse
    /// The refusal of a request that its head alone decides (a foreign Host, an unknown
    /// path, a wrong content type), asked before its body is read when the client waits for
    /// `100 Continue`; nil lets the body come. Runs on the event loop: it must not block.
    public typealias Screen = @Sendable (HTTPRequest) -> HTTPResponse?

    private let limits: HTTPLimits
    private let errorResponder: ErrorResponder
    private let screen: Screen
    private var decoder: HTTPDecoder
    private var output: [UInt8] = []
    private var outputStart = 0
    private var stream: Stream?
    private var inFlight: Pending?
    private var serial = 0
    /// No further requests are read; the connection closes once the output is written.
    public private(set) var isClosing = false
    /// A request was refused (its answer explains why) and the client may still be sending
    /// it: once the answer is written, what arrives is drained before the close
    /// (``HTTPLimits/refusedDrainBytes``).
    public private(set) var drainsBeforeClose = false
    private var phaseStartedAt: Double
    private var lastWriteProgress: Double

    /// What the response to the request in flight needs to know about it.
    private struct Pending {
        let serial: Int
        let isHead: Bool
        let acceptsGzip: Bool
        let minorVersion: Int
        let keepAlive: Bool
        let dispatchedAt: Double
    }

    /// A body being streamed, optionally gzip-coded in chunks.
    private struct Stream {
        let source: Source
        /// Bytes taken from the source so far.
        var offset = 0
        let gzip: GzipWriter?
        let chunks: ChunkBox?
        /// Sent with chunked coding: gzip-coded, or produced with no length known.
        let chunked: Bool
        /// A chunk has been handed out by ``nextChunkRead()`` and not yet received.
        var reading = false
        /// What it holds while it lasts (``HTTPLimits/streamHolding(fileChunk:producerHolding:coded:)``).
        let holding: Int
    }

    /// Where a streamed body comes from.
    enum Source: Sendable {
        case file(FileBody)
        case producer(BodyProducer)
    }

    /// A read of the streaming body (a file's chunk, or a producer's next), for the caller
    /// to do off the event loop and hand back to ``received(chunk:now:)``.
    public struct ChunkRead: Sendable {
        let source: Source
        let offset: Int
        let count: Int

        /// Whether the chunk is made by a producer (work that belongs on the blocking pool
        /// however long its queue), not read from a file.
        public var isProduced: Bool {
            if case .producer = source { return true }
            return false
        }

        /// Reads or produces the chunk; a producer's empty chunk ends its body.
        public func perform() -> Result<[UInt8], FileBody.Failure> {
            switch source {
            case .file(let file):
                return Result { () throws(FileBody.Failure) in try file.read(at: offset, maximum: count) }
            case .producer(let producer):
                do {
                    return .success(try producer.next(maximum: count))
                } catch {
                    return .failure(.failed("\(error)"))
                }
            }
        }
    }

    /// Collects the gzip writer's output between refills.
    private final class ChunkBox {
        var chunks: [[UInt8]] = []
    }

    /// A new connection opened at `now` (seconds on any monotonic clock).
    public init(
        limits: HTTPLimits, now: Double, errorResponder: @escaping ErrorResponder = HTTPConnection.plainError,
        screen: @escaping Screen = { _ in nil }
    ) {
        self.limits = limits
        self.errorResponder = errorResponder
        self.screen = screen
        decoder = HTTPDecoder(limits: limits)
        phaseStartedAt = now
        lastWriteProgress = now
    }

    /// The default error answer: the status and message as plain text.
    public static let plainError: ErrorResponder = { .text($0.status, $0.message + "\n") }

    /// What the body streaming now holds, reserved in the bound on bytes held for clients
    /// (``HTTPLimits/maximumQueuedBytes``); 0 when none streams. It falls to 0 however the
    /// stream ends: completed, cut by a failed read, or with the connection.
    public var streamHolding: Int { stream?.holding ?? 0 }

    /// What `response`, given now to the request in flight, would hold for its client: what
    /// its stream holds (``streamHolding``) when it gets one, the body when it is in memory
    /// and above the high water mark (a smaller one is never refused), else 0. The caller
    /// reserves it before ``complete(_:serial:now:)`` and answers 503 instead when it cannot.
    public func holding(for response: HTTPResponse) -> Int {
        guard let pending = inFlight else { return 0 }
        let (streams, coded) = plan(response, for: pending)
        switch response.body {
        case .bytes(let body):
            return body.count > limits.outputHighWater ? body.count : 0
        case .file:
            return streams ? limits.streamHolding(fileChunk: limits.fileChunkBytes, producerHolding: 0, coded: coded) : 0
        case .producer(let producer):
            return streams
                ? limits.streamHolding(
                    fileChunk: limits.producedChunkBytes, producerHolding: producer.holding, coded: coded) : 0
        }
    }

    /// Whether `response` to `request` streams its body (a file or producer body, with a
    /// body to send) and whether it is gzip-coded as it streams: what ``queue(_:for:)`` does.
    private func plan(_ response: HTTPResponse, for request: Pending?) -> (streams: Bool, coded: Bool) {
        let noBody =
            (request?.isHead ?? false) || response.status.code == 204 || response.status.code == 304
        let coded =
            response.compressible && (request?.acceptsGzip ?? false) && (request?.minorVersion ?? 0) >= 1
        switch response.body {
        case .bytes: return (false, false)
        case .file(let file): return (!noBody && (coded || file.size > 0), coded)
        case .producer(let producer): return (!noBody && (coded || producer.length.map { $0 > 0 } ?? true), coded)
        }
    }

    /// Bytes waiting to be written.
    public var pendingOutput: ArraySlice<UInt8> { output[outputStart...] }

    /// Whether everything queued has been written and no body is streaming.
    public var isDrained: Bool { outputStart == output.count && stream == nil }

    /// Whether the connection sits between requests with nothing to write.
    public var isIdle: Bool { isDrained && inFlight == nil && decoder.phase == .idle }

    /// Whether a request has been taken and its response not yet given.
    public var isAwaitingResponse: Bool { inFlight != nil }

    /// Whether more bytes from the client are wanted now. False while a request is in
    /// flight, a body streams or the output is above the high water mark: the caller then
    /// stops reading, and TCP pushes back on the client.
    public var wantsInput: Bool {
        !isClosing && inFlight == nil && stream == nil && output.count - outputStart < limits.outputHighWater
    }

    /// Takes received bytes; requests are taken from them with ``nextRequest(now:)``.
    public mutating func receive(_ bytes: some Collection<UInt8>, now: Double) {
        guard !isClosing else { return }
        let wasIdle = decoder.phase == .idle
        decoder.feed(bytes)
        if wasIdle && decoder.phase != .idle { phaseStartedAt = now }
    }

    /// The next complete request, when one is buffered and the connection is ready for it;
    /// it stays in flight until ``complete(_:serial:now:)`` is given its response. A
    /// refused request queues its error answer and closes the connection.
    public mutating func nextRequest(now: Double) -> (serial: Int, request: HTTPRequest)? {
        while !isClosing && inFlight == nil && stream == nil && output.count - outputStart < limits.outputHighWater {
            let event: HTTPDecoder.Event?
            do {
                event = try decoder.next()
            } catch {
                refuse(errorResponder(error), isHead: decoder.readsHeadRequest, minorVersion: 1, acceptsGzip: false, now: now)
                return nil
            }
            switch event {
            case nil:
                return nil
            case .continueExpected(let head):
                // A client that waits for 100 Continue would otherwise upload its body only
                // to read a refusal (RFC 9110 §10.1.1 lets a server answer at once). Its body
                // may still come (a client need not wait): what arrives is drained, then the
                // connection closed.
                if let refusal = screen(head) {
                    refuse(
                        refusal, isHead: head.method == "HEAD", minorVersion: head.minorVersion,
                        acceptsGzip: head.acceptsGzip, now: now)
                    return nil
                }
                output += Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
            case .request(let request):
                serial += 1
                inFlight = Pending(
                    serial: serial, isHead: request.method == "HEAD", acceptsGzip: request.acceptsGzip,
                    minorVersion: request.minorVersion, keepAlive: request.keepAlive, dispatchedAt: now)
                return (serial, request)
            }
        }
        return nil
    }

    /// Bytes held of requests not yet whole (``HTTPDecoder/receivingBytes``).
    public var receivingBytes: Int { decoder.receivingBytes }

    /// Refuses the request being received with `response` (a 503 when the server holds too
    /// much such input), dropping what it holds of it, then closes once it is written.
    public mutating func refuseReceiving(_ response: HTTPResponse, now: Double) {
        let isHead = decoder.readsHeadRequest
        decoder.discardInput()
        refuse(response, isHead: isHead, minorVersion: 1, acceptsGzip: false, now: now)
    }

    /// Queues the refusal of a request not taken (its head refused), then closes: what the
    /// client may still send of it is drained first. A HEAD's answer is its head alone
    /// (RFC 9110 §9.3.2), a refusal's too.
    private mutating func refuse(_ response: HTTPResponse, isHead: Bool, minorVersion: Int, acceptsGzip: Bool, now: Double) {
        isClosing = true
        drainsBeforeClose = true
        let request = Pending(
            serial: serial, isHead: isHead, acceptsGzip: acceptsGzip, minorVersion: minorVersion, keepAlive: false,
            dispatchedAt: now)
        queue(response, for: request)
    }

    /// Queues the response to the request in flight. Returns false, changing nothing, when
    /// `serial` is not that request's (it was answered already or timed out).
    @discardableResult
    public mutating func complete(_ response: HTTPResponse, serial: Int, now: Double) -> Bool {
        guard let pending = inFlight, pending.serial == serial else { return false }
        inFlight = nil
        if !pending.keepAlive { isClosing = true }
        queue(response, for: pending)
        lastWriteProgress = now
        if decoder.phase == .idle { phaseStartedAt = now }
        return true
    }

    /// Records that `count` bytes of ``pendingOutput`` were written.
    public mutating func wrote(_ count: Int, now: Double) {
        outputStart += count
        if count > 0 { lastWriteProgress = now }
        if outputStart == output.count {
            output.removeAll(keepingCapacity: output.capacity <= 4 * limits.outputHighWater)
            outputStart = 0
        }
    }

    /// The next chunk of the streaming body to read, when one streams, no read is under
    /// way and the output is below the high water mark. File reads can wait on a disk and
    /// producers build their chunks, so the connection does neither itself.
    public mutating func nextChunkRead() -> ChunkRead? {
        guard var current = stream, !current.reading, output.count - outputStart < limits.outputHighWater else {
            return nil
        }
        current.reading = true
        stream = current
        switch current.source {
        case .file(let file):
            return ChunkRead(
                source: current.source, offset: current.offset,
                count: min(limits.fileChunkBytes, file.size - current.offset))
        case .producer:
            return ChunkRead(source: current.source, offset: current.offset, count: limits.producedChunkBytes)
        }
    }

    /// Takes back the read ``nextChunkRead()`` handed out, not done (the pool was full): it
    /// is handed out again on a later call.
    public mutating func deferChunkRead() {
        guard var current = stream, current.reading else { return }
        current.reading = false
        stream = current
    }

    /// Whether the connection should be dropped at `now` because a deadline has passed. A
    /// slow request gets a 408, and a request its handler did not answer in time a 503,
    /// queued first when nothing else is being written.
    public mutating func expire(now: Double) -> Bool {
        if let pending = inFlight {
            guard now - pending.dispatchedAt > limits.handlerTimeout else { return false }
            inFlight = nil
            isClosing = true
            lastWriteProgress = now
            var response = errorResponder(HTTPError(.serviceUnavailable, "the server took too long to answer"))
            response.headers.append(("Retry-After", "5"))
            queue(response, for: pending)
            return false
        }
        if !isDrained { return now - lastWriteProgress > limits.writeTimeout }
        switch decoder.phase {
        case .idle:
            return isClosing || now - phaseStartedAt > limits.idleTimeout
        case .head where now - phaseStartedAt > limits.headerTimeout,
            .body where now - phaseStartedAt > limits.requestTimeout:
            if !isClosing {
                isClosing = true
                lastWriteProgress = now
                queue(errorResponder(HTTPError(.requestTimeout, "the request was not received in time")), for: nil)
                return false
            }
            return true
        default:
            return false
        }
    }

    /// The fields a gzip-coded answer adds, and the one a compressible answer sent as it is
    /// adds: made once, not for every answer.
    private static let codedFields: [(String, String)] = [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")]
    private static let varyField: [(String, String)] = [("Vary", "Accept-Encoding")]

    /// Serializes a response; `request` is nil for a refused request.
    private mutating func queue(_ original: HTTPResponse, for request: Pending?) {
        var response = original
        let keepAlive = !isClosing
        let isHead = request?.isHead ?? false
        // An HTTP/1.0 client keeps its connection only when the answer says so (RFC 9112
        // Appendix C.2.2); without it, one that reads to the end of the connection would wait.
        if keepAlive && (request?.minorVersion ?? 1) == 0 { response.headers.append(("Connection", "keep-alive")) }
        // A HEAD answer carries the same fields a GET would, coding included (RFC 9110 §9.3.2).
        let gzip = response.compressible && (request?.acceptsGzip ?? false)
        let noBody = isHead || response.status.code == 204 || response.status.code == 304
        let date = HTTPDate.now()
        let coded = Self.codedFields
        switch response.body {
        case .bytes(var body):
            var extra = response.compressible ? Self.varyField : []
            if gzip && body.count >= HTTPResponse.smallestCodedBody, let compressed = try? GzipWriter.compress(body, level: 5) {
                body = compressed
                extra = coded
                response.tagCoding()
            }
            response.writeHead(
                into: &output, contentLength: body.count, chunked: false, keepAlive: keepAlive, date: date, extra: extra)
            if !noBody { output += body }
        case .file(let file):
            // A gzip-coded file has no length known in advance, so it needs chunked coding.
            if gzip && (request?.minorVersion ?? 0) >= 1 {
                response.tagCoding()
                response.writeHead(into: &output, contentLength: nil, chunked: true, keepAlive: keepAlive, date: date, extra: coded)
                guard !noBody else { return }
                startCoded(.file(file))
            } else {
                let extra = response.compressible ? Self.varyField : []
                response.writeHead(
                    into: &output, contentLength: file.size, chunked: false, keepAlive: keepAlive, date: date, extra: extra)
                if !noBody && file.size > 0 {
                    stream = Stream(
                        source: .file(file), gzip: nil, chunks: nil, chunked: false,
                        holding: limits.streamHolding(fileChunk: limits.fileChunkBytes, producerHolding: 0, coded: false))
                }
            }
        case .producer(let producer):
            let http11 = (request?.minorVersion ?? 0) >= 1
            if gzip && http11 {
                response.tagCoding()
                response.writeHead(into: &output, contentLength: nil, chunked: true, keepAlive: keepAlive, date: date, extra: coded)
                guard !noBody else { return }
                startCoded(.producer(producer))
                return
            }
            let extra = response.compressible ? Self.varyField : []
            if let length = producer.length {
                response.writeHead(
                    into: &output, contentLength: length, chunked: false, keepAlive: keepAlive, date: date, extra: extra)
                if !noBody && length > 0 {
                    stream = Stream(
                        source: .producer(producer), gzip: nil, chunks: nil, chunked: false,
                        holding: holding(producer, coded: false))
                }
            } else if http11 {
                response.writeHead(into: &output, contentLength: nil, chunked: true, keepAlive: keepAlive, date: date, extra: extra)
                if !noBody {
                    stream = Stream(
                        source: .producer(producer), gzip: nil, chunks: nil, chunked: true,
                        holding: holding(producer, coded: false))
                }
            } else {
                // HTTP/1.0 has no chunked coding: the body ends where the connection does.
                if !noBody {
                    isClosing = true
                    response.headers.removeAll { $0.name == "Connection" }
                }
                response.writeHead(
                    into: &output, contentLength: nil, chunked: false, keepAlive: keepAlive && noBody, date: date, extra: extra)
                if !noBody {
                    stream = Stream(
                        source: .producer(producer), gzip: nil, chunks: nil, chunked: false,
                        holding: holding(producer, coded: false))
                }
            }
        }
    }

    /// What a stream of `producer`'s body holds.
    private func holding(_ producer: BodyProducer, coded: Bool) -> Int {
        limits.streamHolding(fileChunk: limits.producedChunkBytes, producerHolding: producer.holding, coded: coded)
    }

    /// Streams `source` gzip-coded in chunks, with the smaller window of
    /// ``HTTPLimits/codedStreamWindowBits``; without a writer the connection is cut.
    private mutating func startCoded(_ source: Source) {
        let box = ChunkBox()
        guard
            let writer = try? GzipWriter(
                level: 5, windowBits: limits.codedStreamWindowBits, memoryLevel: limits.codedStreamMemoryLevel,
                bufferBytes: limits.producedChunkBytes, sink: { box.chunks.append($0) })
        else {
            isClosing = true
            return
        }
        let holding: Int
        switch source {
        case .file: holding = limits.streamHolding(fileChunk: limits.fileChunkBytes, producerHolding: 0, coded: true)
        case .producer(let producer): holding = self.holding(producer, coded: true)
        }
        stream = Stream(source: source, gzip: writer, chunks: box, chunked: true, holding: holding)
    }

    /// Moves a chunk read for ``nextChunkRead()`` into the output. A file is read by offset
    /// up to the size it had when opened, and a producer of known length must give exactly
    /// that many bytes: a body that falls short or overruns cuts the connection, since its
    /// length was promised; so does a failed read or production.
    public mutating func received(chunk: Result<[UInt8], FileBody.Failure>, now: Double) {
        guard var current = stream, current.reading else { return }
        current.reading = false
        guard case .success(let bytes) = chunk else { return abandonStream() }
        // What was written goes before more is added, so a client that reads slowly but
        // never quite catches up holds what is unsent, not all it was ever sent; with room
        // for the mark and a chunk reserved once, the buffer is never reallocated.
        if outputStart > 0 {
            output.removeFirst(outputStart)
            outputStart = 0
        }
        if case .file = current.source {
            output.reserveCapacity(limits.outputHighWater + limits.fileChunkBytes + 64)
        } else {
            output.reserveCapacity(limits.outputHighWater + limits.producedChunkBytes + 64)
        }
        let done: Bool
        switch current.source {
        case .file(let file):
            guard bytes.count == min(limits.fileChunkBytes, file.size - current.offset) else { return abandonStream() }
            current.offset += bytes.count
            done = current.offset == file.size
        case .producer(let producer):
            current.offset += bytes.count
            if let length = producer.length {
                guard current.offset <= length, !bytes.isEmpty || current.offset == length else {
                    return abandonStream()
                }
                done = current.offset == length
            } else {
                done = bytes.isEmpty
            }
        }
        if let gzip = current.gzip, let box = current.chunks {
            do {
                try gzip.write(bytes)
                if done {
                    try gzip.finish()
                } else if case .producer = current.source {
                    // A produced chunk goes out as soon as it is made, as one gzip stream
                    // flushed per chunk, not held until zlib's buffers fill.
                    try gzip.flush()
                }
            } catch {
                return abandonStream()
            }
            for piece in box.chunks where !piece.isEmpty { appendChunk(piece) }
            box.chunks.removeAll()
        } else if current.chunked {
            if !bytes.isEmpty { appendChunk(bytes) }
        } else {
            output += bytes
        }
        if done && current.chunked { output += Array("0\r\n\r\n".utf8) }
        stream = done ? nil : current
    }

    /// One piece of chunked transfer coding.
    private mutating func appendChunk(_ piece: [UInt8]) {
        output += Array(String(piece.count, radix: 16).utf8) + [0x0D, 0x0A]
        output += piece
        output += [0x0D, 0x0A]
    }

    /// The head is already sent: all that can be done is to cut the connection.
    private mutating func abandonStream() {
        stream = nil
        isClosing = true
    }
}

extension HTTPResponse {
    /// Marks a strong entity tag as that of the gzip-coded representation, which must not
    /// share the identity coding's tag (RFC 9110 §8.8.3).
    public mutating func tagCoding() {
        headers = headers.map { field in
            guard field.name == "ETag", field.value.hasSuffix("\"") else { return field }
            return (field.name, field.value.dropLast() + "-gzip\"")
        }
    }
}
