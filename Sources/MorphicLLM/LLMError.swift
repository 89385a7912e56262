/// Why a rule table could not be had from the language model.
public struct LLMError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What failed, for a person.
    public let description: String

    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}
