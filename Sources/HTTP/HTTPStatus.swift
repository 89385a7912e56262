/// The status codes this server sends, with their reason phrases.
public struct HTTPStatus: Hashable, Sendable {
    /// The numeric code.
    public let code: Int
    /// The reason phrase.
    public let reason: String

    /// A status with its phrase.
    public init(_ code: Int, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    /// 100 Continue.
    public static let `continue` = HTTPStatus(100, "Continue")
    /// 200 OK.
    public static let ok = HTTPStatus(200, "OK")
    /// 202 Accepted.
    public static let accepted = HTTPStatus(202, "Accepted")
    /// 204 No Content.
    public static let noContent = HTTPStatus(204, "No Content")
    /// 206 Partial Content: the bytes a `Range` asked for.
    public static let partialContent = HTTPStatus(206, "Partial Content")
    /// 304 Not Modified.
    public static let notModified = HTTPStatus(304, "Not Modified")
    /// 400 Bad Request.
    public static let badRequest = HTTPStatus(400, "Bad Request")
    /// 401 Unauthorized.
    public static let unauthorized = HTTPStatus(401, "Unauthorized")
    /// 404 Not Found.
    public static let notFound = HTTPStatus(404, "Not Found")
    /// 405 Method Not Allowed.
    public static let methodNotAllowed = HTTPStatus(405, "Method Not Allowed")
    /// 408 Request Timeout.
    public static let requestTimeout = HTTPStatus(408, "Request Timeout")
    /// 403 Forbidden.
    public static let forbidden = HTTPStatus(403, "Forbidden")
    /// 409 Conflict.
    public static let conflict = HTTPStatus(409, "Conflict")
    /// 411 Length Required.
    public static let lengthRequired = HTTPStatus(411, "Length Required")
    /// 412 Precondition Failed.
    public static let preconditionFailed = HTTPStatus(412, "Precondition Failed")
    /// 413 Content Too Large.
    public static let contentTooLarge = HTTPStatus(413, "Content Too Large")
    /// 414 URI Too Long.
    public static let uriTooLong = HTTPStatus(414, "URI Too Long")
    /// 415 Unsupported Media Type.
    public static let unsupportedMediaType = HTTPStatus(415, "Unsupported Media Type")
    /// 416 Range Not Satisfiable: no byte of the `Range` asked for exists.
    public static let rangeNotSatisfiable = HTTPStatus(416, "Range Not Satisfiable")
    /// 417 Expectation Failed.
    public static let expectationFailed = HTTPStatus(417, "Expectation Failed")
    /// 421 Misdirected Request.
    public static let misdirectedRequest = HTTPStatus(421, "Misdirected Request")
    /// 422 Unprocessable Content.
    public static let unprocessableContent = HTTPStatus(422, "Unprocessable Content")
    /// 429 Too Many Requests.
    public static let tooManyRequests = HTTPStatus(429, "Too Many Requests")
    /// 431 Request Header Fields Too Large.
    public static let headerFieldsTooLarge = HTTPStatus(431, "Request Header Fields Too Large")
    /// 500 Internal Server Error.
    public static let internalServerError = HTTPStatus(500, "Internal Server Error")
    /// 501 Not Implemented.
    public static let notImplemented = HTTPStatus(501, "Not Implemented")
    /// 503 Service Unavailable.
    public static let serviceUnavailable = HTTPStatus(503, "Service Unavailable")
    /// 505 HTTP Version Not Supported.
    public static let versionNotSupported = HTTPStatus(505, "HTTP Version Not Supported")

    /// The status with this code, with its phrase when it is one of the above.
    public static func known(_ code: Int) -> HTTPStatus {
        let all: [HTTPStatus] = [
            .continue, .ok, .accepted, .noContent, .partialContent, .notModified, .badRequest, .unauthorized, .forbidden, .notFound,
            .methodNotAllowed, .requestTimeout, .conflict, .lengthRequired, .preconditionFailed, .contentTooLarge, .uriTooLong,
            .unsupportedMediaType, .rangeNotSatisfiable, .expectationFailed, .misdirectedRequest, .unprocessableContent, .tooManyRequests,
            .headerFieldsTooLarge, .internalServerError, .notImplemented, .serviceUnavailable, .versionNotSupported,
        ]
        return all.first { $0.code == code } ?? HTTPStatus(code, "Status")
    }
}
