import Foundation
import Glibc

/// Threads for heavy work (recomputing a run's frames; queries that scan every run of a
/// sweep, in a pool of their own), kept apart from the ``BlockingPool`` that answers cheap
/// reads and submissions, so that no amount of heavy work can make those wait.
///
/// Admission is bounded and fair: each item names its client and an estimated cost; a
/// client has at most ``Limits/perClient`` items queued or running, the queue holds at
/// most ``Limits/queueDepth`` items and ``Limits/queuedCost`` of estimated cost, and the
/// threads take the clients in turn: next is the waiting client served least recently (one
/// never served first), so one client looping on heavy requests gets its share and no
/// more. Work that does not fit is refused at once and the caller answers 503 with
/// `Retry-After`. The threads run at a lower scheduling priority, so on a busy machine the
/// event loops and the blocking pool are served first.
///
/// Waiting is bounded in time as in the ``BlockingPool``: an item given a `shed` that no
/// thread has taken within ``Limits/maximumDelay`` is shed at that moment, and while the
/// oldest waiting item has waited more than half of it, new items of clients that already
/// have one waiting or running are refused on arrival. A client with none is admitted (the
/// bounds by count, cost and share hold the queue): when more clients want turns than the
/// threads can give within the delay, the items shed are those of the clients served last,
/// who wait longest in the turn order, and every client still gets its turn. Plain
/// round-robin order, with shedding and refusal on arrival, would serve again and again the
/// clients that came back first after being served, and starve the others.
public final class FairPool: @unchecked Sendable {
    /// How much heavy work is admitted.
    public struct Limits: Hashable, Sendable {
        /// Threads doing the work.
        public var threads: Int
        /// Items waiting, all clients together.
        public var queueDepth: Int
        /// Estimated cost of the items waiting, all clients together.
        public var queuedCost: Int
        /// Items one client may have waiting or running.
        public var perClient: Int
        /// Seconds an item may wait for a thread (infinite: no bound in time).
        public var maximumDelay: Double

        /// Limits as given.
        public init(threads: Int, queueDepth: Int, queuedCost: Int, perClient: Int, maximumDelay: Double = .infinity) {
            self.threads = threads
            self.queueDepth = queueDepth
            self.queuedCost = queuedCost
            self.perClient = perClient
            self.maximumDelay = maximumDelay
        }
    }

    /// Why work was not admitted.
    public enum Refusal: Error, Equatable, Sendable {
        /// The client already has its share queued or running.
        case clientShare
        /// The queue is full, by count or by cost.
        case full
        /// The oldest waiting item has waited more than half of ``Limits/maximumDelay``.
        case behind
        /// The pool has stopped.
        case stopped
    }

    private struct Item {
        /// What ``submit(client:cost:orShed:_:)`` returned for it, for ``withdraw(client:ticket:)``.
        let ticket: Int
        let cost: Int
        /// When it was queued, on ``EventQueue/now()``'s clock.
        let since: Double
        let work: @Sendable () -> Void
        /// What runs instead of `work` when no thread took it in time; nil: never shed.
        let shed: (@Sendable () -> Void)?
    }

    private let condition = NSCondition()
    private let limits: Limits
    /// Waiting items per client, and the clients with waiting items in the order they came.
    private var waiting: [String: [Item]] = [:]
    private var turns: [String] = []
    /// When each client was last given a thread (``EventQueue/now()``'s clock).
    private var lastServed: [String: Double] = [:]
    /// Items waiting or running, per client.
    private var held: [String: Int] = [:]
    private var queuedItems = 0
    private var queuedCost = 0
    /// Estimated cost of the items running now.
    private var runningCost = 0
    /// Cost done per second by one thread, measured over the items run (a moving average);
    /// nil until an item has been measured.
    private var measuredRate: Double?
    private var lastTicket = 0
    private var stopping = false
    private let finished = DispatchGroup()
    private var watch: DeadlineWatch?

