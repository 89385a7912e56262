import Testing

@testable import MorphicCore

@Suite struct CounterRandomTests {
    @Test func primitives_MatchTheModelVectorsTable() {
        #expect(CounterRandom.mix64(0) == 0)
        #expect(CounterRandom.mix64(1) == 0x5692_161d_100b_05e5)
        #expect(CounterRandom.mix64(.max) == 0xb4d0_55fc_f2cb_bd7b)
        #expect(CounterRandom.rand(seed: 42, stream: .initial, 0, 0) == 0x0e10_b547_7fa8_f456)
        #expect(CounterRandom.rand(seed: 42, stream: .influence, 7, 99) == 0x156e_23db_8448_faf9)
        #expect(CounterRandom.unit(seed: 42, stream: .initial, 0, 0) == 0.05494244571278606)
        #expect(CounterRandom.unit(seed: 42, stream: .strength, 1, 0) == 0.814962150193366)
        #expect(CounterRandom.fnv1a64("morphic_1") == 0x16ac_81c3_16a3_f8cd)
        #expect(CounterRandom.fnv1a64("") == 0xcbf2_9ce4_8422_2325)
        #expect(CounterRandom.runSeed(sweepSeed: 42, runID: "morphic_1") == 0xcc6e_677b_4707_5ae2)
        #expect(CounterRandom.runSeed(sweepSeed: 0, runID: "control_1") == 0x140a_c8f2_f43a_cf4e)
    }

    /// Four at a time, the draws of a word are the same bits as one at a time, for every
    /// count of cells, and below the threshold exactly where the draws are (thresholds at
    /// a draw's own value and either side of it, and the ends).
    @Test(.enabled(if: CounterRandom.drawsFourAtATime, "this processor draws one at a time"))
    func drawsOfAWord_FourAtATime_AreThoseOneAtATime() {
        var random = SystemRandomNumberGenerator()
        let draws = UnsafeMutablePointer<UInt64>.allocate(capacity: 64)
        defer { draws.deallocate() }
        for trial in 0..<20_000 {
            let prefix = UInt64.random(in: 0...UInt64.max, using: &random)
            // Indices near the top of the range as well, where first + b wraps.
            let first = trial % 10 == 0 ? UInt64.max - UInt64.random(in: 0..<64, using: &random) : UInt64.random(in: 0..<(1 << 24), using: &random)
            let count = 1 + trial % 64
            let known = CounterRandom.mix64(prefix ^ (first &+ UInt64.random(in: 0..<UInt64(count), using: &random))) >> 11
            let threshold = [0, 1 << 53, known, known + 1, known &- 1, UInt64.random(in: 0...(1 << 53), using: &random)][trial % 6]
            draws.initialize(repeating: 0, count: 64)
            let below = CounterRandom.drawWord(prefix: prefix, first: first, count: count, below: threshold, into: draws)
            var expected: UInt64 = 0
            for b in 0..<count {
                let draw = CounterRandom.mix64(prefix ^ (first &+ UInt64(b)))
                #expect(draws[b] == draw, "trial \(trial), bit \(b)")
                expected |= (draw >> 11 < threshold ? 1 : 0) << UInt64(b)
            }
            #expect(below == expected, "trial \(trial): count \(count), threshold \(threshold)")
        }
    }

    @Test func unit_StaysBelowOne_ForTheLargestDraw() {
        #expect(CounterRandom.unit(fromBits: .max) < 1)
        #expect(CounterRandom.unit(fromBits: 0) == 0)
    }

    @Test func threshold_AgreesWithComparingDraws_AtItsEdges() {
        var random = SystemRandomNumberGenerator()
        var probabilities: [Double] = [0, 1, -0.5, 2, .nan, .infinity, .leastNonzeroMagnitude, 0x1p-53, 0.5, 1.0.nextDown]
        for _ in 0..<2000 {
            let p = Double.random(in: 0...1, using: &random)
            // Exactly a draw's value, and the doubles either side of it.
            let exact = Double(UInt64.random(in: 0..<(1 << 53), using: &random)) * 0x1p-53
            probabilities += [p, exact, exact.nextUp, exact.nextDown, p * 0x1p-40]
        }
        for p in probabilities {
            let t = CounterRandom.threshold(below: p)
            for m: UInt64 in [t &- 1, t, t + 1, 0, (1 << 53) - 1] where m < 1 << 53 {
                let bits = m << 11 | UInt64.random(in: 0..<2048, using: &random)
                #expect((CounterRandom.unit(fromBits: bits) < p) == (bits >> 11 < t), "p \(p), m \(m)")
            }
        }
    }
}
