/// Uses of a partner's crystal during one step, to be credited to its owner.
public struct Credit: Hashable, Sendable {
    /// Position of the owning run in its coupling group.
    public let owner: Int
    /// The crystal's id within its owner.
    public let crystalID: Int
    /// Applied influences.
    public let activations: Int
    /// Applied influences that differed from the Life rule.
    public let overrides: Int
    /// The step in which they happened.
    public let step: Int
}
