import Foundation

/// A flag that one thread sets and others check, and a sleep that ends early when it is
/// set: so a backoff or a transfer in progress stops at once when its work is cancelled.
public final class CancellationFlag: @unchecked Sendable {
    private let condition = NSCondition()
    private var set = false

    /// A flag not yet set.
    public init() {}

    /// Whether it has been set.
    public var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return set
    }

    /// Sets the flag and wakes every sleeper.
    public func cancel() {
        condition.lock()
        set = true
        condition.broadcast()
        condition.unlock()
    }

    /// Sleeps up to `seconds`; returns false, at once, if the flag is or becomes set.
    public func sleep(_ seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(max(0, seconds))
        condition.lock()
        defer { condition.unlock() }
        while !set {
            if !condition.wait(until: deadline) { return !set }
        }
        return false
    }
}
