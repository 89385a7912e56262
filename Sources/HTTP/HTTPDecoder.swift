/// Turns bytes into HTTP/1.1 requests (RFC 9112). A plain value: fed bytes, never a socket,
/// so tests can feed it literals, one byte at a time if they like.
///
/// It is strict where leniency lets two parties read one message differently (request
/// smuggling): bare LF, obsolete line folding, whitespace before a colon, repeated or
/// malformed Content-Length, and Content-Length beside Transfer-Encoding are all refused.
public struct HTTPDecoder {
    /// What the decoder has found.
    public enum Event {
        /// A complete request.
        case request(HTTPRequest)
        /// A request's head (its body not yet read) asked for `100 Continue` before its body
        /// is sent.
        case continueExpected(HTTPRequest)
    }

    /// Where the decoder is within a request, for timeouts.
    public enum Phase: Equatable, Sendable {
        /// Between requests: no byte of the next one yet.
        case idle
        /// Reading the request line and header fields.
        case head
        /// Reading the body.
        case body
    }

    private enum State {
        case requestLine
        case headers
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case failed(HTTPError)
    }

    private let limits: HTTPLimits
    private var buffer: [UInt8] = []
    /// Bytes before `start` are consumed.
    private var start = 0
    /// Where the search for the current line's end resumes, so byte-at-a-time input stays linear.
    private var scanned = 0
    private var state = State.requestLine
    private var request = HTTPRequest(method: "", target: "")
    private var headerBytes = 0
    private var trailerCount = 0

    /// A decoder enforcing `limits`.
    public init(limits: HTTPLimits = HTTPLimits()) { self.limits = limits }

