import CSystem
import Dispatch
import Foundation
import Glibc
import HTTP
import Synchronization
import Testing

/// The pool that keeps slow work off the event loops: bounded, and refusing at once when full.
@Suite struct BlockingPoolTests {
    @Test func queue_TakesWorkUpToItsDepth_AndRefusesOneMore() {
        let pool = BlockingPool(threads: 1, queueDepth: 2)
        let gate = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        let ran = Atomic<Int>(0)
        #expect(pool.submit {
            started.signal()
            gate.wait()
            ran.add(1, ordering: .relaxed)
        })
        started.wait()
        #expect(pool.submit { ran.add(1, ordering: .relaxed) })
        #expect(pool.submit { ran.add(1, ordering: .relaxed) })
        #expect(pool.waiting == 2)
        #expect(!pool.submit { ran.add(100, ordering: .relaxed) }, "one past the depth is refused")
        gate.signal()
        while pool.waiting > 0 { usleep(1000) }
        pool.shutdown()
        #expect(ran.load(ordering: .relaxed) == 3)
    }

    @Test func shutdown_DropsQueuedWork_AndRefusesNewWork() {
        let pool = BlockingPool(threads: 1, queueDepth: 8)
        let gate = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        let ran = Atomic<Int>(0)
        _ = pool.submit {
            started.signal()
            gate.wait()
        }
        started.wait()
        _ = pool.submit { ran.add(1, ordering: .relaxed) }
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.1) { gate.signal() }
        pool.shutdown()
        #expect(ran.load(ordering: .relaxed) == 0)
        #expect(!pool.submit {})
    }
}

/// Requests are bounded in time as well as in number: one no thread takes within the
/// pool's delay is shed at that moment, and a queue standing longer than half of it
/// refuses new requests on arrival.
@Suite struct BlockingPoolDelayTests {
    @Test func requestNotStartedWithinTheDelay_IsShedAtTheDelay_WhileEveryThreadIsBusy() throws {
        let pool = BlockingPool(threads: 1, queueDepth: 64, maximumDelay: 0.5)
        let gate = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        // The one thread is held far beyond the delay.
        try pool.submit(orShed: {}) {
            started.signal()
            gate.wait()
        }
        started.wait()
        let queued = Date()
        let ran = Atomic<Int>(0)
        let shedAfter = Mutex<[Double]>([])
        for _ in 0..<20 {
            try pool.submit(orShed: { shedAfter.withLock { $0.append(Date().timeIntervalSince(queued)) } }) {
                ran.add(1, ordering: .relaxed)
            }
        }
        // A continuation of admitted work is never shed.
        #expect(pool.submit { ran.add(100, ordering: .relaxed) })
        while shedAfter.withLock({ $0.count }) < 20 && Date().timeIntervalSince(queued) < 10 { usleep(10_000) }
        let times = shedAfter.withLock { $0 }
        #expect(times.count == 20, "every waiting request was shed while the thread was busy")
        #expect(times.allSatisfy { $0 >= 0.5 && $0 < 2 }, "shed at the delay: \(times)")
        #expect(pool.waiting == 1)
        gate.signal()
        while pool.waiting > 0 { usleep(1000) }
        pool.shutdown()
        #expect(ran.load(ordering: .relaxed) == 100, "no shed request ran; the continuation did")
    }

    @Test func queueStandingPastHalfTheDelay_RefusesRequestsOnArrival_NotContinuations() throws {
        let pool = BlockingPool(threads: 1, queueDepth: 64, maximumDelay: 2)
        let gate = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        try pool.submit(orShed: {}) {
            started.signal()
            gate.wait()
        }
        started.wait()
        let shed = Atomic<Int>(0)
        try pool.submit(orShed: { shed.add(1, ordering: .relaxed) }) {}
        // Young: admitted.
        try pool.submit(orShed: { shed.add(1, ordering: .relaxed) }) {}
        Thread.sleep(forTimeInterval: 1.2)
        // The oldest has waited more than half the delay: refused at once, costing nothing.
        #expect(throws: BlockingPool.Refusal.behind) { try pool.submit(orShed: {}) {} }
        #expect(pool.submit {}, "a continuation is admitted")
        Thread.sleep(forTimeInterval: 1.2)
        // The two were shed at the delay; the queue is no longer behind.
        #expect(shed.load(ordering: .relaxed) == 2)
        try pool.submit(orShed: {}) {}
        gate.signal()
        pool.shutdown()
    }

    @Test func requestsTakenInTime_RunInArrivalOrderWithContinuations() throws {
        let pool = BlockingPool(threads: 1, queueDepth: 64, maximumDelay: 30)
        let gate = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        try pool.submit(orShed: {}) {
            started.signal()
            gate.wait()
        }
        started.wait()
        let order = Mutex<[Int]>([])
        for n in 0..<6 {
            if n % 2 == 0 {
                try pool.submit(orShed: {}) { order.withLock { $0.append(n) } }
            } else {
                #expect(pool.submit { order.withLock { $0.append(n) } })
            }
        }
        gate.signal()
        while pool.waiting > 0 { usleep(1000) }
        pool.shutdown()
        #expect(order.withLock { $0 } == [0, 1, 2, 3, 4, 5])
    }

    @Test func threads_RunAtNiceTen_OnlyWhenLowered() {
        // The process's own nice value is the base a lowered thread cannot go below.
        let base = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        for lowered in [false, true] {
            let pool = BlockingPool(threads: 2, queueDepth: 8, lowerPriority: lowered)
            let niceness = Mutex<[Int32]>([])
            let done = DispatchGroup()
            for _ in 0..<4 {
                done.enter()
                #expect(pool.submit {
                    let value = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(CSystem.gettid()))
                    niceness.withLock { $0.append(value) }
                    done.leave()
                })
            }
            #expect(done.wait(timeout: .now() + 30) == .success)
            pool.shutdown()
            #expect(niceness.withLock { $0 } == Array(repeating: lowered ? max(10, base) : base, count: 4))
        }
    }
}
