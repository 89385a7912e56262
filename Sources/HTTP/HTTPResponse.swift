/// A response, its body in memory, streamed from a file or produced as the client reads.
public struct HTTPResponse: Sendable {
    /// Where the body comes from.
    public enum Body: Sendable {
        /// Bytes in memory.
        case bytes([UInt8])
        /// An open file, streamed in chunks, never loaded whole.
        case file(FileBody)
        /// Bytes made a chunk at a time as the client reads, never held whole.
        case producer(BodyProducer)
    }

    /// The status.
    public var status: HTTPStatus
    /// Header fields besides Content-Length, Transfer-Encoding, Connection and Date.
    public var headers: [(name: String, value: String)]
    /// The body.
    public var body: Body
    /// Whether the body may be gzip-coded for a client that accepts it.
    public var compressible: Bool

    /// Creates a response.
    public init(
        status: HTTPStatus, headers: [(name: String, value: String)] = [], body: Body = .bytes([]),
        compressible: Bool = false
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.compressible = compressible
    }

    /// A text response.
    public static func text(_ status: HTTPStatus, _ text: String, type: String = "text/plain; charset=utf-8")
        -> HTTPResponse
    {
        HTTPResponse(status: status, headers: [("Content-Type", type)], body: .bytes(Array(text.utf8)))
    }

    /// The whole response with `Connection: close`, for a response whose body is in memory;
    /// a file or produced body is left out.
    func serialized() -> [UInt8] {
        guard case .bytes(let body) = body else {
            return head(contentLength: 0, chunked: false, keepAlive: false, date: HTTPDate.now(), extra: [])
        }
        return head(contentLength: body.count, chunked: false, keepAlive: false, date: HTTPDate.now(), extra: [])
            + body
    }

    /// The length of the head this response gets with a body of `length` bytes, for tests
    /// that fill a buffer to an exact size.
    package func headBytes(length: Int) -> Int {
        head(contentLength: length, chunked: false, keepAlive: true, date: HTTPDate.now(), extra: []).count
    }

    /// Bodies in memory this short are sent as they are even to a client that takes gzip:
    /// the coding's header and trailer would outweigh what it saves.
    public static let smallestCodedBody = 257

    /// Whether this response goes out gzip-coded to `request`, and so carries the entity
    /// tag of the coded representation: a compressible body the client accepts gzip for,
    /// in memory and not tiny, or a file or produced body to an HTTP/1.1 client (it needs
    /// chunked coding). A 304 answers with the tag the full answer would have had (RFC 9110 §15.4.5).
    public func isCoded(for request: HTTPRequest) -> Bool {
        guard compressible, request.acceptsGzip else { return false }
        switch body {
        case .bytes(let bytes): return bytes.count >= Self.smallestCodedBody
        case .file, .producer: return request.minorVersion >= 1
        }
    }

    /// The first field named `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { HTTPRequest.equalIgnoringCase($0.name, name) }?.value
    }

    /// The status line and header section, ending with the empty line.
    func head(contentLength: Int?, chunked: Bool, keepAlive: Bool, date: String, extra: [(String, String)])
        -> [UInt8]
    {
        var out: [UInt8] = []
        out.reserveCapacity(192)
        writeHead(into: &out, contentLength: contentLength, chunked: chunked, keepAlive: keepAlive, date: date, extra: extra)
        return out
    }

    /// Appends ``head(contentLength:chunked:keepAlive:date:extra:)`` to `out`: a connection
    /// writes it straight into its output, which keeps its capacity between answers.
    func writeHead(
        into out: inout [UInt8], contentLength: Int?, chunked: Bool, keepAlive: Bool, date: String,
        extra: [(String, String)]
    ) {
        out.append(literal: "HTTP/1.1 ")
        out.append(decimal: status.code)
        out.append(0x20)
        out.append(utf8: status.reason)
        out.append(literal: "\r\nDate: ")
        out.append(utf8: date)
        out.append(literal: "\r\n")
        for (name, value) in headers {
            Self.appendField(name, value, to: &out)
        }
        for (name, value) in extra {
            Self.appendField(name, value, to: &out)
        }
        // RFC 9110 §8.6: no Content-Length in a 1xx or 204 response, nor in a 304, where it
        // would have to be the length of the 200's body, which the 304 does not carry.
        if let contentLength, status.code != 204, status.code != 304, status.code >= 200 {
            out.append(literal: "Content-Length: ")
            out.append(decimal: contentLength)
            out.append(literal: "\r\n")
        }
        if chunked { out.append(literal: "Transfer-Encoding: chunked\r\n") }
        if !keepAlive { out.append(literal: "Connection: close\r\n") }
        out.append(literal: "\r\n")
    }

    private static func appendField(_ name: String, _ value: String, to out: inout [UInt8]) {
        out.append(utf8: name)
        out.append(literal: ": ")
        out.append(utf8: value)
        out.append(literal: "\r\n")
    }
}
