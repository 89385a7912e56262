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
    // Two real components keep both axes.
    let plane = FeatureMap(
        (0..<40).map { (t: Int) -> [Double] in
            let (u, v) = (Double(t % 7), Double(t % 5))
            return [u, v, u + v]
        })
    #expect(plane.points.contains { $0.y != 0 } && plane.explained[1] > 0.1)
}
