import Foundation
import Gzip

/// Every limit the HTTP server enforces, in one place. A request over a limit is answered
/// with the status named below and its connection closed.
public struct HTTPLimits: Hashable, Sendable {
    /// Longest request line (method, target, version). 32 KiB, above the 8 KiB common
    /// servers allow: a runs query's longest `filter` (2,000 characters, each up to 4 UTF-8
    /// bytes and percent-encoded as 12) with its `fields` and `sort` must fit, so that a
    /// query the API document allows is never refused for its length; longer gets 414.
    public var maximumRequestLineBytes = 32 * 1024
    /// Largest header section, all fields together. 16 KiB; larger gets 431.
    public var maximumHeaderBytes = 16 * 1024
    /// Most header fields. 100; more gets 431.
    public var maximumHeaderCount = 100
    /// Largest request body. 1 MiB: a sweep definition is a few KiB; larger gets 413.
    public var maximumBodyBytes = 1024 * 1024
    /// Bytes of requests not yet whole (a head, a body still arriving), all connections
    /// together. Once past it, a connection holding more than ``smallRequestBytes`` of such
    /// input is answered 503 with `Retry-After` and closed as it reads more, so clients that
    /// send a body and hold back its last byte cost at most this much and
    /// ``smallRequestBytes`` a connection (1,000 such clients of 1 MiB each took 1.1 GB),
    /// while small requests still pass. 64 MiB.
    public var maximumReceivingBytes = 64 * 1024 * 1024
    /// What a request may hold of its input unrefused however full ``maximumReceivingBytes``
    /// is: a usual head and a small body. 16 KiB: with ``maximumConnections`` connections,
    /// 64 MiB at most on top of the bound (at 64 KiB, 4,000 clients each holding back the
    /// last byte of a 64 KiB body took 262 MB past it).
    public var smallRequestBytes = 16 * 1024
    /// Bytes read and discarded after a refused request's answer (a 413 sent while the
    /// client still sends its body), with the sending side already closed, before the
    /// connection is closed: closing with unread input would reset it, and a client still
    /// writing (Python's `urllib`) would see a broken pipe instead of the answer. 8 MiB.
    public var refusedDrainBytes = 8 * 1024 * 1024
    /// Seconds that draining may take at most. 2 s.
    public var refusedDrainSeconds = 2.0
    /// Most open connections; further ones get a 503 with `Retry-After` and are closed.
    /// Well above the 1,000 idle connections a slow or hostile client may hold. Lowered at
    /// start to half the process's descriptor limit less ``reservedDescriptors``, since a
    /// download holds its file open as well as its connection.
    public var maximumConnections = 4096
    /// Descriptors kept for files, pipes and logs when ``maximumConnections`` is clamped to
    /// the descriptor limit. 128: the open files of a few dozen concurrent downloads.
    public var reservedDescriptors = 128
    /// Seconds a client has to send a complete header section once it starts a request
    /// (slowloris defence). 10 s.
    public var headerTimeout = 10.0
    /// Seconds a kept-alive connection may sit idle between requests. 30 s.
    public var idleTimeout = 30.0
    /// Seconds from a request's first byte to its last, body included. 30 s.
    public var requestTimeout = 30.0
    /// Seconds a client may leave a response unread before the connection is dropped. 60 s.
    public var writeTimeout = 60.0
    /// Seconds a request may take to be answered once dispatched; then it gets a 503 and
    /// the connection closes. 60 s: the slowest answer, a cold list of 100,000 runs, takes
    /// a few seconds.
    public var handlerTimeout = 60.0
    /// Bytes of unsent output above which a connection neither reads nor answers its next
    /// pipelined request, and below which a streamed file is refilled. 64 KiB, SwiftNIO's
    /// high water mark: a client that never reads holds one response and this much more,
    /// never the answers to every request it pipelined.
    public var outputHighWater = 64 * 1024
    /// Bytes read from a streamed file at a time. 64 KiB.
    public var fileChunkBytes = 64 * 1024
    /// Bytes asked of a produced body (a long list, an export; ``BodyProducer``) at a time.
    /// 16 KiB: a connection whose client does not read holds the high water mark and one
    /// such chunk, about 80 KiB, whatever the size of the answer (and zlib's state, about
    /// 86 KiB, when the answer is gzip-coded: ``codedStreamWindowBits``).
    public var producedChunkBytes = 16 * 1024
    /// Threads answering requests that touch the disk or build large answers, off the
    /// event loops. 4: such work mostly waits on the disk, so more threads than cores help.
    public var blockingThreads = 4
    /// Requests that may wait for those threads; one more gets a 503 with `Retry-After`.
    /// 1,024: a burst from many clients queues, a flood is refused.
    public var blockingQueueDepth = 1024
    /// Seconds a request may wait for a thread of the blocking pool, or of the query or heavy
    /// pool once admitted there; one not started by then is answered 503 with `Retry-After` at
    /// that moment, whether or not a thread is free. While the oldest waiting request has
    /// waited more than half of it, the queue is standing (CoDel's measure: time spent
    /// waiting, not the number waiting) and new requests are refused on arrival, which costs
    /// nothing. 5 s: a burst from many clients is absorbed, while a flood beyond what the
    /// threads can do gets its 503 within seconds, not after ``handlerTimeout``, and what is
    /// admitted starts in time.
    public var maximumQueueDelay = 5.0
    /// Requests one client (one address) may have waiting for those threads or running on
    /// them; more get 503 with `Retry-After`. 64: the page asks a handful at a time, and a
    /// script looping on expensive requests from one address cannot take the queue.
    public var blockingPerClient = 64

