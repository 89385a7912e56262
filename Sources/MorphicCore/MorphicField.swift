import Foundation

/// The crystals acting on one step of a run (own ones by id, then each partner's), with
/// every factor of their influence that does not depend on the cell already multiplied out.
///
/// docs/model.md evaluates `φ * weight * strength * pow(sim, e) * exp(-δ * age)` left to right,
/// so `(φ * weight) * strength` and `exp(-δ * age)` can be hoisted without changing a bit.
struct MorphicField: Sendable {
    var forms: [UInt64] = []
    var outcomes: [UInt8] = []
    var prefactors: [Double] = []
    var decays: [Double] = []
    /// The owning run in the coupling group, or nil for the run's own crystals.
    var owners: [Int?] = []
    var ids: [Int] = []

    init(own: [Crystal], partners: [PartnerCrystal], configuration: RunConfiguration, step: Int) {
        refill(own: own, partners: partners, configuration: configuration, step: step)
    }

    /// No crystals.
    init() {}

    /// Holds the crystals of another step in the same arrays: a run keeps one field, so a
    /// step makes none (six arrays a step weigh on a small grid).
    mutating func refill(own: [Crystal], partners: [PartnerCrystal], configuration: RunConfiguration, step: Int) {
        let phi = configuration.fieldStrength
        let delta = configuration.temporalDecay
        forms.removeAll(keepingCapacity: true)
        outcomes.removeAll(keepingCapacity: true)
        prefactors.removeAll(keepingCapacity: true)
        decays.removeAll(keepingCapacity: true)
        owners.removeAll(keepingCapacity: true)
        ids.removeAll(keepingCapacity: true)
        let count = own.count + partners.count
        forms.reserveCapacity(count)
        outcomes.reserveCapacity(count)
        prefactors.reserveCapacity(count)
        decays.reserveCapacity(count)
        owners.reserveCapacity(count)
        ids.reserveCapacity(count)
        func add(_ crystal: Crystal, weight: Double, owner: Int?) {
            forms.append(crystal.form)
            outcomes.append(crystal.outcome)
            prefactors.append(phi * weight * crystal.strength)
            decays.append(exp(-delta * Double(step - crystal.generationCreated)))
            owners.append(owner)
            ids.append(crystal.id)
        }
        for crystal in own { add(crystal, weight: 1, owner: nil) }
        for partner in partners {
            add(partner.crystal, weight: configuration.crossSystemCoupling, owner: partner.owner)
        }
    }

    var count: Int { forms.count }
}
