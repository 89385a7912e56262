import Dispatch
import Foundation

/// Work split into consecutive chunks, computed on several threads and handed over in order:
/// what a dataset needs when every run's rows can be made alone but the files must list
/// them in the definition's order. At most `window` chunks wait, so memory is bounded by the
/// chunk size, not the amount of work.
final class OrderedWork<Output: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var finished: [Int: Result<Output, any Error>] = [:]
    private var next = 0
    private var consumed = 0
    private var stopped = false

    private let chunks: Int
    private let window: Int

    private init(chunks: Int, window: Int) {
        self.chunks = chunks
        self.window = window
    }

    /// Calls `produce` for every chunk of `0..<count` (`chunkSize` items each) on `workers`
    /// threads, and `consume` with the results in chunk order on the calling thread. The
    /// first error, of either, stops the work and is thrown.
    static func run(
        count: Int, chunkSize: Int, workers: Int, produce: @escaping @Sendable (Range<Int>) throws -> Output,
        consume: (Output) throws -> Void
    ) throws {
        let chunks = (count + chunkSize - 1) / chunkSize
        let work = OrderedWork(chunks: chunks, window: 2 * max(1, workers))
        let done = DispatchGroup()
        for _ in 0..<max(1, min(workers, chunks)) {
            done.enter()
            Thread.detachNewThread {
                work.produceAll { chunk in
                    try produce(chunk * chunkSize..<min(count, (chunk + 1) * chunkSize))
                }
                done.leave()
            }
        }
        defer {
            work.stop()
            done.wait()
        }
        for chunk in 0..<chunks { try consume(try work.take(chunk).get()) }
    }

    private func produceAll(_ produce: (Int) throws -> Output) {
        while true {
            condition.lock()
            while next < chunks && next - consumed >= window && !stopped { condition.wait() }
            guard next < chunks, !stopped else {
                condition.unlock()
                return
            }
            let chunk = next
            next += 1
            condition.unlock()
            let result = Result { try produce(chunk) }
            condition.lock()
            finished[chunk] = result
            condition.broadcast()
            condition.unlock()
        }
    }

    private func take(_ chunk: Int) -> Result<Output, any Error> {
        condition.lock()
        defer { condition.unlock() }
        while finished[chunk] == nil { condition.wait() }
        consumed = chunk + 1
        condition.broadcast()
        return finished.removeValue(forKey: chunk)!
    }

    private func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }
}
