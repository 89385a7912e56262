import Synchronization

/// A response body made on demand, a chunk at a time, as the client reads: a long list or
/// an export is never held whole, and a connection whose client does not read holds at most
/// one chunk of it beyond ``HTTPLimits/outputHighWater``.
///
/// The connection asks for the next chunk only once its unsent output has drained below the
/// high water mark, and hands the call to a pool (the server's `producedChunks`, else its
/// `fileReads`; the producer may read files),
/// so ``next(maximum:)`` is never called on an event loop and never by two threads at once.
/// What the producer holds is released when the body is (completion, the client's close or
/// reset, a timeout, shutdown, an error mid-stream): `release` runs in `deinit`, as a
/// ``FileBody`` closes its descriptor.
public final class BodyProducer: @unchecked Sendable {
    /// Bytes the body will have, when known before the first chunk: it is then sent with
    /// Content-Length, and a producer that gives more or fewer cuts the connection.
    public let length: Int?
    /// Bytes the producer keeps between chunks (what it makes them from, a piece made and
    /// not yet given), besides the chunk it is asked for: counted, with what the connection
    /// holds, in the bound on bytes held for clients (``HTTPLimits/maximumQueuedBytes``).
    public let holding: Int
    private let produce: (Int) throws -> [UInt8]
    private let release: () -> Void

    /// A producer. `next` is given the chunk size wanted (a hint: a chunk may be shorter or
    /// longer) and returns the next bytes, or an empty array at the end; an error it throws
    /// cuts the connection, since the head is already sent. `release` runs once, when the
    /// body is dropped, whether or not it was produced to the end. `holding` is what the
    /// producer keeps between calls, in bytes (an estimate, on the high side).
    public init(
        length: Int? = nil, holding: Int = 0, next: @escaping (Int) throws -> [UInt8],
        release: @escaping () -> Void = {}
    ) {
        self.length = length
        self.holding = max(0, holding)
        produce = next
        self.release = release
        Self.count.add(1, ordering: .relaxed)
    }

    deinit {
        release()
        Self.count.subtract(1, ordering: .relaxed)
    }

    private static let count = Atomic<Int>(0)

    /// Producers alive in this process: answers being produced, or not yet dropped. Back to
    /// what it was once every such answer has ended, however it ended.
    public static var live: Int { count.load(ordering: .relaxed) }

    /// The next chunk, empty at the end. Called off the event loops, one call at a time.
    public func next(maximum: Int) throws -> [UInt8] { try produce(maximum) }
}
