/// Where an `llm_control` run's rule table came from, as its record states it: enough to
/// tell two tables' origins apart, never a key, a credential or the endpoint's path.
public struct RuleSource: Hashable, Sendable {
    /// The endpoint's host (and port).
    public let host: String
    /// The model asked.
    public let model: String
    /// The prompt's version.
    public let promptVersion: String

    /// A source.
    public init(host: String, model: String, promptVersion: String) {
        self.host = host
        self.model = model
        self.promptVersion = promptVersion
    }
}
