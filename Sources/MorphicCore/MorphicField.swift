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
        var decays = Decays()
        refill(own: own, partners: partners, configuration: configuration, step: step, decays: &decays)
    }

    /// `exp(-δ * age)` by age, worked out once for each age rather than once a step (the
    /// same call on the same operands: the same bits); kept by the run.
    struct Decays: Sendable {
        private var byAge: [Double] = []
        private var delta = Double.nan
        /// Ages past this are worked out each time: a run that long spends its time elsewhere.
        private static let cachedAges = 4096

        /// `exp(-delta * Double(age))`.
        mutating func decay(age: Int, delta: Double) -> Double {
            if delta != self.delta {
                byAge.removeAll()
                self.delta = delta
            }
            guard age >= 0, age < Self.cachedAges else { return exp(-delta * Double(age)) }
            if age >= byAge.count {
                byAge.append(contentsOf: repeatElement(.nan, count: max(age + 1, 2 * byAge.count) - byAge.count))
            }
            let known = byAge[age]
            if !known.isNaN { return known }
            let value = exp(-delta * Double(age))
            byAge[age] = value
            return value
        }
    }

    /// No crystals.
    init() {}

    /// Holds the crystals of another step in the same arrays: a run keeps one field, so a
    /// step makes none (six arrays a step weigh on a small grid). When the count of crystals
    /// is unchanged (all but a few steps), each array is written over in place.
    mutating func refill(
        own: [Crystal], partners: [PartnerCrystal], configuration: RunConfiguration, step: Int, decays cache: inout Decays
    ) {
        let phi = configuration.fieldStrength
        let kappa = configuration.crossSystemCoupling
        let count = own.count + partners.count
        if forms.count != count {
            forms = Array(repeating: 0, count: count)
            outcomes = Array(repeating: 0, count: count)
            prefactors = Array(repeating: 0, count: count)
            decays = Array(repeating: 0, count: count)
            owners = Array(repeating: nil, count: count)
            ids = Array(repeating: 0, count: count)
        }
        forms.withUnsafeMutableBufferPointer { forms in
            outcomes.withUnsafeMutableBufferPointer { outcomes in
                ids.withUnsafeMutableBufferPointer { ids in
                    for (slot, crystal) in own.enumerated() {
                        (forms[slot], outcomes[slot], ids[slot]) = (crystal.form, crystal.outcome, crystal.id)
                    }
                    for (index, partner) in partners.enumerated() {
                        let (slot, crystal) = (own.count + index, partner.crystal)
                        (forms[slot], outcomes[slot], ids[slot]) = (crystal.form, crystal.outcome, crystal.id)
                    }
                }
            }
        }
        prefactors.withUnsafeMutableBufferPointer { prefactors in
            for (slot, crystal) in own.enumerated() { prefactors[slot] = phi * 1 * crystal.strength }
            for (index, partner) in partners.enumerated() {
                prefactors[own.count + index] = phi * kappa * partner.crystal.strength
            }
        }
        owners.withUnsafeMutableBufferPointer { owners in
            for slot in 0..<own.count { owners[slot] = nil }
            for (index, partner) in partners.enumerated() { owners[own.count + index] = partner.owner }
        }
        let delta = configuration.temporalDecay
        decays.withUnsafeMutableBufferPointer { decays in
            for (slot, crystal) in own.enumerated() {
                decays[slot] = cache.decay(age: step - crystal.generationCreated, delta: delta)
            }
            for (index, partner) in partners.enumerated() {
                decays[own.count + index] = cache.decay(age: step - partner.crystal.generationCreated, delta: delta)
            }
        }
    }

    var count: Int { forms.count }
}
