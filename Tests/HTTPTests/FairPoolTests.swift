import CSystem
import Dispatch
import Foundation
import Glibc
import HTTP
import Synchronization
import Testing

/// The heavy pool's admission: a client's share, the bounds on waiting work, and turns.
struct FairPoolTests {
    @Test func clients_TakeTurns_AndEachIsHeldToItsShare_AndTheQueueToItsBounds() throws {
        let pool = FairPool(limits: FairPool.Limits(threads: 1, queueDepth: 6, queuedCost: 100, perClient: 3))
        defer { pool.shutdown() }
        let gate = DispatchSemaphore(value: 0)
        let order = Mutex<[String]>([])
        let done = DispatchGroup()
        // The one thread is held by a first item, so everything after it waits.
        done.enter()
        try pool.submit(client: "blocker", cost: 0) {
            gate.wait()
            done.leave()
        }
        Thread.sleep(forTimeInterval: 0.1)
        for client in ["a", "a", "a"] {
            done.enter()
            try pool.submit(client: client, cost: 10) {
                order.withLock { $0.append(client) }
                done.leave()
            }
        }
        #expect(throws: FairPool.Refusal.clientShare) { try pool.submit(client: "a", cost: 1) {} }
        for client in ["b", "b", "c"] {
            done.enter()
            try pool.submit(client: client, cost: 10) {
                order.withLock { $0.append(client) }
                done.leave()
            }
        }
        #expect(pool.queued == 6)
        #expect(throws: FairPool.Refusal.full) { try pool.submit(client: "d", cost: 1) {} }
        gate.signal()
        done.wait()
        // Round robin over a, b, c in the order they first came, not first come first served.
        #expect(order.withLock { $0 } == ["a", "b", "c", "a", "b", "a"])
        // Shares are given back once work ends; an item over the cost bound waits alone.
        #expect(pool.queued == 0)
        let finished = DispatchSemaphore(value: 0)
        try pool.submit(client: "a", cost: 1_000) { finished.signal() }
        finished.wait()
    }

    @Test func withdrawnItems_NeverRun_AndGiveBackTheirShareAndPlaceAtOnce() throws {
        let pool = FairPool(limits: FairPool.Limits(threads: 1, queueDepth: 3, queuedCost: 100, perClient: 2))
        defer { pool.shutdown() }
        let gate = DispatchSemaphore(value: 0)
        let taken = DispatchSemaphore(value: 0)
        let ran = Mutex<[String]>([])
        let running = try pool.submit(client: "a", cost: 0) {
            taken.signal()
            gate.wait()
        }
        taken.wait()
        // Taken by a thread: no longer withdrawn.
        #expect(!pool.withdraw(client: "a", ticket: running))
        let gone = try pool.submit(client: "a", cost: 5) { ran.withLock { $0.append("gone") } }
        #expect(throws: FairPool.Refusal.clientShare) { try pool.submit(client: "a", cost: 1) {} }
        #expect(pool.withdraw(client: "a", ticket: gone))
        #expect(!pool.withdraw(client: "a", ticket: gone), "once only")
        #expect(!pool.withdraw(client: "b", ticket: running), "another client's ticket")
        #expect(pool.queued == 0)
        // Its share is back at once, and so is its place in a full queue.
        let done = DispatchGroup()
        for name in ["a1", "b1", "b2"] {
            done.enter()
            try pool.submit(client: String(name.prefix(1)), cost: 1) {
                ran.withLock { $0.append(name) }
                done.leave()
            }
        }
        #expect(throws: FairPool.Refusal.full) { try pool.submit(client: "c", cost: 1) {} }
        gate.signal()
        done.wait()
        #expect(ran.withLock { $0 }.sorted() == ["a1", "b1", "b2"], "the withdrawn item never ran")
    }

