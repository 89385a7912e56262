import CCurl
import Foundation

/// A small HTTP client on libcurl for the product's outgoing calls (the language model,
/// sweep notifications): timeouts, retries with exponential backoff and jitter on
/// transient connection errors, 429 and 5xx (honouring `Retry-After` in seconds or as a
/// date, up to 30 s), TLS verification on, redirects off, caps on the response's headers
/// and body, and cancellation that reaches a transfer in progress and every backoff.
///
/// A URL with a user name or password is refused, never sent: libcurl would send them as
/// Basic authentication, where a server that echoes its request would hand them back into
/// messages. Credentials go in a header, whose value is then kept out of every message.
public struct HTTPClient: Sendable {
    /// How requests are made.
    public struct Configuration: Sendable {
        /// Seconds to establish a connection. 10 s.
        public var connectTimeout = 10.0
        /// Seconds for a whole attempt, body included. 60 s.
        public var totalTimeout = 60.0
        /// Attempts in all, the first included. 4.
        public var attempts = 4
        /// First backoff in seconds; doubled per retry, with up to 50% random jitter. 0.5 s.
        public var backoff = 0.5
        /// Longest wait honoured from a `Retry-After` field. 30 s.
        public var maximumRetryAfter = 30.0
        /// Largest response body accepted. 4 MiB.
        public var maximumResponseBytes = 4 * 1024 * 1024
        /// Largest response header section accepted (status line and fields), below libcurl's
        /// own limits so that an oversized one is told apart from a broken connection. 64 KiB.
        public var maximumHeaderBytes = 64 * 1024
        /// A PEM file of certificate authorities to trust instead of the system's.
        public var caFile: String?

        /// The defaults above.
        public init() {}
    }

    /// A request.
    public struct Request: Sendable {
        /// `GET`, `POST`, …
        public var method: String
        /// An http:// or https:// URL.
        public var url: String
        /// Header fields.
        public var headers: [(name: String, value: String)]
        /// The body, if any.
        public var body: [UInt8]?

        /// Header names whose values are credentials, lower-cased.
        public static let credentialHeaders: Set<String> = [
            "authorization", "proxy-authorization", "x-api-key", "api-key", "cookie",
        ]

        /// The secrets the request carries: the values of its credential headers, in every
        /// part a server could echo.
        public var secrets: [String] {
            headers.filter { Self.credentialHeaders.contains($0.name.lowercased()) }.flatMap {
                Redaction.secrets(ofCredential: $0.value)
            }
        }

        /// Creates a request.
        public init(
            method: String = "GET", url: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil
        ) {
            self.method = method
            self.url = url
            self.headers = headers
            self.body = body
        }
    }

    /// A response.
    public struct Response: Sendable {
        /// The status code.
        public let status: Int
        /// Header fields, names lowercased.
        public let headers: [String: String]
        /// The body.
        public let body: [UInt8]
    }

    /// What went wrong, said plainly. URLs in descriptions carry no user information, and
    /// whatever the server said is cleaned of the request's secrets before it is cut.
    public enum Failure: Error, CustomStringConvertible, Equatable {
        /// The URL is not http:// or https://.
        case invalidURL(String)
        /// The URL is not sent, for `reason`: it holds credentials or control characters.
        case refusedURL(String, reason: String)
        /// No connection, or it broke (libcurl's message); `transient` when trying again
        /// may help (refused, reset, DNS), not for TLS verification or a malformed URL.
        case connection(String, url: String, transient: Bool)
        /// The attempt took longer than allowed.
        case timeout(Double, url: String)
        /// The response was larger than allowed.
        case tooLarge(Int, url: String)
        /// The response's header section was larger than allowed.
        case headersTooLarge(Int, url: String)
        /// The server kept answering with an error status.
        case status(Int, url: String, body: String)
        /// The request was cancelled before it ended.
        case cancelled(url: String)

        /// What failed, for a person.
        public var description: String {
            switch self {
            case .invalidURL(let url): "'\(Self.shown(url))' is not an http:// or https:// URL"
            case .refusedURL(let url, let reason): "'\(Self.shown(url))' is not sent: \(reason)"
            case .connection(let message, let url, _): "cannot reach \(Self.shown(url)): \(message)"
            case .timeout(let seconds, let url):
                "\(Self.shown(url)) did not answer within \(HTTPClient.seconds(seconds)) s"
            case .tooLarge(let limit, let url): "\(Self.shown(url)) sent more than \(limit) bytes"
            case .headersTooLarge(let limit, let url):
                "\(Self.shown(url)) sent response headers larger than \(limit) bytes"
            case .status(let code, let url, let body):
                "\(Self.shown(url)) answered \(code)" + (body.isEmpty ? "" : ": \(body)")
            case .cancelled(let url): "the request to \(Self.shown(url)) was cancelled"
            }
        }

