import Synchronization

/// Finishes one request, once, from any thread. A handler that cannot answer at once
/// keeps it, hands the work to another thread and calls ``send(_:)`` from there; the
/// response is queued on the connection's event loop. A response for a connection that
/// has gone, or for a request that timed out, is dropped.
public final class Responder: Sendable {
    private let deliver: @Sendable (HTTPResponse) -> Void
    private let used = Atomic<Bool>(false)
    private let cancelled = Atomic<Bool>(false)
    private let cancelActions = Mutex<[@Sendable () -> Void]>([])

    /// A responder that hands its one response to `deliver`.
    public init(_ deliver: @escaping @Sendable (HTTPResponse) -> Void) { self.deliver = deliver }

    /// Answers the request; later calls are ignored.
    public func send(_ response: HTTPResponse) {
        guard !used.exchange(true, ordering: .acquiringAndReleasing) else { return }
        deliver(response)
    }

    /// Whether the client has gone (closed or reset its connection) before the answer: work
    /// for it not yet started is skipped, since nobody would read the answer.
    public var isCancelled: Bool { cancelled.load(ordering: .acquiring) }

    /// Marks the request abandoned; the event loop calls it when the connection closes.
    public func cancel() {
        let actions = cancelActions.withLock { actions -> [@Sendable () -> Void] in
            cancelled.store(true, ordering: .releasing)
            defer { actions.removeAll() }
            return actions
        }
        for action in actions { action() }
    }

    /// Runs `action` when the request is cancelled (at once if it already is), as a queued
    /// request's hold on a client's share of the pool is given back.
    public func onCancel(_ action: @escaping @Sendable () -> Void) {
        let now = cancelActions.withLock { actions -> Bool in
            if cancelled.load(ordering: .acquiring) { return true }
            actions.append(action)
            return false
        }
        if now { action() }
    }
}
