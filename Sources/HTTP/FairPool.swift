import Foundation
import CSystem
import Glibc

/// Threads for heavy work (recomputing a run's frames), kept apart from the
/// ``BlockingPool`` that answers cheap reads and submissions, so that no amount of heavy
/// work can make those wait.
///
/// Admission is bounded and fair: each item names its client and an estimated cost; a
/// client has at most ``Limits/perClient`` items queued or running, the queue holds at
/// most ``Limits/queueDepth`` items and ``Limits/queuedCost`` of estimated cost, and the
/// threads take the clients in turn (round robin), so one client looping on heavy
/// requests gets its share and no more. Work that does not fit is refused at once and the
/// caller answers 503 with `Retry-After`. The threads run at a lower scheduling priority,
/// so on a busy machine the event loops and the blocking pool are served first.
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

        /// Limits as given.
        public init(threads: Int, queueDepth: Int, queuedCost: Int, perClient: Int) {
            self.threads = threads
            self.queueDepth = queueDepth
            self.queuedCost = queuedCost
            self.perClient = perClient
        }
    }

    /// Why work was not admitted.
    public enum Refusal: Error, Equatable, Sendable {
        /// The client already has its share queued or running.
        case clientShare
        /// The queue is full, by count or by cost.
        case full
        /// The pool has stopped.
        case stopped
    }

    private struct Item {
        let cost: Int
        let work: @Sendable () -> Void
    }

    private let condition = NSCondition()
    private let limits: Limits
    /// Waiting items per client, and the clients with waiting items in turn order.
    private var waiting: [String: [Item]] = [:]
    private var turns: [String] = []
    /// Items waiting or running, per client.
    private var held: [String: Int] = [:]
    private var queuedItems = 0
    private var queuedCost = 0
    private var stopping = false
    private let finished = DispatchGroup()

    /// Starts the threads.
    public init(limits: Limits, name: String = "heavy") {
        self.limits = limits
        for _ in 0..<max(1, limits.threads) {
            finished.enter()
            let thread = Thread { [self] in
                // A nice value of 10 for this thread alone (Linux schedules threads as tasks).
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(CSystem.gettid()), 10)
                work()
                finished.leave()
            }
            thread.name = name
            thread.start()
        }
    }

    /// Queues `work` for `client` with an estimated `cost` (any unit, the same for every
    /// item); throws, without running it, when it is not admitted.
    public func submit(client: String, cost: Int, _ work: @escaping @Sendable () -> Void) throws(Refusal) {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { throw .stopped }
        guard held[client, default: 0] < limits.perClient else { throw .clientShare }
        let cost = max(0, cost)
        // One item alone may exceed the cost bound; it is admitted when nothing else waits.
        guard queuedItems < limits.queueDepth, queuedItems == 0 || queuedCost + cost <= limits.queuedCost else {
            throw .full
        }
        held[client, default: 0] += 1
        if waiting[client, default: []].isEmpty { turns.append(client) }
        waiting[client, default: []].append(Item(cost: cost, work: work))
        queuedItems += 1
        queuedCost += cost
        condition.signal()
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
    }

    private func work() {
        while true {
            condition.lock()
            while !stopping && turns.isEmpty { condition.wait() }
            if stopping {
                condition.unlock()
                return
            }
            // The client whose turn it is gives its oldest item and goes to the back.
            let client = turns.removeFirst()
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
            condition.unlock()
            item.work()
            condition.lock()
            held[client, default: 1] -= 1
            if held[client] == 0 { held[client] = nil }
            condition.unlock()
        }
    }
}
