import HTTPClient

/// Where `llm_control` runs get their rule table: an OpenAI-compatible chat-completions
/// endpoint (hosted, or local such as llama.cpp's server, Ollama or vLLM).
public struct LLMSettings: Hashable, Sendable {
    /// Shortest request timeout accepted, in seconds: below it no model can answer, and
    /// libcurl counts whole milliseconds. 0.1 s.
    public static let shortestTimeout = 0.1
    /// Longest request timeout accepted, in seconds. 3,600 s.
    public static let longestTimeout = 3600.0

    /// Why `endpoint` cannot be used, said for a person, or nil when it can. A URL with a
    /// user name or password is refused: libcurl would send them as Basic authentication,
    /// and a model that echoes its request would hand them back into run errors and logs.
    public static func problem(endpoint: String) -> String? {
        switch HTTPClient.problem(ofURL: endpoint) {
        case nil: nil
        case ""?: "must be an http:// or https:// URL"
        case _? where URLParts(endpoint)?.hasUserInfo == true:
            "must not hold a user name or password (they would be sent as Basic authentication, and a model "
                + "that echoes its request would return them into run errors and logs); put the key in the "
                + "environment variable named by llm.api_key_env or --llm-api-key-env (OPENAI_API_KEY unless "
                + "set otherwise) instead: it is sent as a Bearer token"
        case let reason?: "must not hold spaces or control characters (\(reason))"
        }
    }

    /// Why `seconds` is not a request timeout, or nil when it is: in
    /// [``shortestTimeout``, ``longestTimeout``] and a whole number of milliseconds.
    public static func problem(timeout seconds: Double) -> String? {
        let milliseconds = seconds * 1000
        guard seconds >= shortestTimeout, seconds <= longestTimeout,
            (milliseconds - milliseconds.rounded()).magnitude < 1e-6
        else {
            return
                "must be seconds in [\(HTTPClient.seconds(shortestTimeout)), \(HTTPClient.seconds(longestTimeout))], "
                + "to the millisecond"
        }
        return nil
    }

    /// Why `name` cannot name the API key's environment variable, or nil when it can: letters,
    /// digits and `_`, not starting with a digit. The name is never quoted back: one that is
    /// no variable's may be the key itself, put there by mistake.
    public static func problem(variable name: String) -> String? {
        let letters = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_".utf8)
        let digits = Set("0123456789".utf8)
        guard let first = name.utf8.first, name.utf8.count <= 255, letters.contains(first),
            name.utf8.allSatisfy({ letters.contains($0) || digits.contains($0) })
        else {
            return "must name an environment variable (letters, digits and _, not starting with a digit); "
                + "what was given is not one, and is not shown, since it may be the key itself"
        }
        return nil
    }

    /// Why the API key in `environment` (``apiKeyVariable``) cannot be sent, naming its
    /// variable, never the key; nil when it can, or none is set. A line break or another
    /// control character would end the `Authorization` header early and start another.
    public func keyProblem(in environment: [String: String]) -> String? {
        guard let key = environment[apiKeyVariable],
            key.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else { return nil }
        return "the API key in $\(apiKeyVariable) holds a line break or another control character, which cannot "
            + "be sent in a header (a key read from a file with its final newline?)"
    }

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
