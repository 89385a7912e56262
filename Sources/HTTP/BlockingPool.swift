import Foundation
import Glibc

/// Threads for work that must not run on an event loop: file reads and writes, parsing
/// large definitions, building long lists. Its queue is bounded (SwiftNIO's
/// `NIOThreadPool` is not): when it is full ``submit(_:)`` says so at once, and the caller
/// answers 503 instead of letting a flood of requests queue without end.
///
/// Requests (``submit(orShed:_:)``) are also bounded in time, by the pool's `maximumDelay`:
/// one that no thread has taken within it is shed (its `shed` runs in place of its work, at
/// the deadline, whether or not a thread is free), and while the oldest waiting request has
/// waited more than half of it the queue is standing (CoDel's measure: the time spent
/// waiting, not the number waiting) and new requests are refused on arrival, where refusing
/// costs nothing. A flood then gets its 503 within the delay instead of after the handler's
/// timeout, and what is admitted starts in time. Continuations of work already admitted (the
/// next chunk of a download; ``submit(_:)``) are never shed. Threads take both kinds in the
/// order they came.
public final class BlockingPool: @unchecked Sendable {
    /// Why a request was not admitted.
    public enum Refusal: Error, Equatable, Sendable {
        /// The queue holds as many items as it may.
        case full
        /// The oldest waiting request has waited more than half the pool's maximum delay.
        case behind
        /// The pool has stopped.
        case stopped
    }

    private struct Item {
        /// When it was queued, on ``EventQueue/now()``'s clock.
        let since: Double
        let work: @Sendable () -> Void
        /// What runs instead of `work` when no thread took it in time; nil: never shed.
        let shed: (@Sendable () -> Void)?
    }

    /// A first-in first-out line of items. Taken items are set to nil at once: a finished
    /// item must not keep what it captured (an open file, a request's body) alive until the
    /// line is next compacted.
    private struct Line {
        private var items: [Item?] = []
        private var head = 0

        var count: Int { items.count - head }
        var first: Item? { head < items.count ? items[head] : nil }

        mutating func append(_ item: Item) { items.append(item) }

        mutating func removeFirst() -> Item {
            let item = items[head]!
            items[head] = nil
            head += 1
            if head >= 1024 && head * 2 >= items.count {
                items.removeFirst(head)
                head = 0
            }
            return item
        }

        mutating func removeAll() {
            items.removeAll()
            head = 0
        }
    }

    private let condition = NSCondition()
    private var requests = Line()
    private var continuations = Line()
    private var stopping = false
    private let depth: Int
    private let maximumDelay: Double
    private let finished = DispatchGroup()
    private var watch: DeadlineWatch?

    /// Starts `threads` threads taking work from a queue of at most `queueDepth` items, of
    /// which requests wait at most `maximumDelay` seconds (none: no bound in time). With
    /// `lowerPriority` the threads run at a nice value of 10, so on a busy machine the event
    /// loops and other pools are served first.
    public init(
        threads: Int, queueDepth: Int, maximumDelay: Double = .infinity, name: String = "blocking",
        lowerPriority: Bool = false
    ) {
        depth = max(1, queueDepth)
        self.maximumDelay = maximumDelay
        for _ in 0..<max(1, threads) {
            finished.enter()
            let thread = Thread { [self] in
                if lowerPriority {
                    Thread.setCurrentNice(10)
                }
                work()
                finished.leave()
            }
            thread.name = name
            thread.start()
        }
        if maximumDelay.isFinite { watch = DeadlineWatch(name: name + "-watch") { [self] in shedOverdue() } }
    }

    /// Queues `work` that continues something already admitted; false, without running it,
    /// when the queue is full or the pool stopped. It waits as long as it takes.
    public func submit(_ work: @escaping @Sendable () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping, requests.count + continuations.count < depth else { return false }
        continuations.append(Item(since: EventQueue.now(), work: work, shed: nil))
        condition.signal()
        return true
    }

    /// Queues a request's `work`; throws, without running it, when it is not admitted. If no
    /// thread takes it within the pool's maximum delay, `shed` runs instead (once, on another
    /// thread, and must not block): it answers that the server is busy.
    public func submit(
        orShed shed: @escaping @Sendable () -> Void, _ work: @escaping @Sendable () -> Void
    ) throws(Refusal) {
        condition.lock()
        guard !stopping else {
            condition.unlock()
            throw .stopped
        }
        guard requests.count + continuations.count < depth else {
            condition.unlock()
            throw .full
        }
        let now = EventQueue.now()
        if let oldest = requests.first, now - oldest.since > maximumDelay / 2 {
            condition.unlock()
            throw .behind
        }
        let first = requests.count == 0
        requests.append(Item(since: now, work: work, shed: shed))
        condition.signal()
        condition.unlock()
        if first { watch?.kick() }
    }

    /// Items waiting for a thread.
    public var waiting: Int {
        condition.lock()
        defer { condition.unlock() }
        return requests.count + continuations.count
    }

    /// Drops the queued work, lets running items finish and waits for the threads.
    public func shutdown() {
        condition.lock()
        stopping = true
        requests.removeAll()
        continuations.removeAll()
        condition.broadcast()
        condition.unlock()
        finished.wait()
        watch?.stop()
    }

    /// Sheds the requests that have waited their maximum delay; the next one's deadline.
    private func shedOverdue() -> Double? {
        condition.lock()
        let now = EventQueue.now()
        var due: [@Sendable () -> Void] = []
        while let oldest = requests.first, now - oldest.since >= maximumDelay {
            if let shed = requests.removeFirst().shed { due.append(shed) }
        }
        let next = requests.first.map { $0.since + maximumDelay }
        condition.unlock()
        for shed in due { shed() }
        return next
    }

    private func work() {
        while true {
            condition.lock()
            while !stopping && requests.count + continuations.count == 0 { condition.wait() }
            if stopping {
                condition.unlock()
                return
            }
            // The older of the two lines' first items, so both are served in arrival order.
            let takeRequest =
                if let request = requests.first, let continuation = continuations.first {
                    request.since <= continuation.since
                } else {
                    requests.count > 0
                }
            let item = takeRequest ? requests.removeFirst() : continuations.removeFirst()
            condition.unlock()
            // The watch may not have come round to it yet.
            if let shed = item.shed, EventQueue.now() - item.since >= maximumDelay {
                shed()
            } else {
                item.work()
            }
        }
    }
}