        /// The URL for a message: without its user information, and without its query and
        /// fragment, which may carry a token (`?key=…`).
        private static func shown(_ url: String) -> String {
            let bare = url.firstIndex { $0 == "?" || $0 == "#" }.map { String(url[..<$0]) + "?…" } ?? url
            return Redaction.none.clean(bare, limit: Redaction.maximumMessage)
        }

        /// Whether the attempt ran out of time.
        var isTimeout: Bool {
            if case .timeout = self { return true }
            return false
        }

        /// Whether another attempt may succeed.
        public var isTransient: Bool {
            switch self {
            case .connection(_, _, let transient): transient
            case .timeout: true
            case .status(let code, _, _): code == 429 || code >= 500
            default: false
            }
        }
    }

    /// One easy handle kept across requests, so a series of requests to one server reuses
    /// its connection (and TLS session) instead of opening one per request. Not for use by
    /// two threads at once.
    public final class Session: @unchecked Sendable {
        let handle: UnsafeMutableRawPointer?

        /// A new session.
        public init() {
            _ = HTTPClient.global
            handle = curl_easy_init()
        }

        deinit { if let handle { curl_easy_cleanup(handle) } }
    }

    /// libcurl's global set-up, once per process: it is not thread-safe to repeat.
    static let global: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// The configuration in force.
    public let configuration: Configuration

    /// A client with `configuration`.
    public init(configuration: Configuration = Configuration()) {
        _ = Self.global
        self.configuration = configuration
    }

    /// Sends `request`, retrying transient failures; a response with a status below 400 (or
    /// a 4xx other than 429) is returned, anything else thrown after the last attempt.
    /// Past `deadline` no attempt starts and none runs on; `cancellation` stops a transfer
    /// in progress (within about a second) and any wait before the next attempt.
    public func send(
        _ request: Request, session: Session? = nil, deadline: Date? = nil, cancellation: CancellationFlag? = nil
    ) throws(Failure) -> Response {
        if let reason = Self.problem(ofURL: request.url) {
            throw reason.isEmpty ? .invalidURL(request.url) : .refusedURL(request.url, reason: reason)
        }
        let redaction = Redaction(secrets: request.secrets)
        let session = session ?? Session()
        var wait = configuration.backoff
        var attempt = 1
        // The last attempt's failure: past the deadline it is the answer, unless it was a
        // timeout itself (a refused connection is said as such, not as no answer in time).
        var last: Failure?
        while true {
            if cancellation?.isCancelled == true { throw .cancelled(url: request.url) }
            var timeout = configuration.totalTimeout
            if let deadline {
                let remaining = deadline.timeIntervalSinceNow
                guard remaining > 0 else {
                    if let last, !last.isTimeout { throw last }
                    throw .timeout(configuration.totalTimeout, url: request.url)
                }
                timeout = min(timeout, remaining)
            }
            let result = perform(
                request, session: session, timeout: timeout, cancellation: cancellation, redaction: redaction)
            var failure: Failure
            var pause = wait * Double.random(in: 1...1.5)
            switch result {
            case .success(let response) where response.status == 429 || response.status >= 500:
                failure = .status(response.status, url: request.url, body: redaction.clean(bytes: response.body))
                if let retryAfter = response.headers["retry-after"].flatMap({ Self.retryAfter($0, now: Date()) }) {
                    pause = min(retryAfter, configuration.maximumRetryAfter)
                }
            case .success(let response):
                return response
            case .failure(let error):
                failure = error
            }
            guard failure.isTransient, attempt < configuration.attempts else { throw failure }
            last = failure
            if let deadline { pause = min(pause, max(0, deadline.timeIntervalSinceNow)) }
            if let cancellation {
                guard cancellation.sleep(pause) else { throw .cancelled(url: request.url) }
            } else {
                Thread.sleep(forTimeInterval: pause)
            }
            wait *= 2
            attempt += 1
        }
    }

