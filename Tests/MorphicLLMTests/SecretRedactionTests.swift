import Foundation
import HTTP
import HTTPClient
import MorphicData
import MorphicLLM
import TestSupport
import Testing

@testable import MorphicLLM
@testable import MorphicServer

/// A model that echoes the credential it was sent, in every encoding and at every offset
/// around the cut of what is kept of its words: no form of the key, and no fragment of one
/// left by the cut, reaches a message, a stored file or the log.
@Suite(.serialized) struct SecretRedactionTests {
    static let authorization = "Bearer " + SecretEcho.key
    static let request =
        "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: \(authorization)\r\n"
        + "Content-Type: application/json\r\n\r\n{\"model\": \"fake\", \"messages\": [{\"role\": \"user\"}]}"

    /// Offsets of the echo that put the cut at `limit` before it, at its first characters,
    /// through its middle, at its last characters and after it.
    static func offsets(_ echo: String, limit: Int = Redaction.maximumQuote) -> [Int] {
        Array(Set((max(0, limit - echo.count - 2)...(limit + 2)).map { $0 }))
    }

    @Test(arguments: SecretEcho.encodings)
    func everyEncoding_AtEveryOffset_IsCleanedBeforeTheCut(_ encoding: SecretEcho.Encoding) {
        let echo = encoding.encode(Self.authorization, Self.request)
        let forms = SecretEcho.keyForms(in: echo)
        #expect(!forms.isEmpty, "the test knows where the key is in \(encoding)")
        let windows = SecretEcho.windows(of: forms)
        let redaction = Redaction(secrets: Redaction.secrets(ofCredential: Self.authorization))
        for offset in Self.offsets(echo) {
            let text = String(repeating: "x", count: offset) + echo + " and more"
            let clean = redaction.clean(text)
            #expect(clean.unicodeScalars.count <= Redaction.maximumQuote + 1, "\(encoding) at \(offset)")
            if let leak = SecretEcho.leak(in: clean, forms: forms, windows: windows) {
                Issue.record("\(encoding) at offset \(offset): \(leak) in \(clean)")
                return
            }
        }
    }

    /// An echo that wraps the key, or its base64, across lines or breaks it with white space
    /// (as itself or JSON-escaped), at every place: no window of it is left readable once
    /// the breaks read as spaces.
    @Test(arguments: ["\n", "\r\n", " ", "\t", "\n   ", "\\n", "\\r\\n"])
    func keyBrokenByWhiteSpace_IsCleanedWherever(_ separator: String) {
        let redaction = Redaction(secrets: Redaction.secrets(ofCredential: Self.authorization))
        for secret in [SecretEcho.key, SecretEcho.base64(SecretEcho.key)] {
            let windows = SecretEcho.windows(of: [secret])
            let characters = Array(secret)
            for cut in 1..<characters.count {
                let broken = String(characters[..<cut]) + separator + String(characters[cut...])
                let clean = redaction.clean("the model said: " + broken + " auth")
                #expect(clean.contains(Redaction.replacement), "cut at \(cut): \(clean)")
                if let window = windows.first(where: { clean.contains($0) }) {
                    Issue.record("cut at \(cut) by \(separator.debugDescription): \(window) in \(clean)")
                    return
                }
            }
        }
        // Under 8 characters, two words a space apart are words; whole, still the secret.
        #expect(Redaction(secrets: ["hunter2"]).clean("hun ter2 hunter2") == "hun ter2 [redacted]")
    }

    /// A URL's query may carry a token (`?key=…`): a client failure names the URL without it,
    /// and a provider whose endpoint has one cleans its values from what the model echoes.
    @Test func endpointQuery_IsNeverQuoted() throws {
        let url = "http://127.0.0.1:9/v1/chat/completions?key=QUERYSECRET1234567&x=1"
        for failure: HTTPClient.Failure in [
            .connection("Failed to connect", url: url, transient: true), .timeout(3, url: url),
            .status(500, url: url, body: ""), .invalidURL(url), .cancelled(url: url),
        ] {
            #expect(!failure.description.contains("QUERYSECRET"), "\(failure.description)")
            #expect(failure.description.contains("http://127.0.0.1:9/v1/chat/completions?…"), "\(failure.description)")
        }
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let settings = LLMSettings(endpoint: url, model: "fake")
        let provider = LLMRuleProvider(settings: settings, cacheDirectory: folder, environment: [:])
        let echoed = provider.redaction.clean("unknown key QUERYSECRET1234567 (QUERYSECRET%31234567)")
        #expect(!echoed.contains("QUERYSECRET"), "\(echoed)")
    }

