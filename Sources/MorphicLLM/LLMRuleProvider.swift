import Foundation
import HTTPClient
import MorphicCore
import MorphicData

/// The 512-entry rule table of docs/model.md section 7, fetched from a language model once per
/// (endpoint, model, prompt version) and cached on disk.
///
/// One fetch at a time, shared by everyone who needs the table (single flight). It runs on
/// its own thread, so nobody who only asks ``status(start:)`` ever waits for the network;
/// no lock is held across a request. A failed fetch is remembered for
/// ``LLMSettings/failureCooldown`` seconds, so runs that need the table meanwhile fail at
/// once with the same reason. ``cancelFetch()`` stops a fetch within about a second, in a
/// transfer or a backoff alike, and no request starts after it.
///
/// Messages never carry the API key: whatever the model says is cleaned of it, in every form
/// an echo can give it (see ``Redaction``), before it is cut, and only then can it reach a
/// file, a log line or an API answer. An endpoint with credentials in its URL is never
/// asked (``LLMSettings/problem(endpoint:)``); messages name the endpoint without its query.
public final class LLMRuleProvider: @unchecked Sendable {
    /// Attempts per batch when the answer cannot be parsed.
    public static let attemptsPerBatch = 3

    /// What is known of the table.
    public enum Status: Sendable {
        /// The table.
        case ready(RuleTable)
        /// The last fetch failed, within the cool-down.
        case failed(LLMError)
        /// Not known yet: a fetch runs, or none has been started.
        case pending
    }

    private enum Phase {
        case idle
        case fetching(CancellationFlag)
        case ready(RuleTable)
        case failed(LLMError, at: Double)
    }

