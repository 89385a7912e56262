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
    /// Seconds a whole table (8 requests, with retries) may take; then the fetch fails.
    /// 600 s: a slow local model answers 8 batches well within it.
    public var deadline = 600.0
    /// Seconds a failed fetch is remembered: runs that need the table meanwhile fail at once
    /// with the same reason instead of asking a dead model again. 60 s.
    public var failureCooldown = 60.0
    /// A PEM file of certificate authorities to trust for the endpoint, instead of the system's.
    public var caFile: String?

    /// Settings for `model` at `endpoint`.
    public init(endpoint: String, model: String, apiKeyVariable: String = "OPENAI_API_KEY", timeout: Double = 120) {
        self.endpoint = endpoint
        self.model = model
        self.apiKeyVariable = apiKeyVariable
        self.timeout = timeout
    }
}