    @Test func cost_BoundsTheWaitingWork() throws {
        let pool = FairPool(limits: FairPool.Limits(threads: 1, queueDepth: 100, queuedCost: 50, perClient: 100))
        let gate = DispatchSemaphore(value: 0)
        try pool.submit(client: "x", cost: 0) { gate.wait() }
        Thread.sleep(forTimeInterval: 0.1)
        try pool.submit(client: "x", cost: 30) {}
        try pool.submit(client: "y", cost: 20) {}
        #expect(throws: FairPool.Refusal.full) { try pool.submit(client: "z", cost: 1) {} }
        gate.signal()
        pool.shutdown()
        #expect(throws: FairPool.Refusal.stopped) { try pool.submit(client: "z", cost: 1) {} }
    }
}

/// The heavy pool's bound in time: a waiting item is shed at the delay, and a standing queue
/// refuses new items on arrival.
@Suite struct FairPoolDelayTests {
    @Test func itemNotStartedWithinTheDelay_IsShed_AndAStandingQueueRefusesNewOnes() throws {
        let pool = FairPool(
            limits: FairPool.Limits(threads: 1, queueDepth: 16, queuedCost: 1000, perClient: 4, maximumDelay: 1))
        let gate = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        try pool.submit(client: "blocker", cost: 0) {
            started.signal()
            gate.wait()
        }
        started.wait()
        let queued = Date()
        let ran = Atomic<Int>(0)
        let shedAfter = Mutex<[Double]>([])
        for client in ["a", "b", "a", "c"] {
            try pool.submit(
                client: client, cost: 10, orShed: { shedAfter.withLock { $0.append(Date().timeIntervalSince(queued)) } }
            ) { ran.add(1, ordering: .relaxed) }
        }
        Thread.sleep(forTimeInterval: 0.7)
        // A client with an item waiting is refused while the queue is behind; one with none
        // is admitted, and shed with the rest.
        #expect(throws: FairPool.Refusal.behind) { try pool.submit(client: "a", cost: 1, orShed: {}) {} }
        try pool.submit(client: "d", cost: 1, orShed: {}) { ran.add(1, ordering: .relaxed) }
        while shedAfter.withLock({ $0.count }) < 4 && Date().timeIntervalSince(queued) < 10 { usleep(10_000) }
        let times = shedAfter.withLock { $0 }
        #expect(times.count == 4 && times.allSatisfy { $0 >= 1 && $0 < 3 }, "shed at the delay: \(times)")
        while pool.queued > 0 && Date().timeIntervalSince(queued) < 10 { usleep(10_000) }
        #expect(pool.queued == 0)
        // Shed items give back their client's share.
        for _ in 0..<4 { try pool.submit(client: "a", cost: 1, orShed: {}) { ran.add(1, ordering: .relaxed) } }
        gate.signal()
        while pool.queued > 0 { usleep(1000) }
        pool.shutdown()
        #expect(ran.load(ordering: .relaxed) == 4)
    }
}

/// Clients that each loop on heavy work, more than the thread can serve within the delay:
/// items are shed, and still every client gets its turns.
@Suite struct FairPoolSheddingTurnsTests {
    final class Loop: @unchecked Sendable {
        let pool: FairPool
        let served = Mutex<[String: Int]>([:])
        let stop = Atomic<Bool>(false)

        init(pool: FairPool) { self.pool = pool }

        /// Asks again at once when answered or shed, a little later when refused.
        func ask(_ client: String) {
            guard !stop.load(ordering: .relaxed) else { return }
            do {
                try pool.submit(
                    client: client, cost: 1,
                    orShed: { DispatchQueue.global().async { self.ask(client) } }
                ) {
                    usleep(50_000)
                    self.served.withLock { $0[client, default: 0] += 1 }
                    DispatchQueue.global().async { self.ask(client) }
                }
            } catch {
                DispatchQueue.global().asyncAfter(deadline: .now() + 0.01) { self.ask(client) }
            }
        }
    }

