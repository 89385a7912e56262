/// A request the decoder refuses: answered with `status`, then the connection is closed,
/// because after a framing error the next request's start cannot be trusted.
public struct HTTPError: Error, Hashable, Sendable {
    /// The status to answer with.
    public let status: HTTPStatus
    /// What is wrong, for the client.
    public let message: String
    /// The header field at fault, when one is (`Host`).
    public let field: String?

    /// Creates an error.
    public init(_ status: HTTPStatus, _ message: String, field: String? = nil) {
        self.status = status
        self.message = message
        self.field = field
    }
}
