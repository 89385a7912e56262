import ArgumentParser
import Foundation
import MorphicLLM

/// Where `llm_control` runs get their rule table.
struct LLMOptions: ParsableArguments {
    @Option(name: .customLong("llm-endpoint"), help: "OpenAI-compatible chat-completions URL for llm_control runs.")
    var endpoint: String?

    @Option(name: .customLong("llm-model"), help: "Model name to ask.")
    var model: String?

    @Option(
        name: .customLong("llm-api-key-env"), help: "Environment variable holding the API key (unset: no key is sent).")
    var apiKeyVariable = "OPENAI_API_KEY"

    @Option(name: .customLong("llm-cache"), help: "Folder caching rule tables. [default: ~/.cache/morphic]")
    var cache: String?

    @Option(
        name: .customLong("llm-timeout"),
        parsing: .unconditional,
        help: "Seconds one request to the model may take (0.1 to 3600); a whole table may take 5 times that.")
    var timeout: Double = 120

    func validate() throws {
        if let endpoint, let problem = LLMSettings.problem(endpoint: endpoint) {
            throw ValidationError("--llm-endpoint \(problem)")
        }
        if let problem = LLMSettings.problem(timeout: timeout) { throw ValidationError("--llm-timeout \(problem)") }
        if let problem = LLMSettings.problem(variable: apiKeyVariable) {
            throw ValidationError("--llm-api-key-env \(problem)")
        }
        if let endpoint, let model,
            let problem = LLMSettings(endpoint: endpoint, model: model, apiKeyVariable: apiKeyVariable)
                .keyProblem(in: ProcessInfo.processInfo.environment)
        {
            throw ValidationError(problem)
        }
        var isFolder: ObjCBool = false
        if let cache, FileManager.default.fileExists(atPath: cache, isDirectory: &isFolder), !isFolder.boolValue {
            throw ValidationError("--llm-cache \(cache) is a file; give a folder to cache rule tables in")
        }
        if (endpoint == nil) != (model == nil) {
            throw ValidationError("--llm-endpoint and --llm-model go together")
        }
    }

    /// The provider the flags describe, or nil when no endpoint is given.
    func provider() -> LLMRuleProvider? {
        guard let endpoint, let model else { return nil }
        let folder =
            cache ?? (ProcessInfo.processInfo.environment["XDG_CACHE_HOME"] ?? (NSHomeDirectory() + "/.cache"))
            + "/morphic"
        var settings = LLMSettings(endpoint: endpoint, model: model, apiKeyVariable: apiKeyVariable, timeout: timeout)
        settings.deadline = 5 * timeout
        return LLMRuleProvider(settings: settings, cacheDirectory: folder)
    }
}
