/// What lies beyond the grid's edge.
public enum Boundary: String, CaseIterable, Sendable {
    /// Cells outside the grid are dead.
    case dead
    /// The grid wraps around in both directions.
    case torus
}
