/// A request the decoder refuses: answered with `status`, then the connection is closed,
/// because after a framing error the next request's start cannot be trusted.
public struct HTTPError: Error, Hashable, Sendable {
    /// The status to answer with.
    public let status: HTTPStatus
    /// What is wrong, for the client.
    public let message: String

    /// Creates an error.
    public init(_ status: HTTPStatus, _ message: String) {
        self.status = status
        self.message = message
    }
}
