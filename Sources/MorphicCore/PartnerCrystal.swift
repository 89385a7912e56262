/// A crystal seen from another run of the same coupling group (docs/model.md section 6).
public struct PartnerCrystal: Hashable, Sendable {
    /// Position of the owning run in its coupling group.
    public let owner: Int
    /// The crystal as it stood at the start of the step.
    public let crystal: Crystal

    /// Pairs a crystal with its owner.
    public init(owner: Int, crystal: Crystal) {
        self.owner = owner
        self.crystal = crystal
    }
}
