import Synchronization

/// HTTP responses sent, by status code, for `/metrics`.
final class RequestCounter: Sendable {
    private let counts = Mutex<[Int: Int]>([:])

    func count(_ status: Int) { counts.withLock { $0[status, default: 0] += 1 } }

    /// Takes back a count of an answer that was never sent (another went in its place).
    func uncount(_ status: Int) {
        counts.withLock { counts in
            guard let count = counts[status], count > 0 else { return }
            counts[status] = count > 1 ? count - 1 : nil
        }
    }

    var snapshot: [Int: Int] { counts.withLock { $0 } }
}