    /// The settings in force.
    public let settings: LLMSettings
    private let cacheFile: String
    private let client: HTTPClient
    private let apiKey: String?
    /// Whether requests carry a key: its variable is set and not empty.
    public var sendsKey: Bool { apiKey != nil }
    /// Why the key in the environment cannot be sent (``LLMSettings/keyProblem(in:)``), naming
    /// its variable; nil when it can, or none is set.
    public let keyProblem: String?
    /// What every message about the model is cleaned with.
    let redaction: Redaction
    private let condition = NSCondition()
    private var phase = Phase.idle
    private var listeners: [@Sendable () -> Void] = []

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
        configuration.caFile = settings.caFile
        client = HTTPClient(configuration: configuration)
        apiKey = environment[settings.apiKeyVariable].flatMap { $0.isEmpty ? nil : $0 }
        keyProblem = settings.keyProblem(in: environment)
        // The key, and the endpoint's query (`?key=…`), which an answer may echo.
        let query =
            settings.endpoint.prefix { $0 != "#" }.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init)
            ?? ""
        let queryValues = query.split(separator: "&").compactMap { pair in
            pair.split(separator: "=", maxSplits: 1).dropFirst().first.map { String($0) }
        }
        redaction = Redaction(
            secrets: (apiKey.map { Redaction.secrets(ofCredential: "Bearer " + $0) } ?? []) + [query]
                + queryValues.flatMap { [$0, $0.removingPercentEncoding ?? $0] })
        if let stored = readCache() { phase = .ready(stored) }
    }

    /// Where the table comes from, for a run's record: the endpoint's host (never its
    /// credentials or path), the model and the prompt version.
    public var source: RuleSource {
        let host = URLParts(settings.endpoint).map { parts in
            let standard =
                (parts.scheme == "https" && parts.port == 443) || (parts.scheme == "http" && parts.port == 80)
            return standard ? parts.host : "\(parts.host):\(parts.port)"
        }
        return RuleSource(host: host ?? "", model: settings.model, promptVersion: LLMPrompt.version)
    }

    /// Calls `listener` (on the fetching thread) whenever a fetch ends.
    public func observe(_ listener: @escaping @Sendable () -> Void) {
        condition.lock()
        listeners.append(listener)
        condition.unlock()
    }

    /// What is known now, without waiting. With `start`, a fetch begins when none runs and
    /// no table or recent failure is known.
    public func status(start: Bool) -> Status {
        condition.lock()
        defer { condition.unlock() }
        switch phase {
        case .ready(let table):
            return .ready(table)
        case .failed(let error, let at) where Self.now() - at < settings.failureCooldown:
            return .failed(error)
        case .fetching:
            return .pending
        case .idle, .failed:
            guard start else { return .pending }
            let flag = CancellationFlag()
            phase = .fetching(flag)
            let thread = Thread { [self] in fetch(flag) }
            thread.name = "llm-fetch"
            thread.start()
            return .pending
        }
    }

    /// The table, waiting for a fetch when needed: for the command line, whose workers have
    /// nothing else to do.
    public func ruleTable() throws(LLMError) -> RuleTable {
        while true {
            switch status(start: true) {
            case .ready(let table): return table
            case .failed(let error): throw error
            case .pending:
                condition.lock()
                while case .fetching = phase { condition.wait() }
                condition.unlock()
            }
        }
    }

    /// Forgets a remembered failure, so the next need of the table asks the model again: for
    /// a user who retries after mending the model.
    public func forgetFailure() {
        condition.lock()
        if case .failed = phase { phase = .idle }
        condition.unlock()
    }

    /// Stops the fetch under way, if any; it ends as cancelled and is not remembered as a
    /// failure.
    public func cancelFetch() {
        condition.lock()
        if case .fetching(let flag) = phase { flag.cancel() }
        condition.unlock()
    }

    private func fetch(_ flag: CancellationFlag) {
        let result = Result { () throws(LLMError) in try download(flag) }
        // Cached before anyone is told, so a provider made next finds it.
        if case .success(let table) = result { writeCache(table) }
        condition.lock()
        switch result {
        case .success(let table): phase = .ready(table)
        case .failure(let error): phase = flag.isCancelled ? .idle : .failed(error, at: Self.now())
        }
        condition.broadcast()
        let listeners = listeners
        condition.unlock()
        for listener in listeners { listener() }
    }

    /// A message about the model that is safe to store: no key, no credentials, bounded.
    /// What the model said is already in it as a cleaned quote.
    private func failure(_ message: String) -> LLMError {
        LLMError(redaction.clean(message, limit: Redaction.maximumMessage))
    }

    /// The endpoint as messages name it: no user information, query or fragment.
    private var shownEndpoint: String {
        let url = settings.endpoint
        return Redaction.none.clean(
            String(url[..<(url.firstIndex { $0 == "?" || $0 == "#" } ?? url.endIndex)]), limit: 300)
    }

    private func download(_ flag: CancellationFlag) throws(LLMError) -> RuleTable {
        let deadline = Date().addingTimeInterval(settings.deadline)
        let session = HTTPClient.Session()
        let endpoint = shownEndpoint
        if let problem = LLMSettings.problem(endpoint: settings.endpoint) {
            throw failure("the language model endpoint \(endpoint) is not asked: it \(problem)")
        }
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
                    response = try client.send(request, session: session, deadline: deadline, cancellation: flag)
                } catch .cancelled {
                    throw LLMError("the request for a rule table was cancelled")
                } catch .timeout where deadline.timeIntervalSinceNow <= 0 {
                    throw failure(
                        "the language model at \(endpoint) gave no table within \(HTTPClient.seconds(settings.deadline)) s"
                    )
                } catch .status(let code, _, let body) {
                    // Retried until the last attempt (429, 5xx): said once, with what it said.
                    throw failure("the language model at \(endpoint) answered \(code)" + (body.isEmpty ? "" : ": \(body)"))
                } catch {
                    throw failure("the language model at \(endpoint) failed: \(error)")
                }
                guard response.status == 200 else {
                    let said = redaction.clean(bytes: response.body)
                    var problem = "the language model at \(endpoint) answered \(response.status)" + (said.isEmpty ? "" : ": \(said)")
                    if (300..<400).contains(response.status) {
                        problem += " (redirects are not followed: give the URL it redirects to)"
                    } else if (response.status == 401 || response.status == 403) && apiKey == nil {
                        problem += " (no API key was sent: $\(settings.apiKeyVariable) is unset or empty)"
                    }
                    throw failure(problem)
                }
                do {
                    answered = try LLMPrompt.answers(response.body, count: indices.count, redaction: redaction)
                } catch {
                    lastProblem = error.description
                }
            }
            guard let answered else {
                throw failure(
                    "the language model gave no usable answer for neighbourhoods \(indices.lowerBound)-\(indices.upperBound - 1) "
                        + "in \(Self.attemptsPerBatch) attempts: \(lastProblem)")
            }
            entries += answered
        }
        return RuleTable { entries[$0] == 1 }
    }

    private func readCache() -> RuleTable? {
        guard let data = FileManager.default.contents(atPath: cacheFile), let json = try? JSONParser.parse(Array(data)),
            json["endpoint_sha256"]?.stringValue == SHA256.hex(Array(settings.endpoint.utf8)),
            json["model"]?.stringValue == settings.model,
            json["prompt_version"]?.stringValue == LLMPrompt.version, let bits = json["table"]?.stringValue
        else { return nil }
        return RuleTable(bits: bits)
    }

    private func writeCache(_ table: RuleTable) {
        let json: JSON = .object([
            // The endpoint by its hash only: its URL may hold credentials.
            "endpoint_sha256": .string(SHA256.hex(Array(settings.endpoint.utf8))), "model": .string(settings.model),
            "prompt_version": .string(LLMPrompt.version), "table": .string(table.bits),
        ])
        // A cache that cannot be written only costs a second fetch later.
        try? AtomicFile.write(json.prettyBytes, to: cacheFile)
    }

    private static func now() -> Double { ProcessInfo.processInfo.systemUptime }
}
