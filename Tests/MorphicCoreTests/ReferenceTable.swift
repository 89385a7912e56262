@testable import MorphicCore

extension TableStep {
    /// The straightforward table step: one cell at a time, its draw converted and compared,
    /// its window read cell by cell. Kept as the reference the fast kernel must equal.
    mutating func applyReference() {
        let n = layout.size
        for y in 0..<n {
            for x in 0..<n {
                guard CounterRandom.unit(seed: seed, stream: .llm, UInt64(step), UInt64(y * n + x)) < fieldStrength
                else { continue }
                var window = 0
                for dy in -1...1 {
                    for dx in -1...1 {
                        window |= Int(layout.cell(before, x: x + dx, y: y + dy)) << ((dy + 1) * 3 + dx + 1)
                    }
                }
                let next = table[window]
                let conway = layout.cell(after, x: x, y: y)
                counts.applied += 1
                if next != conway { counts.overrides += 1 }
                if !mask.isEmpty { mask[y * n + x] = next != conway ? 2 : 1 }
                layout.set(after, x: x, y: y, to: next)
            }
        }
    }
}
