/// Every limit the HTTP server enforces, in one place. A request over a limit is answered
/// with the status named below and its connection closed.
public struct HTTPLimits: Hashable, Sendable {
    /// Longest request line (method, target, version). 8 KiB, as common servers allow;
    /// longer gets 414.
    public var maximumRequestLineBytes = 8 * 1024
    /// Largest header section, all fields together. 16 KiB; larger gets 431.
    public var maximumHeaderBytes = 16 * 1024
    /// Most header fields. 100; more gets 431.
    public var maximumHeaderCount = 100
    /// Largest request body. 1 MiB: a sweep definition is a few KiB; larger gets 413.
    public var maximumBodyBytes = 1024 * 1024
    /// Most open connections; further ones are closed at once. Well above the 1,000 idle
    /// connections a slow or hostile client may hold, and below common descriptor limits.
    public var maximumConnections = 4096
    /// Seconds a client has to send a complete header section once it starts a request
    /// (slowloris defence). 10 s.
    public var headerTimeout = 10.0
    /// Seconds a kept-alive connection may sit idle between requests. 30 s.
    public var idleTimeout = 30.0
    /// Seconds from a request's first byte to its last, body included. 30 s.
    public var requestTimeout = 30.0
    /// Seconds a client may leave a response unread before the connection is dropped. 60 s.
    public var writeTimeout = 60.0

    /// The defaults above.
    public init() {}
}