    @Test func cleaning_KeepsOrdinaryTextAndCutsItsWordsAt200() {
        let redaction = Redaction(secrets: ["sk-123456"])
        let text = "POST https://bob:hunter22@api.example/v1 said: bad key sk-123456\u{1B}[31m\n\u{202E}"
        let clean = redaction.clean(text)
        #expect(clean == "POST https://***@api.example/v1 said: bad key [redacted] [31m  ")
        let long = String(repeating: "é", count: 500)
        #expect(redaction.clean(long) == String(repeating: "é", count: 200) + "…")
        #expect(
            redaction.clean(String(repeating: "y", count: 200)) == String(repeating: "y", count: 200), "not cut at 200")
        #expect(Redaction.none.clean(bytes: [0x61, 0xFF, 0x62]) == "a\u{FFFD}b", "a bad byte is shown as such")
        // A short key is still a secret; its encodings are looked for from 4 characters on.
        #expect(Redaction(secrets: ["ab"]).clean("xaby") == "x[redacted]y")
    }

    /// An echo that quotes part of a long key (its first characters, its last, its middle)
    /// gives it away as surely as the whole: a run of 10 characters or more is replaced.
    @Test func partOfALongKey_IsCleaned_AndACleanedMessageCleanedAgainIsTheSame() {
        let key = "sk-SECRETkey/ABC+def=ghi_0123456789xyz"
        let redaction = Redaction(secrets: [key])
        for part in [String(key.prefix(20)), String(key.suffix(12)), String(key.dropFirst(7).prefix(10))] {
            let clean = redaction.clean("invalid api key: \(part) (check it)")
            #expect(clean == "invalid api key: [redacted] (check it)", "\(part): \(clean)")
        }
        // Nine characters of it, and ordinary text around it, are kept.
        #expect(redaction.clean("sk-SECRET is no key") == "sk-SECRET is no key")
        // A shorter key's parts are shorter: a third of it, from 6 characters; the space
        // before a quoted part is kept (the header's `Bearer …` is no part's source).
        let short = Redaction(secrets: Redaction.secrets(ofCredential: "Bearer abcdefghijkl"))
        #expect(short.clean("Incorrect API key provided: abcdef and ****ghijkl") == "Incorrect API key provided: [redacted] and ****[redacted]")
        #expect(short.clean("key abcde is short") == "key abcde is short")
        // A secret found in the marker of an earlier cleaning is not: the message cleaned
        // twice reads as one cleaned once.
        for secret in ["a", "e", "red", "[redacted]"] {
            let once = Redaction(secrets: [secret]).clean("a message that said \(secret)")
            #expect(Redaction(secrets: [secret]).clean(once) == once, "\(secret): \(once)")
            #expect(once.hasSuffix("[redacted]"), "\(secret): \(once)")
        }
    }

    @Test func clientFailure_QuotesAnEchoingServerCleanedBeforeCut() throws {
        let model = try FakeModel(.conway)
        defer { model.stop() }
        var configuration = HTTPClient.Configuration()
        configuration.attempts = 1
        let client = HTTPClient(configuration: configuration)
        for encoding in SecretEcho.encodings {
            let echo = encoding.encode(Self.authorization, Self.request)
            let forms = SecretEcho.keyForms(in: echo)
            let windows = SecretEcho.windows(of: forms)
            for offset in stride(from: max(0, 200 - echo.count - 1), through: 201, by: max(1, echo.count / 24)) {
                model.behave(.echoing(status: 503, prefix: offset, encode: encoding.encode))
                let error = #expect(throws: HTTPClient.Failure.self) {
                    try client.send(
                        HTTPClient.Request(
                            method: "POST", url: model.endpoint, headers: [("Authorization", Self.authorization)],
                            body: Array("{}".utf8)))
                }
                let message = error?.description ?? ""
                #expect(message.contains("answered 503: xxx") || offset < 3, "\(message)")
                if let leak = SecretEcho.leak(in: message, forms: forms, windows: windows) {
                    Issue.record("\(encoding) at offset \(offset): \(leak) in \(message)")
                    return
                }
            }
        }
    }

    /// Echoes through the job server, as the error of a 401 and as an answer that cannot be
    /// read: the run's error, its `.error` file, records, the manifest and the log are
    /// searched for every form of the key.
    @Test(arguments: [401, 200])
    func serverRuns_StoreNoFormOfTheKey(_ status: Int) throws {
        let model = try FakeModel(.conway)
        defer { model.stop() }
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let logFile = data + "/server.log"
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        let handle = try #require(FileHandle(forWritingAtPath: logFile))
        var configuration = ServerConfiguration()
        configuration.dataDirectory = data + "/data"
        configuration.workers = 1
        var settings = LLMSettings(endpoint: model.endpoint, model: "fake")
        settings.apiKeyVariable = "MORPHIC_TEST_KEY"
        configuration.llm = settings
        setenv("MORPHIC_TEST_KEY", SecretEcho.key, 1)
        defer { unsetenv("MORPHIC_TEST_KEY") }
        let service = try JobService(configuration: configuration, log: Log(destination: handle))
        defer { service.shutdown() }

        var cases = 0
        let definition = #"""
            {"name": "echo", "defaults": {"grid_size": 8, "generations": 3},
             "groups": [{"prefix": "llm", "mode": "llm_control"}]}
            """#
        var id: String?
        for encoding in SecretEcho.encodings {
            let echo = encoding.encode(Self.authorization, Self.request)
            let forms = SecretEcho.keyForms(in: echo)
            let windows = SecretEcho.windows(of: forms)
            // The cut through the echo's first characters, its middle and its last ones.
            let cuts = Set([1, 4, echo.count / 2, echo.count - 4, echo.count - 1].filter { $0 > 0 && $0 < echo.count })
            for cut in cuts.sorted() {
                let offset = Redaction.maximumQuote - cut
                guard offset >= 0 else { continue }
                model.behave(.echoing(status: status, prefix: offset, encode: encoding.encode))
                let asked = model.requests
                // One sweep, retried for each echo: a retry forgets the model's failure.
                if let id {
                    let retried = ServerOutboundTests.wait { (try? service.retry(id)) != nil }
                    #expect(retried)
                } else {
                    id = try service.submit(Array(definition.utf8)).status["id"]!.stringValue!
                }
                let id = id!
                cases += 1
                let failed = try ServerOutboundTests.wait(
                    { try model.requests > asked && service.status(id)["status"] == .string("failed") }, timeout: 20)
                #expect(failed)
                let error =
                    try service.runs(id, offset: 0, limit: 1)["runs"]?.elements?.first?["error"]?.stringValue ?? ""
                #expect(error.contains("xxx"), "the model's words are quoted: \(error)")
                // At most 200 characters of them, and `…` when cut.
                let quoted =
                    status == 200
                    ? String(error.components(separatedBy: "other than 0 and 1: \"").last?.dropLast() ?? "")
                    : error.components(separatedBy: "answered \(status): ").last ?? ""
                #expect(
                    quoted.hasPrefix("xxx") && quoted.unicodeScalars.count <= Redaction.maximumQuote + 1, "\(quoted)")
                var stored = ["the run's error": error]
                // Read as they are; a temporary file renamed meanwhile is read under its new name.
                let folder = data + "/data/sweeps/" + id
                for path in FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? [] {
                    if let bytes = FileManager.default.contents(atPath: folder + "/" + path) {
                        stored[path] = String(decoding: bytes, as: UTF8.self)
                    }
                }
                #expect(stored.keys.contains { $0.hasSuffix("llm_1.error") })
                for (place, text) in stored {
                    if let leak = SecretEcho.leak(in: text, forms: forms, windows: windows) {
                        Issue.record("\(encoding), cut at \(cut): \(leak) in \(place)")
                    }
                }
            }
        }
        #expect(cases >= 3 * SecretEcho.encodings.count)
        Thread.sleep(forTimeInterval: 0.5)  // the log is flushed every 0.2 s
        let log = try String(contentsOfFile: logFile, encoding: .utf8)
        let failures = log.split(separator: "\n").filter { $0.contains("runs_failed") && $0.contains("xxxx") }
        #expect(failures.count >= cases, "each failure is logged with the model's words")
        let allForms = SecretEcho.encodings.flatMap {
            SecretEcho.keyForms(in: $0.encode(Self.authorization, Self.request))
        }
        if let leak = SecretEcho.leak(in: log, forms: allForms, windows: SecretEcho.windows(of: allForms)) {
            Issue.record("\(leak) in the log")
        }
    }

    @Test func credentialsInTheURL_AreRefusedBeforeAnyRequest() throws {
        let model = try FakeModel(.conway)
        defer { model.stop() }
        let password = "url-pass-SECRET"
        let endpoint = model.endpoint.replacingOccurrences(of: "http://", with: "http://user:\(password)@")
        let error = #expect(throws: HTTPClient.Failure.self) {
            try HTTPClient().send(HTTPClient.Request(method: "POST", url: endpoint, body: Array("{}".utf8)))
        }
        #expect(error?.description.contains("user name or password") == true, "\(String(describing: error))")
        #expect(error?.description.contains(password) == false)

        let cache = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let provider = LLMRuleProvider(
            settings: LLMSettings(endpoint: endpoint, model: "fake"), cacheDirectory: cache, environment: [:])
        let failure = #expect(throws: LLMError.self) { try provider.ruleTable() }
        #expect(failure?.description.contains("must not hold a user name or password") == true)
        #expect(failure?.description.contains(password) == false)
        #expect(LLMSettings.problem(endpoint: endpoint) != nil)
        #expect(LLMSettings.problem(endpoint: model.endpoint) == nil)
        // A NUL would end the URL libcurl reads early: refused, not sent elsewhere.
        #expect(throws: HTTPClient.Failure.self) {
            try HTTPClient().send(HTTPClient.Request(url: model.endpoint + "\u{0}@evil.example/"))
        }
        #expect(model.requests == 0, "nothing was sent")

        let result = try execute(
            ServerProcess.executable, ["run", "--mode=llm_control", "--llm-endpoint", endpoint, "--llm-model", "m"])
        #expect(result.status != 0 && result.output.contains("--llm-endpoint must not hold a user name or password"))
        #expect(result.output.contains("Bearer"), "the user is told what to do instead: \(result.output)")
    }
}