    /// Adds received bytes.
    public mutating func feed(_ bytes: some Collection<UInt8>) {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            scanned -= start
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Bytes held of requests not yet whole: input not yet taken, and the body read so far.
    public var receivingBytes: Int { buffer.count - start + request.body.count }

    /// Drops what is held of requests not yet whole: the connection is refused and closing.
    public mutating func discardInput() {
        buffer = []
        start = 0
        scanned = 0
        request.body = []
    }

    /// Whether the request being read is a HEAD (its method read): the answer to one refused
    /// in its head has no body either.
    public private(set) var readsHeadRequest = false

    /// Where the decoder is within a request.
    public var phase: Phase {
        switch state {
        case .requestLine: start < buffer.count ? .head : .idle
        case .headers: .head
        default: .body
        }
    }

    /// The next complete request or event, nil when more bytes are needed. After an error
    /// every call throws it again: the stream cannot be trusted past it.
    public mutating func next() throws(HTTPError) -> Event? {
        if case .failed(let error) = state { throw error }
        do {
            return try advance()
        } catch {
            state = .failed(error)
            throw error
        }
    }

    private mutating func advance() throws(HTTPError) -> Event? {
        while true {
            switch state {
            case .failed(let error):
                throw error
            case .requestLine:
                guard let line = try line(limit: limits.maximumRequestLineBytes, status: .uriTooLong) else {
                    return nil
                }
                // RFC 9112 §2.2: ignore empty lines before a request line.
                if line.isEmpty { continue }
                try parseRequestLine(line)
                headerBytes = 0
                state = .headers
            case .headers:
                // The limit counts each line with its CRLF.
                let remaining = limits.maximumHeaderBytes - headerBytes - 2
                guard let line = try line(limit: remaining, status: .headerFieldsTooLarge) else { return nil }
                headerBytes += line.count + 2
                if line.isEmpty {
                    if let event = try endOfHead() { return event }
                    continue
                }
                try parseField(line, into: &request.headers)
            case .body(let remaining):
                let left = takeBody(remaining)
                guard left == 0 else {
                    state = .body(remaining: left)
                    return nil
                }
                return .request(finish())
            case .chunkSize:
                guard let line = try line(limit: 1024, status: .badRequest) else { return nil }
                let size = try parseChunkSize(line)
                if size == 0 {
                    trailerCount = 0
                    state = .trailers
                } else {
                    guard request.body.count + size <= limits.maximumBodyBytes else {
                        throw HTTPError(.contentTooLarge, "the body is larger than \(limits.maximumBodyBytes) bytes")
                    }
                    state = .chunkData(remaining: size)
                }
            case .chunkData(let remaining):
                let left = takeBody(remaining)
                guard left == 0 else {
                    state = .chunkData(remaining: left)
                    return nil
                }
                state = .chunkDataEnd
            case .chunkDataEnd:
                guard buffer.count - start >= 2 else { return nil }
                guard buffer[start] == 0x0D && buffer[start + 1] == 0x0A else {
                    throw HTTPError(.badRequest, "chunk data is not followed by CRLF")
                }
                start += 2
                scanned = start
                state = .chunkSize
            case .trailers:
                // The limit counts each line with its CRLF.
                let remaining = limits.maximumHeaderBytes - headerBytes - 2
                guard let line = try line(limit: remaining, status: .headerFieldsTooLarge) else { return nil }
                headerBytes += line.count + 2
                if line.isEmpty { return .request(finish()) }
                var ignored: [(name: String, value: String)] = []
                try parseField(line, into: &ignored)
                trailerCount += 1
                guard trailerCount <= limits.maximumHeaderCount else {
                    throw HTTPError(.headerFieldsTooLarge, "more than \(limits.maximumHeaderCount) trailer fields")
                }
            }
        }
    }

    /// Moves up to `remaining` buffered bytes into the body; returns how many are still due.
    private mutating func takeBody(_ remaining: Int) -> Int {
        let available = min(remaining, buffer.count - start)
        request.body += buffer[start..<start + available]
        start += available
        scanned = start
        return remaining - available
    }

    private mutating func finish() -> HTTPRequest {
        let done = request
        request = HTTPRequest(method: "", target: "")
        readsHeadRequest = false
        state = .requestLine
        return done
    }

    /// The next line without its CRLF, nil when incomplete; refuses lines over `limit` and
    /// bare LF (RFC 9112 §2.2 allows refusing it, and refusing closes a smuggling door).
    private mutating func line(limit: Int, status: HTTPStatus) throws(HTTPError) -> ArraySlice<UInt8>? {
        let from = max(scanned, start)
        // Searched in the buffer's memory: indexing the array byte by byte checks bounds each time.
        let index = buffer.withUnsafeBufferPointer { bytes in
            UnsafeBufferPointer(rebasing: bytes[from...]).firstIndex(of: 0x0A).map { $0 + from } ?? bytes.count
        }
        guard index < buffer.count else {
            scanned = index
            if index - start > limit {
                throw HTTPError(
                    status, status == .uriTooLong ? "the request line is too long" : "the header section is too large")
            }
            return nil
        }
        guard index > start && buffer[index - 1] == 0x0D else {
            throw HTTPError(.badRequest, "line ends with a bare LF")
        }
        guard index - 1 - start <= limit else {
            throw HTTPError(
                status, status == .uriTooLong ? "the request line is too long" : "the header section is too large")
        }
        let line = buffer[start..<index - 1]
        start = index + 1
        scanned = start
        if line.contains(0x0D) { throw HTTPError(.badRequest, "bare CR in a line") }
        return line
    }

    private mutating func parseRequestLine(_ line: ArraySlice<UInt8>) throws(HTTPError) {
        // Exactly two spaces: method, target and version, none of them holding a space.
        guard let firstSpace = line.firstIndex(of: 0x20),
            let secondSpace = line[(firstSpace + 1)...].firstIndex(of: 0x20),
            !line[(secondSpace + 1)...].contains(0x20)
        else { throw HTTPError(.badRequest, "malformed request line") }
        let method = line[..<firstSpace]
        guard !method.isEmpty, method.allSatisfy(Self.isTokenByte) else {
            throw HTTPError(.badRequest, "malformed request line")
        }
        // Known before the rest of the line is judged: a HEAD refused for it gets no body.
        readsHeadRequest = method.elementsEqual("HEAD".utf8)
        var target = line[(firstSpace + 1)..<secondSpace]
        var authority: String?
        guard target.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw HTTPError(.badRequest, "the request target has a character outside visible ASCII")
        }
        if target.first != UInt8(ascii: "/") {
            // RFC 9112 §3.2.2: a server must accept the absolute form; its authority
            // replaces the Host field.
            let text = String(decoding: target, as: UTF8.self)
            guard let schemeEnd = text.firstRange(of: "://"),
                ["http", "https"].contains(text[..<schemeEnd.lowerBound].lowercased())
            else { throw HTTPError(.badRequest, "the request target must be a path starting with / or an http URL") }
            let rest = text[schemeEnd.upperBound...]
            let end = rest.firstIndex(where: { (character: Character) -> Bool in "/?#".contains(character) })
                ?? rest.endIndex
            let host = String(rest[..<end])
            guard !host.isEmpty, Self.isValidHost(host) else {
                throw HTTPError(.badRequest, "the request target's authority is not a valid host", field: "Host")
            }
            authority = host
            let path = rest[end...]
            target = ArraySlice((path.hasPrefix("/") ? String(path) : "/" + path).utf8)
        }
        let version = line[(secondSpace + 1)...]
        let at = version.startIndex
        guard version.count == 8, version.starts(with: "HTTP/".utf8), version[at + 6] == UInt8(ascii: "."),
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(version[at + 5]),
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(version[at + 7])
        else { throw HTTPError(.badRequest, "malformed HTTP version") }
        guard version[at + 5] == UInt8(ascii: "1"), version[at + 7] <= UInt8(ascii: "1") else {
            throw HTTPError(.versionNotSupported, "only HTTP/1.0 and HTTP/1.1 are supported")
        }
        request = HTTPRequest(
            method: String(decoding: method, as: UTF8.self), target: String(decoding: target, as: UTF8.self),
            minorVersion: Int(version[at + 7] - UInt8(ascii: "0")))
        request.authority = authority
    }

