import Testing

@testable import MorphicInference

/// Runs whose standardized features lie on a line have one principal component: the second
/// axis is 0 for every run, and explains nothing, however many runs there are.
@Test func map_OfRankOneFeatures_HasASecondAxisOfZero() {
    let pair = FeatureMap([[1, 10, 3, 0.5], [2, 40, -1, 0.5]])
    #expect(pair.points.allSatisfy { $0.y == 0 }, "\(pair.points)")
    #expect(pair.points[0].x != 0 && pair.points[0].x == -pair.points[1].x)
    #expect(pair.explained[1] == 0 && abs(pair.explained[0] - 1) < 1e-12)
    let line = FeatureMap((0..<50).map { t in [Double(t), 3 * Double(t) + 1, -0.5 * Double(t), 7] })
    #expect(line.points.allSatisfy { $0.y == 0 })
    #expect(Set(line.points.map(\.x)).count == 50)
    // Nothing varies: every run at the origin.
    let still = FeatureMap([[1, 2], [1, 2], [1, 2]])
    #expect(still.points.allSatisfy { $0.x == 0 && $0.y == 0 } && still.explained == [0, 0])
    // A constant whose mean is rounded (0.9 summed 1,000 times and divided is not 0.9) is
    // still a constant, whatever its size, beside one whose mean is exact.
    for constant in [0.9, 0.1, 1e-7, 123456.789] {
        let rounded = FeatureMap((0..<1000).map { _ in [constant, 3] })
        #expect(rounded.points.allSatisfy { $0.x == 0 && $0.y == 0 } && rounded.explained == [0, 0], "\(constant)")
    }
    // Two real components keep both axes.
    let plane = FeatureMap(
        (0..<40).map { (t: Int) -> [Double] in
            let (u, v) = (Double(t % 7), Double(t % 5))
            return [u, v, u + v]
        })
    #expect(plane.points.contains { $0.y != 0 } && plane.explained[1] > 0.1)
}
