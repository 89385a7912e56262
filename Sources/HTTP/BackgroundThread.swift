import Foundation
import Glibc
import Synchronization

/// Runs work one item at a time, the cheapest first (in the order given among equals), on a
/// thread of its own at a lowered
/// priority: for long computations that no request waits on (training a reference, a
/// sweep's run map), so that on a busy machine the event loops and the query pool are served
/// first. Unlike a `DispatchQueue`'s, its priority is a nice value of its own thread, which
/// Linux weighs against the server's other threads. The thread is started when work arrives
/// and ends when none is left, so an idle one holds nothing.
public final class BackgroundThread: Sendable {
    private struct State {
        var work: [(cost: Int, run: @Sendable () -> Void)] = []
        var running = false
    }

    private let name: String
    private let nice: Int32
    private let state = Mutex<State>(State())

    /// Work queued here runs on a thread named `name` at nice value `nice` (10 is the
    /// blocking pools' lowered priority; 19, the least, for work that takes minutes).
    public init(name: String, nice: Int32) {
        self.name = name
        self.nice = nice
    }

    /// Queues `work`; it runs after every item queued before it whose `cost` is no greater,
    /// and before those that cost more (a reference of 400 runs is not kept waiting minutes
    /// behind one of 50,000).
    public func async(cost: Int = 0, _ work: @escaping @Sendable () -> Void) {
        let start = state.withLock { state -> Bool in
            let place = state.work.firstIndex { $0.cost > cost } ?? state.work.endIndex
            state.work.insert((cost, work), at: place)
            defer { state.running = true }
            return !state.running
        }
        guard start else { return }
        let thread = Thread { [self] in
            Thread.setCurrentNice(nice)
            while let next = state.withLock({ state -> (@Sendable () -> Void)? in
                guard !state.work.isEmpty else {
                    state.running = false
                    return nil
                }
                return state.work.removeFirst().run
            }) {
                next()
            }
        }
        thread.name = name
        thread.start()
    }
}
