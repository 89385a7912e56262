import Gzip

/// The protocol logic of one connection, without the socket: bytes in, bytes out, and
/// decisions about deadlines, driven by the caller's clock, so tests need no sockets and
/// no sleeps.
///
/// Pipelined requests are answered in order: a request is handled only once every earlier
/// response has been queued, and a streamed body holds later requests back until it ends.
public struct HTTPConnection {
    /// Turns a request into a response.
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse
    /// Turns a refused request into the response that explains it.
    public typealias ErrorResponder = @Sendable (HTTPError) -> HTTPResponse

    private let limits: HTTPLimits
    private var decoder: HTTPDecoder
    private var output: [UInt8] = []
    private var outputStart = 0
    private var stream: Stream?
    /// No further requests are read; the connection closes once the output is written.
    public private(set) var isClosing = false
    private var phaseStartedAt: Double
    private var lastWriteProgress: Double

    /// A body being streamed: a source, optionally gzip-coded, optionally chunked.
    private struct Stream {
        let source: BodySource
        let gzip: GzipWriter?
        let chunked: Bool
    }

    /// A new connection opened at `now` (seconds on any monotonic clock).
    public init(limits: HTTPLimits, now: Double) {
        self.limits = limits
        decoder = HTTPDecoder(limits: limits)
        phaseStartedAt = now
        lastWriteProgress = now
    }

    /// Bytes waiting to be written.
    public var pendingOutput: ArraySlice<UInt8> { output[outputStart...] }

    /// Whether everything queued has been written and no body is streaming.
    public var isDrained: Bool { outputStart == output.count && stream == nil }

    /// Whether the connection sits between requests with nothing to write.
    public var isIdle: Bool { isDrained && decoder.phase == .idle }

    /// Takes received bytes and answers every complete request.
    public mutating func receive(
        _ bytes: some Collection<UInt8>, now: Double, handler: Handler, errorResponder: ErrorResponder
    ) {
        guard !isClosing else { return }
        let wasIdle = decoder.phase == .idle
        decoder.feed(bytes)
        if wasIdle && decoder.phase != .idle { phaseStartedAt = now }
        answer(now: now, handler: handler, errorResponder: errorResponder)
    }

    /// Records that `count` bytes of ``pendingOutput`` were written, and refills the output
    /// from a streaming body (then answers requests that were waiting behind it).
    public mutating func wrote(_ count: Int, now: Double, handler: Handler, errorResponder: ErrorResponder) {
        outputStart += count
        if count > 0 { lastWriteProgress = now }
        if outputStart == output.count {
            output.removeAll(keepingCapacity: true)
            outputStart = 0
            if stream != nil {
                refill()
                if stream == nil { answer(now: now, handler: handler, errorResponder: errorResponder) }
            }
        }
    }

    /// Whether the connection should be dropped at `now` because a deadline has passed. A
    /// slow request gets a 408 queued first when nothing else is being written.
    public mutating func expire(now: Double) -> Bool {
        if !isDrained { return now - lastWriteProgress > limits.writeTimeout }
        switch decoder.phase {
        case .idle:
            return isClosing || now - phaseStartedAt > limits.idleTimeout
        case .head where now - phaseStartedAt > limits.headerTimeout,
            .body where now - phaseStartedAt > limits.requestTimeout:
            if !isClosing {
                isClosing = true
                lastWriteProgress = now
                queue(.text(.requestTimeout, "request timed out\n"), for: nil)
                return false
            }
            return true
        default:
            return false
        }
    }

    private mutating func answer(now: Double, handler: Handler, errorResponder: ErrorResponder) {
        while stream == nil && !isClosing {
            let event: HTTPDecoder.Event?
            do {
                event = try decoder.next()
            } catch {
                isClosing = true
                queue(errorResponder(error), for: nil)
                return
            }
            switch event {
            case nil:
                return
            case .continueExpected:
                output += Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
            case .request(let request):
                let response = handler(request)
                if !request.keepAlive { isClosing = true }
                queue(response, for: request)
                if decoder.phase == .idle { phaseStartedAt = now }
            }
        }
    }

    /// Serializes a response; `request` is nil for a refused request.
    private mutating func queue(_ response: HTTPResponse, for request: HTTPRequest?) {
        let keepAlive = !isClosing
        let isHead = request?.method == "HEAD"
        let gzip = response.compressible && (request?.acceptsGzip ?? false) && !isHead
        let noBody = isHead || response.status.code == 204 || response.status.code == 304
        switch response.body {
        case .bytes(var body):
            var extra: [(String, String)] = []
            if gzip && body.count > 256, let compressed = try? GzipWriter.compress(body, level: 5) {
                body = compressed
                extra = [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")]
            }
            output += response.head(contentLength: body.count, chunked: false, keepAlive: keepAlive, extra: extra)
            if !noBody { output += body }
        case .file(let path, let size):
            guard !noBody, let source = FileBodySource(path: path) else {
                output += response.head(contentLength: size, chunked: false, keepAlive: keepAlive, extra: [])
                return
            }
            // A gzip-coded file has no length known in advance, so it needs chunked coding.
            if gzip && (request?.minorVersion ?? 0) >= 1 {
                let box = ChunkBox()
                stream = Stream(
                    source: source, gzip: try? GzipWriter(level: 5) { box.chunks.append($0) }, chunked: true)
                streamBox = box
                output += response.head(
                    contentLength: nil, chunked: true, keepAlive: keepAlive,
                    extra: [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")])
            } else {
                stream = Stream(source: source, gzip: nil, chunked: false)
                output += response.head(contentLength: size, chunked: false, keepAlive: keepAlive, extra: [])
            }
        }
    }

    private var streamBox: ChunkBox?

    /// Collects the gzip writer's output between refills.
    private final class ChunkBox {
        var chunks: [[UInt8]] = []
    }

    /// Moves the next chunk of the streaming body into the output.
    private mutating func refill() {
        guard let current = stream else { return }
        let chunk: [UInt8]
        do {
            chunk = try current.source.read(maximum: 64 * 1024)
        } catch {
            // The head is already sent: all that can be done is to cut the connection.
            stream = nil
            isClosing = true
            return
        }
        guard current.chunked, let gzip = current.gzip, let box = streamBox else {
            if chunk.isEmpty { stream = nil } else { output += chunk }
            return
        }
        do {
            if chunk.isEmpty { try gzip.finish() } else { try gzip.write(chunk) }
        } catch {
            stream = nil
            isClosing = true
            return
        }
        for piece in box.chunks where !piece.isEmpty {
            output += Array(String(piece.count, radix: 16).utf8) + [0x0D, 0x0A] + piece + [0x0D, 0x0A]
        }
        box.chunks.removeAll()
        if chunk.isEmpty {
            output += Array("0\r\n\r\n".utf8)
            stream = nil
            streamBox = nil
        } else if output.isEmpty {
            // zlib buffered everything: read on until it produces output.
            refill()
        }
    }
}
