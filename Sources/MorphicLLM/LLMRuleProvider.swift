import Foundation
import HTTPClient
import MorphicCore
import MorphicData
import Synchronization

/// Fetches the 512-entry rule table of MODEL.md section 7 from a language model once, and
/// caches complete tables on disk keyed by endpoint, model and prompt version, so a sweep
/// of many `llm_control` runs asks the model at most once.
public final class LLMRuleProvider: Sendable {
    /// Attempts per batch when the answer cannot be parsed.
    public static let attemptsPerBatch = 3

    /// The settings in force.
    public let settings: LLMSettings
    private let cacheFile: String
    private let client: HTTPClient
    private let apiKey: String?
    /// Held while fetching, so concurrent runs wait for one fetch instead of each asking.
    private let table = Mutex<RuleTable?>(nil)

    /// A provider for `settings`, caching under `cacheDirectory`.
    public init(
        settings: LLMSettings, cacheDirectory: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.settings = settings
        let key = SHA256.hex(Array("\(settings.endpoint)\n\(settings.model)\n\(LLMPrompt.version)".utf8))
        cacheFile = cacheDirectory + "/llm-rule-" + key.prefix(16) + ".json"
        var configuration = HTTPClient.Configuration()
        configuration.totalTimeout = settings.timeout
        client = HTTPClient(configuration: configuration)
        apiKey = environment[settings.apiKeyVariable].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The rule table, from memory, the disk cache or the model.
    public func ruleTable() throws(LLMError) -> RuleTable {
        try table.withLock { (cached: inout RuleTable?) throws(LLMError) -> RuleTable in
            if let cached { return cached }
            if let stored = readCache() {
                cached = stored
                return stored
            }
            let fetched = try fetch()
            writeCache(fetched)
            cached = fetched
            return fetched
        }
    }

    private func fetch() throws(LLMError) -> RuleTable {
        var entries: [UInt8] = []
        for start in stride(from: 0, to: 512, by: LLMPrompt.batchSize) {
            let indices = start..<start + LLMPrompt.batchSize
            var lastProblem = ""
            var answered: [UInt8]?
            for _ in 0..<Self.attemptsPerBatch where answered == nil {
                var headers = [(name: "Content-Type", value: "application/json")]
                if let apiKey { headers.append((name: "Authorization", value: "Bearer " + apiKey)) }
                let request = HTTPClient.Request(
                    method: "POST", url: settings.endpoint, headers: headers,
                    body: LLMPrompt.body(model: settings.model, indices: indices))
                let response: HTTPClient.Response
                do {
                    response = try client.send(request)
                } catch {
                    throw LLMError("the language model at \(settings.endpoint) failed: \(error)")
                }
                guard response.status == 200 else {
                    throw LLMError(
                        "the language model at \(settings.endpoint) answered \(response.status): "
                            + String(decoding: response.body.prefix(200), as: UTF8.self))
                }
                do {
                    answered = try LLMPrompt.answers(response.body, count: indices.count)
                } catch {
                    lastProblem = error.description
                }
            }
            guard let answered else {
                throw LLMError(
                    "the language model gave no usable answer for neighbourhoods \(indices.lowerBound)-\(indices.upperBound - 1) "
                        + "in \(Self.attemptsPerBatch) attempts: \(lastProblem)")
            }
            entries += answered
        }
        return RuleTable { entries[$0] == 1 }
    }

    private func readCache() -> RuleTable? {
        guard let data = FileManager.default.contents(atPath: cacheFile), let json = try? JSONParser.parse(Array(data)),
            json["endpoint"]?.stringValue == settings.endpoint, json["model"]?.stringValue == settings.model,
            json["prompt_version"]?.stringValue == LLMPrompt.version, let bits = json["table"]?.stringValue
        else { return nil }
        return RuleTable(bits: bits)
    }

    private func writeCache(_ table: RuleTable) {
        let json: JSON = .object([
            "endpoint": .string(settings.endpoint), "model": .string(settings.model),
            "prompt_version": .string(LLMPrompt.version), "table": .string(table.bits),
        ])
        // A cache that cannot be written only costs a second fetch later.
        try? AtomicFile.write(json.prettyBytes, to: cacheFile)
    }
}