    private func parseField(_ line: ArraySlice<UInt8>, into fields: inout [(name: String, value: String)])
        throws(HTTPError)
    {
        // RFC 9112 §5.2: obsolete line folding is refused.
        guard let first = line.first, first != 0x20 && first != 0x09 else {
            throw HTTPError(.badRequest, "obsolete line folding is not accepted")
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            throw HTTPError(.badRequest, "header field without a colon")
        }
        let name = line[line.startIndex..<colon]
        // RFC 9112 §5.1: no whitespace between the field name and the colon.
        guard !name.isEmpty, name.allSatisfy(Self.isTokenByte) else {
            throw HTTPError(.badRequest, "malformed header field name")
        }
        var value = line[(colon + 1)...]
        while let byte = value.first, byte == 0x20 || byte == 0x09 { value = value.dropFirst() }
        while let byte = value.last, byte == 0x20 || byte == 0x09 { value = value.dropLast() }
        guard value.allSatisfy({ $0 == 0x09 || $0 >= 0x20 && $0 != 0x7F }) else {
            throw HTTPError(.badRequest, "control character in a header field value")
        }
        guard fields.count < limits.maximumHeaderCount else {
            throw HTTPError(.headerFieldsTooLarge, "more than \(limits.maximumHeaderCount) header fields")
        }
        fields.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
    }

