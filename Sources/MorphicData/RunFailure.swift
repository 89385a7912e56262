/// A run that cannot be computed for a reason of its own, such as an unreachable language
/// model: the run is recorded as failed and the rest of the sweep goes on. (A failing disk,
/// by contrast, stops the sweep.)
public struct RunFailure: Error, CustomStringConvertible, Sendable {
    /// What went wrong, for a person.
    public let description: String

    /// A failure saying `description`.
    public init(_ description: String) { self.description = description }
}
