@testable import MorphicCore
import Testing

/// The bit-parallel Life step against the reference step, on random grids of every size
/// from 3 to 70 (and banded ones of 128 to 300), both boundaries and random Life-like rules.
@Suite struct PlaneKernelTests {
    /// A plane of random cells with its halo (wrapped for a torus).
    static func plane(_ layout: Plane, density: Double, torus: Bool, random: inout some RandomNumberGenerator)
        -> [UInt64]
    {
        var cells = [UInt64](repeating: 0, count: layout.wordCount)
        for y in 0..<layout.size {
            for x in 0..<layout.size where Double.random(in: 0..<1, using: &random) < density {
                cells.withUnsafeMutableBufferPointer { layout.set($0.baseAddress!, x: x, y: y, to: 1) }
            }
        }
        if torus { cells.withUnsafeMutableBufferPointer { layout.wrapHalo($0.baseAddress!) } }
        return cells
    }

    @Test func fastStep_EqualsTheReference_OnAThousandRandomGrids() {
        var random = SystemRandomNumberGenerator()
        var cases = 0
        for trial in 0..<1000 {
            let n = 3 + trial % 68
            let torus = Bool.random(using: &random)
            let rule = trial % 4 == 0
                ? LifeRule.conway
                : LifeRule(birth: UInt16.random(in: 0...0x1FF, using: &random), survival: UInt16.random(in: 0...0x1FF, using: &random))
            let layout = Plane(size: n)
            let source = Self.plane(layout, density: Double.random(in: 0...1, using: &random), torus: torus, random: &random)
            var fast = [UInt64](repeating: 0, count: layout.wordCount)
            var reference = fast
            let table = rule.table.entries
            let measured = source.withUnsafeBufferPointer { cells in
                fast.withUnsafeMutableBufferPointer { layout.step(cells.baseAddress!, into: $0.baseAddress!, rule: rule, torus: torus) }
            }
            let expected = source.withUnsafeBufferPointer { cells in
                reference.withUnsafeMutableBufferPointer { out in
                    table.withUnsafeBufferPointer {
                        ReferencePlane.step(layout, cells.baseAddress!, into: out.baseAddress!, table: $0.baseAddress!, torus: torus)
                    }
                }
            }
            #expect(fast == reference, "grid \(n), torus \(torus), rule \(rule)")
            let complexity = source.withUnsafeBufferPointer { ReferencePlane.complexity(layout, $0.baseAddress!) }
            #expect(measured.complexity.bitPattern == complexity.bitPattern, "grid \(n): \(measured.complexity) vs \(complexity)")
            #expect(measured.population == expected.population && measured.diversity == expected.diversity,
                "grid \(n), torus \(torus), rule \(rule): \(measured) vs \(expected)")
            cases += 1
        }
        #expect(cases == 1000)
    }

    @Test func bandsOfRows_EqualTheReference_OnLargerGrids() {
        var random = SystemRandomNumberGenerator()
        for trial in 0..<20 {
            let n = Int.random(in: 128...300, using: &random)
            let torus = trial % 2 == 0
            let rule = trial % 3 == 0 ? LifeRule.conway : LifeRule(birth: UInt16.random(in: 0...0x1FF, using: &random), survival: UInt16.random(in: 0...0x1FF, using: &random))
            let layout = Plane(size: n)
            let source = Self.plane(layout, density: Double.random(in: 0...1, using: &random), torus: torus, random: &random)
            var banded = [UInt64](repeating: 0, count: layout.wordCount)
            var reference = banded
            let threads = Int.random(in: 2...4, using: &random)
            let measured = source.withUnsafeBufferPointer { cells in
                banded.withUnsafeMutableBufferPointer {
                    layout.step(
                        cells.baseAddress!, into: $0.baseAddress!, rule: rule, torus: torus, threads: threads,
                        minimumBandRows: 16)
                }
            }
            let expected = source.withUnsafeBufferPointer { cells in
                reference.withUnsafeMutableBufferPointer { out in
                    rule.table.entries.withUnsafeBufferPointer {
                        ReferencePlane.step(layout, cells.baseAddress!, into: out.baseAddress!, table: $0.baseAddress!, torus: torus)
                    }
                }
            }
            let complexity = source.withUnsafeBufferPointer { ReferencePlane.complexity(layout, $0.baseAddress!) }
            #expect(banded == reference, "grid \(n), \(threads) threads")
            #expect(measured.population == expected.population && measured.diversity == expected.diversity, "grid \(n)")
            #expect(measured.complexity.bitPattern == complexity.bitPattern, "grid \(n)")
        }
    }
}