    /// Decides the body's framing once the header section is complete (RFC 9112 §6).
    private mutating func endOfHead() throws(HTTPError) -> Event? {
        // One pass over the fields; most requests carry none of these but Host.
        // The first of each and how many there are: no array is made for the usual request.
        var hosts = (count: 0, first: "")
        var lengths = (count: 0, first: "")
        var codings = (count: 0, first: "")
        var expectation: String?
        for (name, value) in request.headers {
            if HTTPRequest.equalIgnoringCase(name, "host") {
                if hosts.count == 0 { hosts.first = value }
                hosts.count += 1
            } else if HTTPRequest.equalIgnoringCase(name, "content-length") {
                if lengths.count == 0 { lengths.first = value }
                lengths.count += 1
            } else if HTTPRequest.equalIgnoringCase(name, "transfer-encoding") {
                if codings.count == 0 { codings.first = value }
                codings.count += 1
            } else if HTTPRequest.equalIgnoringCase(name, "expect") {
                if expectation == nil { expectation = value }
            }
        }
        guard request.minorVersion == 0 || hosts.count == 1, hosts.count <= 1 else {
            throw HTTPError(.badRequest, "an HTTP/1.1 request needs exactly one Host field", field: "Host")
        }
        // RFC 9112 §3.2: a Host field with invalid syntax gets 400.
        if hosts.count == 1, !hosts.first.isEmpty, !Self.isValidHost(hosts.first) {
            throw HTTPError(.badRequest, "the Host field is not a valid host[:port]", field: "Host")
        }
        var expected = 0
        var chunked = false
        if codings.count > 0 {
            // RFC 9112 §6.1: reject simultaneous Content-Length and Transfer-Encoding.
            guard lengths.count == 0 else {
                throw HTTPError(.badRequest, "Content-Length and Transfer-Encoding together are ambiguous")
            }
            guard request.minorVersion == 1 else {
                throw HTTPError(.badRequest, "Transfer-Encoding in an HTTP/1.0 request")
            }
            guard codings.count == 1, codings.first.lowercased() == "chunked" else {
                throw HTTPError(.notImplemented, "only the chunked transfer coding is supported")
            }
            chunked = true
        } else if lengths.count > 0 {
            let text = lengths.first
            guard lengths.count == 1, !text.isEmpty, text.utf8.count <= 18,
                text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), let length = Int(text)
            else { throw HTTPError(.badRequest, "invalid or repeated Content-Length") }
            guard length <= limits.maximumBodyBytes else {
                throw HTTPError(.contentTooLarge, "the body is larger than \(limits.maximumBodyBytes) bytes")
            }
            expected = length
        }
        var continueExpected = false
        // RFC 9110 §10.1.1: a 100-continue expectation in an HTTP/1.0 request is ignored.
        if let expectation, request.minorVersion == 1 {
            guard expectation.lowercased() == "100-continue" else {
                throw HTTPError(.expectationFailed, "only 'Expect: 100-continue' is supported")
            }
            continueExpected = chunked || expected > 0
        }
        if chunked {
            state = .chunkSize
        } else if expected > 0 {
            // Room for the whole body at once: grown by doubling, it held up to twice its size.
            request.body.reserveCapacity(expected)
            state = .body(remaining: expected)
        } else {
            return .request(finish())
        }
        return continueExpected ? .continueExpected(request) : nil
    }

    private func parseChunkSize(_ line: ArraySlice<UInt8>) throws(HTTPError) -> Int {
        let digits = line.prefix { $0.hexDigitValue != nil }
        let rest = line[digits.endIndex...]
        guard !digits.isEmpty, digits.count <= 8, rest.isEmpty || rest.first == UInt8(ascii: ";") else {
            throw HTTPError(.badRequest, "malformed chunk size")
        }
        return digits.reduce(0) { $0 << 4 | Int($1.hexDigitValue!) }
    }

    /// RFC 3986 §3.2.2-3.2.3 `host [":" port]`: a bracketed IP literal or a registered
    /// name or IPv4 address, then an optional decimal port.
    static func isValidHost(_ text: String) -> Bool {
        var text = text
        // Read as contiguous bytes: stepping a String's indices costs more than the checks.
        return text.withUTF8 { isValidHost(bytes: $0[...]) }
    }

    private static func isValidHost(bytes whole: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        var bytes = whole
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        if bytes.first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else { return false }
            let literal = bytes[bytes.index(after: bytes.startIndex)..<close]
            guard !literal.isEmpty,
                literal.allSatisfy({ isDigit($0) || ($0 | 0x20 >= UInt8(ascii: "a") && $0 | 0x20 <= UInt8(ascii: "f")) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") })
            else { return false }
            bytes = bytes[bytes.index(after: close)...]
            guard bytes.isEmpty || bytes.first == UInt8(ascii: ":") else { return false }
            let digits = bytes.dropFirst()
            return digits.isEmpty || port(digits) != nil
        }
        if let colon = bytes.lastIndex(of: UInt8(ascii: ":")) {
            let digits = bytes[bytes.index(after: colon)...]
            guard digits.isEmpty || port(digits) != nil else { return false }
            bytes = bytes[..<colon]
        }
        return !bytes.isEmpty && bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"), UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"),
                UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","),
                UInt8(ascii: ";"), UInt8(ascii: "="), UInt8(ascii: "%"):
                true
            default: false
            }
        }
    }

    /// The port that `digits` (the text after a host's colon, not empty) write: digits
    /// (`port = *DIGIT`, leading zeros allowed, `:08080` is 8080) of a number up to 65535;
    /// nil otherwise. An empty port is the scheme's default, which callers decide.
    public static func port(_ digits: Slice<UnsafeBufferPointer<UInt8>>) -> Int? {
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        let significant = digits.drop { $0 == UInt8(ascii: "0") }
        guard significant.count <= 5 else { return nil }
        let port = significant.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        return port <= 65535 ? port : nil
    }

    /// RFC 9110 §5.6.2 tchar.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default: false
        }
    }
}
