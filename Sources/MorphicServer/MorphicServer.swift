import Foundation
import HTTP
import Synchronization

/// The job server: the HTTP API in front of the job service.
public final class MorphicServer: Sendable {
    /// The configuration in force (the host possibly narrowed to loopback).
    public let configuration: ServerConfiguration
    private let log: Log
    private let service: JobService
    private let http: HTTPServer
    private let pool: BlockingPool
    private let query: FairPool
    private let chunks: BlockingPool
    private let heavy: FairPool

    /// Starts loading the data directory (requests about sweeps wait for it) and prepares the
    /// listener; call ``start()`` to serve.
    public init(configuration: ServerConfiguration, log: Log = Log()) throws {
        try configuration.checkCombined()
        // Checked before loopback is chosen for want of a token: a host that could never be
        // listened on is refused, not silently replaced.
        var address = in_addr()
        guard configuration.host.lowercased() == "localhost" || inet_pton(AF_INET, configuration.host, &address) == 1 else {
            throw ServerConfiguration.Error(
                description:
                    "host '\(configuration.host)' is not an IPv4 address (such as 127.0.0.1, or 0.0.0.0 for every interface) or localhost; IPv6 is not supported"
            )
        }
        var configuration = configuration
        if configuration.apiToken == nil && !configuration.isLoopback {
            log.info(
                "loopback_only",
                [
                    "reason": .string("no API token is set, so only this machine may connect"),
                    "requested_host": .string(configuration.host),
                ])
            configuration.host = "127.0.0.1"
        }
        self.configuration = configuration
        self.log = log
        service = try JobService(configuration: configuration, log: log)
        let gauge = ConnectionGauge()
        pool = BlockingPool(
            threads: configuration.http.blockingThreads, queueDepth: configuration.http.blockingQueueDepth,
            maximumDelay: configuration.http.maximumQueueDelay, name: "api")
        let limits = configuration.http
        query = FairPool(
            limits: FairPool.Limits(
                threads: limits.queryThreads, queueDepth: limits.queryQueueDepth, queuedCost: limits.queryQueuedCost,
                perClient: limits.queryPerClient, maximumDelay: limits.maximumQueueDelay), name: "query",
            // At the simulation's priority: below it, a sweep computing on every core
            // starved the page's queries for tens of seconds.
            lowerPriority: false)
        // At most one chunk waits per connection.
        chunks = BlockingPool(threads: limits.queryThreads, queueDepth: limits.maximumConnections, name: "chunks")
        heavy = FairPool(
            limits: FairPool.Limits(
                threads: limits.heavyThreads, queueDepth: limits.heavyQueueDepth, queuedCost: limits.heavyQueuedCost,
                perClient: limits.heavyPerClient, maximumDelay: limits.maximumQueueDelay), name: "heavy")
        let api = API(
            service: service, configuration: configuration, log: log, pool: pool, query: query, heavy: heavy,
            connections: { gauge.count }, holding: { gauge.holding })
        http = HTTPServer(
            host: configuration.host, port: configuration.port, limits: configuration.http,
            errorResponder: { api.refuse($0) }, screen: { api.screen($0) },
            notice: { name, message in log.error(name, ["message": .string(message)]) },
            fileReads: pool, producedChunks: chunks, withdrawn: { api.withdraw($0) }, handler: { api.handle($0, $1) })
        gauge.server.withLock { $0 = http }
    }

    /// Starts serving; returns the bound port.
    public func start() throws -> Int {
        let port = try http.start()
        log.info(
            "listening",
            [
                "url": .string("http://\(configuration.host):\(port)"),
                "data_dir": .string(configuration.dataDirectory),
                "workers": .int(configuration.workerCount), "token_required": .bool(configuration.apiToken != nil),
            ])
        log.flush()
        return port
    }

    /// Graceful shutdown: stop accepting, finish in-flight requests, stop simulations at a
    /// safe point (their sweeps resume on the next start) and flush the log.
    public func stop() {
        http.shutdown()
        heavy.shutdown()
        query.shutdown()
        chunks.shutdown()
        pool.shutdown()
        service.shutdown()
        log.info("stopped")
        log.flush()
    }
}

/// Lets `/metrics` read the connection count and held bytes of the HTTP server created
/// after the API.
private final class ConnectionGauge: Sendable {
    let server = Mutex<HTTPServer?>(nil)

    var count: Int { server.withLock { $0?.openConnections ?? 0 } }

    var holding: (bytes: Int, refused: Int, receiving: Int) {
        server.withLock { ($0?.queuedBytes ?? 0, $0?.refusedForHolding ?? 0, $0?.receivingBytes ?? 0) }
    }
}
