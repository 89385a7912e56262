import Foundation

/// A thread that wakes at a pool's next deadline. A request that has waited too long for a
/// thread must get its refusal then, also while every thread of its pool is busy with long
/// work, and not once a thread is free: the pool's own threads cannot be the ones to tell.
///
/// The pool says what is due and when the next deadline is (``init(name:tick:)``), and
/// kicks the watch when a first item arrives in an empty queue, since the watch then sleeps
/// without a deadline.
final class DeadlineWatch: @unchecked Sendable {
    private let condition = NSCondition()
    private var kicked = false
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)

    /// Starts the thread. `tick` runs at once, at every deadline it returned and after every
    /// kick: it does what is due and returns the next deadline (on ``EventQueue/now()``'s
    /// clock), or nil when nothing waits. It must not block: it runs outside the pool's lock
    /// and refusals it sends only post answers to event loops.
    init(name: String, tick: @escaping @Sendable () -> Double?) {
        let thread = Thread { [self] in
            run(tick)
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Asks for a `tick` now: a deadline earlier than the one the watch sleeps until (or the
    /// first, when it sleeps without one) has come into being.
    func kick() {
        condition.lock()
        kicked = true
        condition.signal()
        condition.unlock()
    }

    /// Ends the thread and waits for it.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
        finished.wait()
    }

    private func run(_ tick: @Sendable () -> Double?) {
        while true {
            let next = tick()
            condition.lock()
            if stopping {
                condition.unlock()
                return
            }
            // A kick since the tick began would be lost by waiting now.
            if !kicked {
                if let next {
                    let seconds = next - EventQueue.now()
                    if seconds > 0 { _ = condition.wait(until: Date(timeIntervalSinceNow: seconds)) }
                } else {
                    condition.wait()
                }
            }
            kicked = false
            condition.unlock()
        }
    }
}