    /// Starts the threads; with `lowerPriority` they run at a nice value of 10, below the
    /// event loops and the simulation's workers.
    public init(limits: Limits, name: String = "heavy", lowerPriority: Bool = true) {
        self.limits = limits
        for _ in 0..<max(1, limits.threads) {
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
        if limits.maximumDelay.isFinite { watch = DeadlineWatch(name: name + "-watch") { [self] in shedOverdue() } }
    }

    /// Queues `work` for `client` with an estimated `cost` (any unit, the same for every
    /// item); throws, without running it, when it is not admitted. If `shed` is given and no
    /// thread takes the work within ``Limits/maximumDelay``, `shed` runs instead (once, on
    /// another thread, and must not block). Returns a ticket for ``withdraw(client:ticket:)``.
    @discardableResult
    public func submit(
        client: String, cost: Int, orShed shed: (@Sendable () -> Void)? = nil,
        _ work: @escaping @Sendable () -> Void
    ) throws(Refusal) -> Int {
        condition.lock()
        guard !stopping else {
            condition.unlock()
            throw .stopped
        }
        guard held[client, default: 0] < limits.perClient else {
            condition.unlock()
            throw .clientShare
        }
        let cost = max(0, cost)
        // One item alone may exceed the cost bound; it is admitted when nothing else waits.
        guard queuedItems < limits.queueDepth, queuedItems == 0 || queuedCost + cost <= limits.queuedCost else {
            condition.unlock()
            throw .full
        }
        let now = EventQueue.now()
        if limits.maximumDelay.isFinite, held[client] != nil, let oldest = oldestSince(),
            now - oldest > limits.maximumDelay / 2
        {
            condition.unlock()
            throw .behind
        }
        held[client, default: 0] += 1
        if waiting[client, default: []].isEmpty { turns.append(client) }
        lastTicket += 1
        let ticket = lastTicket
        waiting[client, default: []].append(Item(ticket: ticket, cost: cost, since: now, work: work, shed: shed))
        queuedItems += 1
        queuedCost += cost
        condition.signal()
        condition.unlock()
        // Heavy items are few and costly: the watch looks again at every one with a deadline.
        if shed != nil { watch?.kick() }
        return ticket
    }

    /// Takes back `client`'s item `ticket` while it still waits (its client has gone): it
    /// neither runs nor is shed, and its place in the queue and in the client's share is
    /// given back at once, so a client that asks and goes does not hold its share until a
    /// thread comes round to the item. False when a thread has taken it, or it was shed.
    @discardableResult
    public func withdraw(client: String, ticket: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard var items = waiting[client], let index = items.firstIndex(where: { $0.ticket == ticket }) else {
            return false
        }
        let item = items.remove(at: index)
        if items.isEmpty {
            waiting[client] = nil
            turns.removeAll { $0 == client }
        } else {
            waiting[client] = items
        }
        queuedItems -= 1
        queuedCost -= item.cost
        release(client)
        return true
    }

    /// When the oldest waiting item was queued: each client's items wait in order, so it is
    /// one of their first. Called with the lock held.
    private func oldestSince() -> Double? {
        waiting.values.compactMap { $0.first?.since }.min()
    }

    /// Sheds the items given a `shed` that have waited their maximum delay; the next such
    /// deadline.
    private func shedOverdue() -> Double? {
        condition.lock()
        let now = EventQueue.now()
        var due: [@Sendable () -> Void] = []
        var next: Double?
        for (client, items) in waiting {
            var kept: [Item] = []
            for item in items {
                if let shed = item.shed, now - item.since >= limits.maximumDelay {
                    due.append(shed)
                    queuedItems -= 1
                    queuedCost -= item.cost
                    release(client)
                } else {
                    if item.shed != nil { next = min(next ?? .infinity, item.since + limits.maximumDelay) }
                    kept.append(item)
                }
            }
            guard kept.count != items.count else { continue }
            if kept.isEmpty {
                waiting[client] = nil
                turns.removeAll { $0 == client }
            } else {
                waiting[client] = kept
            }
        }
        condition.unlock()
        for shed in due { shed() }
        return next
    }

    /// Forgets when clients with nothing held were served, where that changes no turn: those
    /// served before every waiting client already come before them, as a client never
    /// served does. Called with the lock held.
    private func forgetServed() {
        let earliest = turns.map { lastServed[$0, default: -.infinity] }.min() ?? .infinity
        lastServed = lastServed.filter { client, time in held[client] != nil || time >= earliest }
    }

    /// One of `client`'s items has ended (run or shed). Called with the lock held.
    private func release(_ client: String) {
        held[client, default: 1] -= 1
        if held[client] == 0 { held[client] = nil }
    }

    /// Seconds of work shorter than this do not count in the measured rate.
    static let shortestMeasured = 0.001
    /// Weight of the latest item in the moving average of the rate: a fifth, so a few items
    /// of a new kind move it, and one odd item does not.
    static let rateWeight = 0.2

    /// Cost done per second by one thread, as measured so far; nil before any item ran.
    public var rate: Double? {
        condition.lock()
        defer { condition.unlock() }
        return measuredRate
    }

    /// Seconds until the work admitted now (waiting and running) is likely done, from its
    /// estimated cost and the measured rate of the threads, rounded up and kept within
    /// `range`: what a refused client is told to wait (`Retry-After`). `fallback` (kept
    /// within `range` too) before any item has been measured.
    public func retryAfter(within range: ClosedRange<Int>, fallback: Int) -> Int {
        condition.lock()
        let ahead = queuedCost + runningCost
        let rate = measuredRate
        condition.unlock()
        guard let rate, rate > 0 else { return min(max(fallback, range.lowerBound), range.upperBound) }
        let seconds = Double(ahead) / (rate * Double(max(1, limits.threads)))
        guard seconds.isFinite else { return range.upperBound }
        return Int(min(max(seconds.rounded(.up), Double(range.lowerBound)), Double(range.upperBound)))
    }

    /// Estimated cost of the items waiting, all clients together.
    public var waitingCost: Int {
        condition.lock()
        defer { condition.unlock() }
        return queuedCost
    }

    /// Items waiting for a thread.
    public var queued: Int {
        condition.lock()
        defer { condition.unlock() }
        return queuedItems
    }

    /// Drops the waiting work, lets running items finish and waits for the threads.
    public func shutdown() {
        condition.lock()
        stopping = true
        waiting.removeAll()
        turns.removeAll()
        queuedItems = 0
        queuedCost = 0
        condition.broadcast()
        condition.unlock()
        finished.wait()
        watch?.stop()
    }

    private func work() {
        while true {
            condition.lock()
            while !stopping && turns.isEmpty { condition.wait() }
            if stopping {
                condition.unlock()
                return
            }
            // The waiting client served least recently gives its oldest item; ties (clients
            // never served) go in the order they came.
            var next = 0
            for index in turns.indices.dropFirst()
            where lastServed[turns[index], default: -.infinity] < lastServed[turns[next], default: -.infinity] {
                next = index
            }
            let client = turns.remove(at: next)
            lastServed[client] = EventQueue.now()
            if lastServed.count > 4 * max(64, limits.queueDepth) { forgetServed() }
            var items = waiting[client]!
            let item = items.removeFirst()
            if items.isEmpty {
                waiting[client] = nil
            } else {
                waiting[client] = items
                turns.append(client)
            }
            queuedItems -= 1
            queuedCost -= item.cost
            runningCost += item.cost
            condition.unlock()
            // The watch may not have come round to it yet.
            let started = EventQueue.now()
            var measured = false
            if let shed = item.shed, started - item.since >= limits.maximumDelay {
                shed()
            } else {
                item.work()
                measured = true
            }
            let took = EventQueue.now() - started
            condition.lock()
            runningCost -= item.cost
            // Items that did no work (their client had gone: skipped in microseconds) would
            // make the pool look faster than it is.
            if measured && item.cost > 0 && took >= Self.shortestMeasured {
                let rate = Double(item.cost) / took
                measuredRate = measuredRate.map { $0 + (rate - $0) * Self.rateWeight } ?? rate
            }
            release(client)
            condition.unlock()
        }
    }
}
