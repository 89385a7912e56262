/// Why a reference cannot be trained or an observation cannot be answered.
public struct InferenceError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong, naming the run, parameter, feature or limit.
    public let message: String
    /// The input field at fault, when there is one (`series.population`, `run`).
    public let field: String?

    /// An error saying `message`, about `field`.
    public init(_ message: String, field: String? = nil) {
        self.message = message
        self.field = field
    }

    /// The message.
    public var description: String { message }
}
