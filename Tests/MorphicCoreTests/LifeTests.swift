import Testing

@testable import MorphicCore

/// The Life rule itself, on hand-made patterns.
@Suite struct LifeTests {
    func make(size: Int, boundary: Boundary = .dead, alive: [(Int, Int)]) throws -> Simulation {
        var configuration = RunConfiguration()
        configuration.mode = .classical
        configuration.gridSize = size
        configuration.generations = 40
        configuration.boundary = boundary
        var cells = [UInt8](repeating: 0, count: size * size)
        for (x, y) in alive { cells[y * size + x] = 1 }
        return try Simulation(configuration: configuration, initialCells: cells)
    }

    @Test func blinker_OscillatesWithPeriodTwo() throws {
        var run = try make(size: 5, alive: [(1, 2), (2, 2), (3, 2)])
        let horizontal = run.state
        run.step()
        let vertical = run.state
        #expect(vertical != horizontal)
        #expect(vertical[1 * 5 + 2] == 1 && vertical[2 * 5 + 2] == 1 && vertical[3 * 5 + 2] == 1)
        run.step()
        #expect(run.state == horizontal)
        run.runToEnd()
        #expect(run.result.series.population.allSatisfy { $0 == 3 })
        // S_2 repeats S_0: reached at t = 1.
        #expect(run.result.summary.convergenceGeneration == 1)
    }

    @Test func block_IsStill() throws {
        var run = try make(size: 6, alive: [(2, 2), (3, 2), (2, 3), (3, 3)])
        let start = run.state
        run.runToEnd()
        #expect(run.result.series.population.allSatisfy { $0 == 4 })
        #expect(run.result.summary.convergenceGeneration == 0)
        #expect(run.result.summary.stabilityScore == 1)
        var again = try make(size: 6, alive: [(2, 2), (3, 2), (2, 3), (3, 3)])
        again.step()
        #expect(again.state == start)
    }

    @Test func glider_CrossesATorusAndComesBack() throws {
        let glider = [(1, 0), (2, 1), (0, 2), (1, 2), (2, 2)]
        var run = try make(size: 8, boundary: .torus, alive: glider)
        let start = run.state
        for _ in 0..<4 { run.step() }
        // After four steps the glider has moved one cell right and one down.
        let moved = run.state
        for y in 0..<8 {
            for x in 0..<8 { #expect(moved[((y + 1) % 8) * 8 + (x + 1) % 8] == start[y * 8 + x]) }
        }
        for _ in 4..<32 { run.step() }
        #expect(run.state == start)
        run.runToEnd()
        #expect(run.result.series.population.allSatisfy { $0 == 5 })
        #expect(run.result.summary.convergenceGeneration == nil)
    }

    @Test func glider_DiesIntoABlockAtADeadEdge() throws {
        var run = try make(size: 6, alive: [(1, 0), (2, 1), (0, 2), (1, 2), (2, 2)])
        run.runToEnd()
        #expect(run.result.series.population.last == 4)
        #expect(run.result.summary.convergenceGeneration != nil)
    }

    @Test func diversity_CountsOnlyWindowsInsideADeadGrid() throws {
        // An empty 3×3 grid has one window inside it; on a torus every cell's window counts.
        var dead = try make(size: 3, alive: [])
        dead.runToEnd()
        #expect(dead.result.series.patternDiversity.allSatisfy { $0 == 1 })
        var block = try make(size: 4, alive: [(1, 1), (2, 1), (1, 2), (2, 2)])
        block.runToEnd()
        #expect(block.result.series.patternDiversity.first == 4)
        #expect(block.result.series.complexity.first == 0)
    }
}
