import Dispatch
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
