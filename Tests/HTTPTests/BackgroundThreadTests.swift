import CSystem
import Dispatch
import Foundation
import Glibc
import HTTP
import Synchronization
import Testing

/// Long work off the requests' threads: one item at a time, in order (the cheapest first), at
/// the nice value asked.
@Suite struct BackgroundThreadTests {
    @Test func work_RunsInOrder_OneAtATime_AtTheNiceValueAsked() {
        for nice: Int32 in [10, 19] {
            let thread = BackgroundThread(name: "test-background", nice: nice)
            let seen = Mutex<[Int]>([])
            let niceness = Mutex<[Int32]>([])
            let running = Atomic<Int>(0)
            let overlapped = Atomic<Bool>(false)
            let done = DispatchSemaphore(value: 0)
            let count = 50
            for item in 0..<count {
                thread.async {
                    if running.add(1, ordering: .relaxed).newValue > 1 { overlapped.store(true, ordering: .relaxed) }
                    errno = 0
                    let value = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(CSystem.gettid()))
                    niceness.withLock { $0.append(value) }
                    seen.withLock { $0.append(item) }
                    running.subtract(1, ordering: .relaxed)
                    if item == count - 1 { done.signal() }
                }
            }
            #expect(done.wait(timeout: .now() + 30) == .success)
            #expect(seen.withLock { $0 } == Array(0..<count))
            let overlaps = overlapped.load(ordering: .relaxed)
            #expect(!overlaps)
            // The process's own nice value is the base a lowered thread cannot go below.
            #expect(niceness.withLock { $0 }.allSatisfy { $0 == max(nice, getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)) })
        }
    }

    @Test func waitingWork_RunsTheCheapestFirst_InOrderAmongEquals() {
        let thread = BackgroundThread(name: "test-background", nice: 10)
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        let seen = Mutex<[String]>([])
        // The first item holds the thread while the others are queued behind it.
        thread.async(cost: 50_000) {
            started.signal()
            release.wait()
            seen.withLock { $0.append("first") }
        }
        started.wait()
        for (name, cost) in [("large", 50_000), ("larger", 90_000), ("small", 400), ("small again", 400), ("free", 0)] {
            thread.async(cost: cost) {
                seen.withLock { $0.append(name) }
                if name == "larger" { done.signal() }
            }
        }
        release.signal()
        #expect(done.wait(timeout: .now() + 30) == .success)
        #expect(seen.withLock { $0 } == ["first", "free", "small", "small again", "large", "larger"])
    }

    @Test func workQueuedAfterTheThreadEnded_StartsItAgain() {
        let thread = BackgroundThread(name: "test-background", nice: 10)
        for _ in 0..<3 {
            let done = DispatchSemaphore(value: 0)
            thread.async { done.signal() }
            #expect(done.wait(timeout: .now() + 30) == .success)
            // Give the thread time to find the queue empty and end.
            Thread.sleep(forTimeInterval: 0.05)
        }
    }
}
