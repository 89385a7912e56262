/// Shard `index` of `count` (`--shard 0/3`): the coupling groups whose position modulo
/// `count` is `index`. Shards split a sweep over machines; merged, they give the same
/// dataset as the whole sweep.
public struct Shard: Hashable, Sendable, CustomStringConvertible {
    /// 0-based, as Slurm array and Kubernetes completion indices are.
    public let index: Int
    /// Number of shards.
    public let count: Int

    /// Parses `I/N` with 0 ≤ I < N.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count >= 1,
            (0..<count).contains(index)
        else { return nil }
        self.index = index
        self.count = count
    }

    /// Whether coupling group `group` belongs to this shard.
    public func contains(group: Int) -> Bool { group % count == index }

    /// `I/N`.
    public var description: String { "\(index)/\(count)" }
}
