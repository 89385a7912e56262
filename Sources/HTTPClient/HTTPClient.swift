import CCurl
import Foundation

/// A small HTTP client on libcurl for the product's outgoing calls (the language model,
/// sweep notifications): timeouts, retries with exponential backoff and jitter on
/// connection errors, 429 and 5xx (honouring `Retry-After`), TLS verification on,
/// redirects off, and a cap on the response size.
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

    /// What went wrong, said plainly.
    public enum Failure: Error, CustomStringConvertible, Equatable {
        /// The URL is not http:// or https://.
        case invalidURL(String)
        /// No connection, or it broke (libcurl's message).
        case connection(String, url: String)
        /// The attempt took longer than allowed.
        case timeout(Double, url: String)
        /// The response was larger than allowed.
        case tooLarge(Int, url: String)
        /// The server kept answering with an error status.
        case status(Int, url: String, body: String)

        /// What failed, for a person.
        public var description: String {
            switch self {
            case .invalidURL(let url): "'\(url)' is not an http:// or https:// URL"
            case .connection(let message, let url): "cannot reach \(url): \(message)"
            case .timeout(let seconds, let url): "\(url) did not answer within \(Int(seconds)) s"
            case .tooLarge(let limit, let url): "\(url) sent more than \(limit) bytes"
            case .status(let code, let url, let body):
                "\(url) answered \(code)" + (body.isEmpty ? "" : ": \(body.prefix(200))")
            }
        }

        /// Whether another attempt may succeed.
        var isTransient: Bool {
            switch self {
            case .connection, .timeout: true
            case .status(let code, _, _): code == 429 || code >= 500
            default: false
            }
        }
    }

    /// The configuration in force.
    public let configuration: Configuration

    /// A client with `configuration`.
    public init(configuration: Configuration = Configuration()) {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        self.configuration = configuration
    }

    /// Sends `request`, retrying transient failures; a response with a status below 400 (or
    /// a 4xx other than 429) is returned, anything else thrown after the last attempt.
    public func send(_ request: Request) throws(Failure) -> Response {
        guard request.url.hasPrefix("http://") || request.url.hasPrefix("https://") else {
            throw .invalidURL(request.url)
        }
        var wait = configuration.backoff
        var attempt = 1
        while true {
            let result = perform(request)
            var failure: Failure
            switch result {
            case .success(let response) where response.status == 429 || response.status >= 500:
                failure = .status(
                    response.status, url: request.url, body: String(decoding: response.body.prefix(300), as: UTF8.self))
                if attempt < configuration.attempts,
                    let retryAfter = response.headers["retry-after"].flatMap(Double.init)
                {
                    Thread.sleep(forTimeInterval: min(max(0, retryAfter), configuration.maximumRetryAfter))
                    attempt += 1
                    continue
                }
            case .success(let response):
                return response
            case .failure(let error):
                failure = error
            }
            guard failure.isTransient, attempt < configuration.attempts else { throw failure }
            Thread.sleep(forTimeInterval: wait * Double.random(in: 1...1.5))
            wait *= 2
            attempt += 1
        }
    }

    /// Collects a response while libcurl runs.
    private final class Transfer {
        var body: [UInt8] = []
        var headers: [String: String] = [:]
        var overflow = false
        let limit: Int

        init(limit: Int) { self.limit = limit }
    }

    private func perform(_ request: Request) -> Result<Response, Failure> {
        guard let handle = curl_easy_init() else {
            return .failure(.connection("libcurl did not start", url: request.url))
        }
        defer { curl_easy_cleanup(handle) }
        let transfer = Transfer(limit: configuration.maximumResponseBytes)
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var list: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(list) }
        for (name, value) in request.headers { list = curl_slist_append(list, "\(name): \(value)") }
        // An empty Expect stops libcurl from waiting for 100 Continue on every POST.
        list = curl_slist_append(list, "Expect:")

        return errorBuffer.withUnsafeMutableBufferPointer { errors in
            ccurl_set_string(handle, CURLOPT_URL, request.url)
            ccurl_set_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
            ccurl_set_long(handle, CURLOPT_NOSIGNAL, 1)
            ccurl_set_long(handle, CURLOPT_FOLLOWLOCATION, 0)
            ccurl_set_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
            ccurl_set_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
            ccurl_set_long(handle, CURLOPT_PROTOCOLS, Int(CURLPROTO_HTTP | CURLPROTO_HTTPS))
            ccurl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(configuration.connectTimeout * 1000))
            ccurl_set_long(handle, CURLOPT_TIMEOUT_MS, Int(configuration.totalTimeout * 1000))
            ccurl_set_pointer(handle, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(list))
            ccurl_set_pointer(handle, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errors.baseAddress))
            ccurl_set_pointer(handle, CURLOPT_WRITEDATA, context)
            ccurl_set_pointer(handle, CURLOPT_HEADERDATA, context)
            ccurl_set_write_function(handle) { data, size, count, context in
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
            ccurl_set_header_function(handle) { data, size, count, context in
                let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
                let bytes = size * count
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
                    ccurl_set_long(handle, CURLOPT_POSTFIELDSIZE, buffer.count)
                    ccurl_set_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: buffer.baseAddress))
                    return finish(handle, request: request, transfer: transfer, errors: errors)
                }
            }
            return finish(handle, request: request, transfer: transfer, errors: errors)
        }
    }

    private func finish(
        _ handle: UnsafeMutableRawPointer, request: Request, transfer: Transfer,
        errors: UnsafeMutableBufferPointer<CChar>
    ) -> Result<Response, Failure> {
        let code = curl_easy_perform(handle)
        if transfer.overflow { return .failure(.tooLarge(configuration.maximumResponseBytes, url: request.url)) }
        guard code == CURLE_OK else {
            if code == CURLE_OPERATION_TIMEDOUT {
                return .failure(.timeout(configuration.totalTimeout, url: request.url))
            }
            let detail = String(cString: errors.baseAddress!)
            return .failure(
                .connection(detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail, url: request.url))
        }
        var status = 0
        ccurl_get_response_code(handle, &status)
        return .success(Response(status: status, headers: transfer.headers, body: transfer.body))
    }
}
