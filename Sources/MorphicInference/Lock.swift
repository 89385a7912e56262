import Dispatch

/// A mutual-exclusion lock on a semaphore, so the engine needs nothing beyond Dispatch.
final class Lock: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 1)

    /// Runs `body` holding the lock.
    func locked<T>(_ body: () throws -> T) rethrows -> T {
        semaphore.wait()
        defer { semaphore.signal() }
        return try body()
    }
}
