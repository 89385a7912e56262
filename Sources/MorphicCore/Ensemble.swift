/// Runs of one coupling group advancing in lockstep (docs/model.md section 6): at each step every
/// run sees its partners' crystals as they stood at the start of the step, weighted by κ.
///
/// A group of one, or runs with κ = 0, behave exactly as runs alone.
public struct Ensemble: Sendable {
    /// The runs, in group order.
    public private(set) var members: [Simulation]

    /// Groups runs; they must have the same number of generations.
    public init(_ members: [Simulation]) {
        precondition(Set(members.map(\.configuration.generations)).count <= 1, "coupled runs must have equal lengths")
        self.members = members
    }

    /// Whether every run has finished.
    public var isFinished: Bool { members.allSatisfy(\.isFinished) }

    /// Steps every run once.
    public mutating func step() {
        let coupled = members.count > 1 && members.contains { $0.configuration.crossSystemCoupling > 0 }
        guard coupled else {
            for index in members.indices { members[index].step() }
            return
        }
        let snapshots = members.map(\.crystals)
        var credits: [Credit] = []
        for index in members.indices {
            var partners: [PartnerCrystal] = []
            for (owner, crystals) in snapshots.enumerated() where owner != index {
                partners += crystals.map { PartnerCrystal(owner: owner, crystal: $0) }
            }
            credits += members[index].step(partners: partners)
        }
        for credit in credits { members[credit.owner].credit(credit) }
    }
}
