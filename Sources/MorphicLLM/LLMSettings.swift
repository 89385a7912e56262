/// Where `llm_control` runs get their rule table: an OpenAI-compatible chat-completions
/// endpoint (hosted, or local such as llama.cpp's server, Ollama or vLLM).
public struct LLMSettings: Hashable, Sendable {
    /// The chat-completions URL, e.g. `https://api.openai.com/v1/chat/completions` or
    /// `http://127.0.0.1:11434/v1/chat/completions`.
    public var endpoint: String
    /// The model name the endpoint expects.
    public var model: String
    /// The environment variable holding the API key; no key is sent when it is unset, as
    /// local servers need none.
    public var apiKeyVariable = "OPENAI_API_KEY"
    /// Seconds one request may take.
    public var timeout = 120.0

    /// Settings for `model` at `endpoint`.
    public init(endpoint: String, model: String, apiKeyVariable: String = "OPENAI_API_KEY", timeout: Double = 120) {
        self.endpoint = endpoint
        self.model = model
        self.apiKeyVariable = apiKeyVariable
        self.timeout = timeout
    }
}
