import Foundation

/// Work begun at once on a thread of its own and joined later for its result, its error
/// included: what lets one thread of a dataset's assembly go on compressing while another
/// finishes the files that come after.
final class Joinable<Value>: @unchecked Sendable {
    private let body: () throws -> Value
    private let done = DispatchSemaphore(value: 0)
    // Written by the work's thread before `done` is signalled, read after it is waited for.
    private var result: Result<Value, any Error>?
    private let joined = NSLock()
    private var outcome: Result<Value, any Error>?

    /// Starts `body`.
    init(_ body: @escaping () throws -> Value) {
        self.body = body
        Thread.detachNewThread { [self] in
            result = Result { try self.body() }
            done.signal()
        }
    }

    /// Waits for the work to end and returns its value, or throws its error; asked again,
    /// answers the same at once.
    func join() throws -> Value {
        try joined.withLock {
            if outcome == nil {
                done.wait()
                outcome = result
            }
            return outcome!
        }.get()
    }
}
