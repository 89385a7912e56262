import Foundation
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
