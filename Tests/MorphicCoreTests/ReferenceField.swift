@testable import MorphicCore

extension FieldStep {
    /// The straightforward field step: every cell's window read cell by cell, every crystal
    /// tested on every non-empty window, the draw made where one passes. Kept as the
    /// reference the fast kernel must equal.
    mutating func applyReference() {
        let n = configuration.gridSize
        let k = configuration.formSize
        let r = k / 2
        let minimumCells = configuration.minFormCells
        let resonance = configuration.resonanceThreshold
        let influencing = field.count > 0 && configuration.fieldStrength > 0
        let random = CounterRandom.prefix(seed: configuration.seed!, stream: .influence, UInt64(step))
        counts.slotActivations = Array(repeating: 0, count: field.count)
        counts.slotOverrides = Array(repeating: 0, count: field.count)
        for y in 0..<n {
            for x in 0..<n {
                var window: UInt64 = 0
                for dy in -r...r {
                    for dx in -r...r {
                        window |= UInt64(layout.cell(before, x: x + dx, y: y + dy)) << UInt64((dy + r) * k + dx + r)
                    }
                }
                let conway = layout.cell(after, x: x, y: y)
                var next = conway
                if influencing && window != 0 {
                    var winner = -1
                    var best = 0.0
                    for slot in 0..<field.count {
                        let index = similarity.index(window: window, form: field.forms[slot])
                        guard similarity.passes[index] else { continue }
                        let influence = field.prefactors[slot] * similarity.powers[index] * field.decays[slot]
                        if winner < 0 || influence > best {
                            winner = slot
                            best = influence
                        }
                    }
                    if winner >= 0 {
                        if best > resonance { counts.resonances += 1 }
                        let bits = CounterRandom.mix64(random ^ UInt64(y * n + x))
                        if CounterRandom.unit(fromBits: bits) < best {
                            next = field.outcomes[winner]
                            layout.set(after, x: x, y: y, to: next)
                            counts.applied += 1
                            counts.slotActivations[winner] += 1
                            if next != conway {
                                counts.overrides += 1
                                counts.slotOverrides[winner] += 1
                            }
                            if !mask.isEmpty { mask[y * n + x] = next != conway ? 2 : 1 }
                        }
                    }
                }
                if collectHabits && layout.cell(before, x: x, y: y) == 1 && window.nonzeroBitCount >= minimumCells {
                    habits.append(window << 1 | UInt64(next))
                }
            }
        }
    }
}
