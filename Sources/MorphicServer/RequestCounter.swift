import Synchronization

/// HTTP responses sent, by status code, for `/metrics`.
final class RequestCounter: Sendable {
    private let counts = Mutex<[Int: Int]>([:])

    func count(_ status: Int) { counts.withLock { $0[status, default: 0] += 1 } }

    var snapshot: [Int: Int] { counts.withLock { $0 } }
}