    /// Bytes held for clients, all connections together: answers in memory written but not
    /// yet taken, and what each answer streamed from a file or produced as it is read holds
    /// while it lasts (``streamHolding(fileChunk:producerHolding:coded:)``: the high water
    /// mark, a chunk, what the producer keeps and, when gzip-coded, the coder's state),
    /// reserved before its head is sent and given back however it ends. An answer that
    /// would take the total past this is replaced by a 503 with `Retry-After` before any
    /// byte of it is sent, so clients that ask and never read cost at most this much,
    /// however many they are (a page of 10,000 runs is about 12 MB: 1,000 such clients
    /// would otherwise hold 12 GB; 1,000 streamed answers, about 100 MB). 128 MiB; at least
    /// one answer is always let through.
    public var maximumQueuedBytes = 128 * 1024 * 1024
    /// The deflate window of a streamed answer gzip-coded as it is sent, as a power of two:
    /// 2^13 = 8 KiB. With ``codedStreamMemoryLevel`` zlib holds 64 KiB per such answer
    /// instead of 256 KiB at its defaults, and the answers come out a few per cent larger
    /// (JSON pages and CSV repeat themselves within a row or two; measured on 10,000 runs in
    /// the README's limits section).
    public var codedStreamWindowBits: Int32 = 13
    /// zlib's `memLevel` for those answers (its hash tables and pending buffer): 6.
    public var codedStreamMemoryLevel: Int32 = 6

    /// What a streamed answer holds while it lasts, counted in ``maximumQueuedBytes``: the
    /// connection's output up to ``outputHighWater`` and one chunk of `fileChunk` bytes (with
    /// its chunked-coding frame), what a producer keeps between chunks and, when the answer
    /// is gzip-coded, the coder's window, tables and a chunk-sized output buffer.
    public func streamHolding(fileChunk: Int, producerHolding: Int, coded: Bool) -> Int {
        outputHighWater + fileChunk + 64 + producerHolding
            + (coded
                ? GzipWriter.memory(
                    windowBits: codedStreamWindowBits, memoryLevel: codedStreamMemoryLevel, bufferBytes: producedChunkBytes)
                : 0)
    }

    /// The kernel's send buffer of each connection (SO_SNDBUF), in bytes; 0 leaves it to
    /// the kernel's autotuning, which lets a socket whose client does not read take up to
    /// the system's `tcp_wmem` maximum (4 MiB on common systems) on top of
    /// ``maximumQueuedBytes``. 0 by default, so downloads over long links keep their speed;
    /// set it to cap the kernel's share per connection as well.
    public var socketSendBuffer = 0
    /// Threads answering queries that scan every run of a sweep (runs pages and `runs.csv`,
    /// the explorer's columns, aggregates and importance, the run map), apart from
    /// ``blockingThreads`` so cheap reads and submissions never wait behind them; admitted
    /// fairly per client like frames (``FairPool``), at the simulation's priority (below it, a
    /// sweep on every core starves them). Half the cores, at
    /// least 2: one slow query (a cold index of 100,000 runs takes seconds) does not hold up
    /// every other. As many threads more, apart from the
    /// blocking pool, make the chunks of streamed answers (a few dozen rows each) as their
    /// clients read, so clients reading long pages keep no file read waiting either.
    public var queryThreads = max(2, ProcessInfo.processInfo.activeProcessorCount / 2)
    /// Queries that may wait for those threads, all clients together; more get 503 with
    /// `Retry-After`. 1,024, as for the blocking pool: a burst queues, and the queue delay
    /// sheds a flood.
    public var queryQueueDepth = 1024
    /// Estimated cost of the queries waiting, all clients together, in run visits: the runs
    /// of the sweep a query scans times the names it computes on each (1, and one per
    /// condition of its filter, key of its sort, or name it asks the explorer for); more get
    /// 503 with `Retry-After`. 2·10^8: a few seconds of scanning for the query threads, so
    /// a flood of queries over large sweeps is refused at once rather than shed at the queue
    /// delay, while a burst of the page's queries over 100,000 runs (a few million each)
    /// queues.
    public var queryQueuedCost = 200_000_000
    /// Queries one client (one address) may have waiting or running; more get 503 with
    /// `Retry-After`. 64: the page asks a handful at a time, and the threads take the
    /// clients in turn, so a script looping on queries from one address gets its share of
    /// the threads and no more.
    public var queryPerClient = 64
    /// Threads recomputing heavy answers (a run's frames), apart from
    /// ``blockingThreads`` so cheap reads and submissions never wait behind them. Half the
    /// cores, at least one: the rest stay free for the loops and the blocking pool.
    public var heavyThreads = max(1, ProcessInfo.processInfo.activeProcessorCount / 2)
    /// Heavy requests that may wait, all clients together; more get 503. 64.
    public var heavyQueueDepth = 64
    /// Estimated cost (cell updates) of the heavy requests waiting, all clients together;
    /// more get 503. 2·10^9: about as many seconds of work as the heavy threads can do in
    /// the ``handlerTimeout``, so an admitted request is answered in time.
    public var heavyQueuedCost = 2_000_000_000
    /// Heavy requests one client (one address) may have waiting or running; more get 503.
    /// 2: a page showing one run's frames needs one at a time, and a script looping on
    /// frames from one address gets its share and no more.
    public var heavyPerClient = 2

    /// Longest `Retry-After`, in seconds, given to a query or frames request refused for
    /// its pool's queue or its client's share, which is estimated from the work admitted
    /// (its estimated cost over the pool's measured rate) and is at least 1 s. 60 s: what
    /// the queues admit is about a handler timeout's work, and a client should not be sent
    /// away for longer than the wait it was spared. The queue delay
    /// (``maximumQueueDelay``, rounded up) bounds it too: by then whatever waits has started
    /// or been shed.
    public var maximumRetryAfter = 60

    /// The defaults above.
    public init() {}
}