    @Test func clientsBeyondWhatTheDelayAllows_AllGetTurns() throws {
        // 12 clients of 50 ms items: a turn of all of them takes 0.6 s, twice the delay.
        let pool = FairPool(
            limits: FairPool.Limits(threads: 1, queueDepth: 64, queuedCost: 1000, perClient: 2, maximumDelay: 0.3))
        let loop = Loop(pool: pool)
        let clients = (0..<12).map { "c\($0)" }
        for client in clients { loop.ask(client) }
        Thread.sleep(forTimeInterval: 4)
        loop.stop.store(true, ordering: .relaxed)
        Thread.sleep(forTimeInterval: 0.5)
        pool.shutdown()
        let served = loop.served.withLock { $0 }
        let counts = clients.map { served[$0, default: 0] }
        print("turns per client in 4 s: \(counts)")
        #expect(counts.allSatisfy { $0 >= 2 }, "every client had its turns: \(counts)")
        #expect(counts.max()! - counts.min()! <= 3, "and about as many as the others: \(counts)")
    }

    @Test func retryAfter_IsTheAdmittedWorkOverTheMeasuredRate_WithinItsRange() throws {
        let pool = FairPool(limits: FairPool.Limits(threads: 1, queueDepth: 100, queuedCost: 1 << 40, perClient: 100))
        defer { pool.shutdown() }
        // Nothing measured yet: the fallback, kept within the range.
        #expect(pool.rate == nil)
        #expect(pool.retryAfter(within: 1...60, fallback: 3) == 3)
        #expect(pool.retryAfter(within: 1...60, fallback: 100) == 60)
        // Items of cost 1,000 taking 20 ms each: about 50,000 a second on the one thread.
        let done = DispatchGroup()
        for _ in 0..<5 {
            done.enter()
            try pool.submit(client: "a", cost: 1000) {
                Thread.sleep(forTimeInterval: 0.02)
                done.leave()
            }
        }
        done.wait()
        // An item is counted once its body has returned; the one thread takes the next
        // only then, so an item of no cost that has started marks everything before it counted.
        func fence() throws {
            let started = DispatchSemaphore(value: 0)
            try pool.submit(client: "fence", cost: 0) { started.signal() }
            started.wait()
        }
        try fence()
        let rate = try #require(pool.rate)
        #expect(rate > 5_000 && rate <= 50_000, "measured \(rate) a second")
        // An item that does no work (its client gone) does not make the pool look faster.
        done.enter()
        try pool.submit(client: "a", cost: 1_000_000) { done.leave() }
        done.wait()
        try fence()
        #expect(pool.rate == rate)
        // The thread held by an item of no cost; 100,000 waits: about 2 s at 50,000 a second.
        let gate = DispatchSemaphore(value: 0)
        let holding = DispatchSemaphore(value: 0)
        done.enter()
        try pool.submit(client: "blocker", cost: 0) {
            holding.signal()
            gate.wait()
            done.leave()
        }
        holding.wait()
        for _ in 0..<4 {
            done.enter()
            try pool.submit(client: "b", cost: 25_000) { done.leave() }
        }
        #expect(pool.waitingCost == 100_000)
        #expect(pool.retryAfter(within: 1...60, fallback: 3) == Int((100_000 / rate).rounded(.up)))
        // Within the range either side.
        #expect(pool.retryAfter(within: 1...1, fallback: 3) == 1)
        #expect(pool.retryAfter(within: 30...60, fallback: 3) == 30)
        gate.signal()
        done.wait()
    }

    @Test func threads_RunAtNiceTen_OnlyWhenLowered() throws {
        // The process's own nice value is the base a lowered thread cannot go below.
        let base = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        for lowered in [false, true] {
            let pool = FairPool(
                limits: FairPool.Limits(threads: 2, queueDepth: 8, queuedCost: 100, perClient: 8), lowerPriority: lowered)
            defer { pool.shutdown() }
            let niceness = Mutex<[Int32]>([])
            let done = DispatchGroup()
            for _ in 0..<4 {
                done.enter()
                try pool.submit(client: "a", cost: 1) {
                    let value = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(CSystem.gettid()))
                    niceness.withLock { $0.append(value) }
                    done.leave()
                }
            }
            #expect(done.wait(timeout: .now() + 30) == .success)
            #expect(niceness.withLock { $0 } == Array(repeating: lowered ? max(10, base) : base, count: 4))
        }
    }
}