    /// Why `url` cannot be sent: "" when it is not an http(s) URL libcurl can read, a
    /// reason when it holds control characters (libcurl would read it only up to a NUL) or
    /// credentials; nil when it can be sent.
    public static func problem(ofURL url: String) -> String? {
        guard url.lowercased().hasPrefix("http://") || url.lowercased().hasPrefix("https://") else { return "" }
        if url.unicodeScalars.contains(where: { $0.value < 0x21 || (0x7F...0x9F).contains($0.value) }) {
            return "it holds a space or a control character"
        }
        guard let parts = URLParts(url) else { return "" }
        if parts.hasUserInfo {
            return "it holds a user name or password, which would be sent as Basic authentication; "
                + "give credentials in a header instead"
        }
        return nil
    }

    /// `seconds` for a message, to the millisecond and no finer: `120`, `0.5`, `0.125`.
    public static func seconds(_ seconds: Double) -> String {
        let milliseconds = (seconds * 1000).rounded()
        guard milliseconds.magnitude < 1e15 else { return "\(seconds)" }
        let whole = Int(milliseconds) / 1000
        var fraction = String(Int(milliseconds.magnitude) % 1000)
        guard fraction != "0" else { return "\(whole)" }
        fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(whole).\(fraction)"
    }

    /// Seconds to wait from a `Retry-After` value: delay-seconds or an HTTP-date
    /// (RFC 9110 §10.2.3); nil when it is neither.
    public static func retryAfter(_ value: String, now: Date) -> Double? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if !text.isEmpty, text.allSatisfy(\.isNumber), let seconds = Double(text) { return seconds }
        // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
        let fields = text.split(separator: " ")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let clock = fields.count == 6 ? fields[4].split(separator: ":").compactMap { Int32($0) } : []
        guard fields.count == 6, fields[5] == "GMT", clock.count == 3, let day = Int32(fields[1]),
            let month = months.firstIndex(of: String(fields[2])), let year = Int32(fields[3])
        else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = Int32(month)
        parts.tm_mday = day
        parts.tm_hour = clock[0]
        parts.tm_min = clock[1]
        parts.tm_sec = clock[2]
        return max(0, Double(timegm(&parts)) - now.timeIntervalSince1970)
    }

    /// Collects a response while libcurl runs.
    private final class Transfer {
        var body: [UInt8] = []
        var headers: [String: String] = [:]
        var headerBytes = 0
        var headersEnded = false
        var overflow = false
        var headerOverflow = false
        let limit: Int
        let headerLimit: Int
        let cancellation: CancellationFlag?

        init(limit: Int, headerLimit: Int, cancellation: CancellationFlag?) {
            self.limit = limit
            self.headerLimit = headerLimit
            self.cancellation = cancellation
        }
    }

    private func perform(
        _ request: Request, session: Session, timeout: Double, cancellation: CancellationFlag?, redaction: Redaction
    ) -> Result<Response, Failure> {
        guard let handle = session.handle else {
            return .failure(.connection("libcurl did not start", url: request.url, transient: false))
        }
        // Options of the previous request go; the connection cache stays.
        curl_easy_reset(handle)
        let transfer = Transfer(
            limit: configuration.maximumResponseBytes, headerLimit: configuration.maximumHeaderBytes,
            cancellation: cancellation)
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var list: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(list) }
        for (name, value) in request.headers { list = curl_slist_append(list, "\(name): \(value)") }
        // An empty Expect stops libcurl from waiting for 100 Continue on every POST.
        list = curl_slist_append(list, "Expect:")

        return errorBuffer.withUnsafeMutableBufferPointer { errors in
            let total = timeout
            var codes: [CURLcode] = [
                ccurl_set_string(handle, CURLOPT_URL, request.url),
                ccurl_set_string(handle, CURLOPT_CUSTOMREQUEST, request.method),
                ccurl_set_long(handle, CURLOPT_NOSIGNAL, 1),
                ccurl_set_long(handle, CURLOPT_FOLLOWLOCATION, 0),
                ccurl_set_long(handle, CURLOPT_SSL_VERIFYPEER, 1),
                ccurl_set_long(handle, CURLOPT_SSL_VERIFYHOST, 2),
                ccurl_set_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"),
                ccurl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(configuration.connectTimeout * 1000)),
                // Rounded up: an attempt cut short by a deadline ends at it, not just before.
                ccurl_set_long(handle, CURLOPT_TIMEOUT_MS, max(1, Int((total * 1000).rounded(.up)))),
                ccurl_set_pointer(handle, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(list)),
                ccurl_set_pointer(handle, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errors.baseAddress)),
                ccurl_set_pointer(handle, CURLOPT_WRITEDATA, context),
                ccurl_set_pointer(handle, CURLOPT_HEADERDATA, context),
                ccurl_set_progress_function(
                    handle,
                    { context, _, _, _, _ in
                        let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
                        return transfer.cancellation?.isCancelled == true ? 1 : 0
                    }, context),
            ]
            if let caFile = configuration.caFile { codes.append(ccurl_set_string(handle, CURLOPT_CAINFO, caFile)) }
            if let refused = codes.first(where: { $0 != CURLE_OK }) {
                return .failure(
                    .connection(
                        "libcurl refused an option: \(String(cString: curl_easy_strerror(refused)))", url: request.url,
                        transient: false))
            }
            _ = ccurl_set_write_function(handle) { data, size, count, context in
                let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
                let bytes = size * count
                guard transfer.body.count + bytes <= transfer.limit else {
                    transfer.overflow = true
                    return 0
                }
                data!.withMemoryRebound(to: UInt8.self, capacity: bytes) {
                    transfer.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: bytes))
                }
                return bytes
            }
            _ = ccurl_set_header_function(handle) { data, size, count, context in
                let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
                let bytes = size * count
                transfer.headerBytes += bytes
                guard transfer.headerBytes <= transfer.headerLimit else {
                    transfer.headerOverflow = true
                    return 0
                }
                transfer.headersEnded = bytes <= 2
                let line = data!.withMemoryRebound(to: UInt8.self, capacity: bytes) {
                    String(decoding: UnsafeBufferPointer(start: $0, count: bytes), as: UTF8.self)
                }
                if let colon = line.firstIndex(of: ":") {
                    let name = line[..<colon].lowercased()
                    transfer.headers[name] = line[line.index(after: colon)...].trimmingCharacters(
                        in: .whitespacesAndNewlines)
                }
                return bytes
            }
            if let body = request.body {
                return body.withUnsafeBufferPointer { buffer in
                    _ = ccurl_set_long(handle, CURLOPT_POSTFIELDSIZE, buffer.count)
                    _ = ccurl_set_pointer(
                        handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: buffer.baseAddress))
                    return finish(
                        handle, request: request, transfer: transfer, errors: errors, timeout: total,
                        redaction: redaction)
                }
            }
            return finish(
                handle, request: request, transfer: transfer, errors: errors, timeout: total, redaction: redaction)
        }
    }

    private func finish(
        _ handle: UnsafeMutableRawPointer, request: Request, transfer: Transfer,
        errors: UnsafeMutableBufferPointer<CChar>, timeout: Double, redaction: Redaction
    ) -> Result<Response, Failure> {
        let code = curl_easy_perform(handle)
        if transfer.overflow { return .failure(.tooLarge(configuration.maximumResponseBytes, url: request.url)) }
        let detail = String(cString: errors.baseAddress!)
        // Ours, or libcurl's own limits (one field over 100 KiB, or all over 300 KiB): a
        // server that sends such headers sends them again, so it is not worth retrying.
        // libcurl 7.x reports a field over its limit as running out of memory.
        let cutInHeaders = code == CURLE_OUT_OF_MEMORY && transfer.headerBytes > 0 && !transfer.headersEnded
        if transfer.headerOverflow || cutInHeaders || (code != CURLE_OK && Self.isLibcurlHeaderLimit(detail)) {
            return .failure(.headersTooLarge(configuration.maximumHeaderBytes, url: request.url))
        }
        guard code == CURLE_OK else {
            switch code {
            case CURLE_OPERATION_TIMEDOUT: return .failure(.timeout(timeout, url: request.url))
            case CURLE_ABORTED_BY_CALLBACK: return .failure(.cancelled(url: request.url))
            default: break
            }
            // Worth another attempt: the peer or the network, not our request or its TLS.
            let transient = [
                CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_SEND_ERROR, CURLE_RECV_ERROR,
                CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM,
            ].contains(code)
            return .failure(
                .connection(
                    redaction.clean(detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail),
                    url: request.url, transient: transient))
        }
        var status = 0
        ccurl_get_response_code(handle, &status)
        return .success(Response(status: status, headers: transfer.headers, body: transfer.body))
    }

    /// Whether libcurl's error text says a response header was beyond its own limits.
    static func isLibcurlHeaderLimit(_ detail: String) -> Bool {
        let text = detail.lowercased()
        return text.contains("too large response headers") || text.contains("giant realloc for header")
            || text.contains("header too large") || text.contains("response header too large")
    }
}
