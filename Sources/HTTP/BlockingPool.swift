import Foundation

/// Threads for work that must not run on an event loop: file reads and writes, parsing
/// large definitions, building long lists. Its queue is bounded (SwiftNIO's
/// `NIOThreadPool` is not): when it is full ``submit(_:)`` says so at once, and the caller
/// answers 503 instead of letting a flood of requests queue without end.
public final class BlockingPool: @unchecked Sendable {
    private let condition = NSCondition()
    /// Taken items are set to nil at once: a finished item must not keep what it captured
    /// (an open file, a request's body) alive until the queue is next compacted.
    private var queue: [(@Sendable () -> Void)?] = []
    private var head = 0
    private var stopping = false
    private let depth: Int
    private let finished = DispatchGroup()

    /// Starts `threads` threads taking work from a queue of at most `queueDepth` items.
    public init(threads: Int, queueDepth: Int, name: String = "blocking") {
        depth = max(1, queueDepth)
        for _ in 0..<max(1, threads) {
            finished.enter()
            let thread = Thread { [self] in
                work()
                finished.leave()
            }
            thread.name = name
            thread.start()
        }
    }

    /// Queues `work`; false, without running it, when the queue is full or the pool stopped.
    public func submit(_ work: @escaping @Sendable () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping, queue.count - head < depth else { return false }
        queue.append(work)
        condition.signal()
        return true
    }

    /// Items waiting for a thread.
    public var waiting: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count - head
    }

    /// Drops the queued work, lets running items finish and waits for the threads.
    public func shutdown() {
        condition.lock()
        stopping = true
        queue.removeAll()
        head = 0
        condition.broadcast()
        condition.unlock()
        finished.wait()
    }

    private func work() {
        while true {
            condition.lock()
            while !stopping && head == queue.count { condition.wait() }
            if stopping {
                condition.unlock()
                return
            }
            let item = queue[head]
            queue[head] = nil
            head += 1
            if head >= 1024 && head * 2 >= queue.count {
                queue.removeFirst(head)
                head = 0
            }
            condition.unlock()
            item?()
        }
    }
}
