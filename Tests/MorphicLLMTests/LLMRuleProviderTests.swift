import Foundation
import HTTPClient
import MorphicCore
import MorphicLLM
import TestSupport
import Testing

@Suite(.serialized) struct LLMRuleProviderTests {
    func make(_ model: FakeModel, cache: String, name: String = "test-model", timeout: Double = 10) -> LLMRuleProvider {
        LLMRuleProvider(
            settings: LLMSettings(endpoint: model.endpoint, model: name, timeout: timeout), cacheDirectory: cache,
            environment: [:])
    }

    func run(_ configuration: RunConfiguration, table: RuleTable?) throws -> RunResult {
        var simulation = try Simulation(configuration: configuration, llmTable: table)
        simulation.runToEnd()
        return simulation.result
    }

    func configuration(mode: Mode, phi: Double = 1) -> RunConfiguration {
        var configuration = RunConfiguration()
        configuration.mode = mode
        configuration.fieldStrength = phi
        configuration.gridSize = 32
        configuration.generations = 60
        configuration.seed = 11
        return configuration
    }

    @Test func conwayAnswers_GiveConwaysTable_AndTheRunFollowsSection7() throws {
        let model = try FakeModel(.conway)
        defer { model.stop() }
        let cache = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let table = try make(model, cache: cache).ruleTable()
        #expect(table == LifeRule.conway.table)
        #expect(model.requests == 512 / LLMPrompt.batchSize)

        // Following a table equal to the rule, every cell is "applied" and none overridden,
        // and the grid evolves exactly like the classical run.
        let llm = try run(configuration(mode: .llmControl), table: table)
        let classical = try run(configuration(mode: .classical), table: nil)
        #expect(llm.series.population == classical.series.population)
        #expect(llm.series.morphicInfluenceRate.allSatisfy { $0 == 1 })
        #expect(llm.series.overrideRate.allSatisfy { $0 == 0 })
        #expect(llm.llmTable?.bits == LifeRule.conway.table.bits)
    }

    @Test func negatedAnswers_OverrideEveryCellTheyDecide() throws {
        let model = try FakeModel(.negation)
        defer { model.stop() }
        let cache = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let table = try make(model, cache: cache).ruleTable()
        let always = try run(configuration(mode: .llmControl), table: table)
        #expect(always.series.overrideRate.allSatisfy { $0 == 1 })
        let half = try run(configuration(mode: .llmControl, phi: 0.5), table: table)
        for (applied, overridden) in zip(half.series.morphicInfluenceRate, half.series.overrideRate) {
            #expect(applied == overridden)
            #expect(abs(applied - 0.5) < 0.1)
        }
    }

    @Test func cachedTable_IsUsedWithoutAskingAgain() throws {
        let model = try FakeModel(.conway)
        defer { model.stop() }
        let cache = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        _ = try make(model, cache: cache).ruleTable()
        let asked = model.requests
        #expect(try make(model, cache: cache).ruleTable() == LifeRule.conway.table)
        #expect(model.requests == asked)
        // Another model is another cache entry.
        _ = try make(model, cache: cache, name: "other-model").ruleTable()
        #expect(model.requests == 2 * asked)
    }

    @Test(arguments: [
        (FakeModel.Behaviour.malformed, "characters other than 0 and 1", LLMRuleProvider.attemptsPerBatch),
        (.wrongCount, "63 digits, not 64", LLMRuleProvider.attemptsPerBatch),
        (.failing(500), "answered 500", HTTPClient.Configuration().attempts),
        // No key was sent (its variable is unset here): the refusal says so.
        (.failing(401), "answered 401: model unavailable (no API key was sent: $OPENAI_API_KEY is unset or empty)", 1),
    ])
    func badAnswers_AreRetriedThenReported(_ behaviour: FakeModel.Behaviour, _ message: String, _ requests: Int) throws
    {
        let model = try FakeModel(behaviour)
        defer { model.stop() }
        let cache = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let error = #expect(throws: LLMError.self) { try make(model, cache: cache).ruleTable() }
        #expect(error?.description.contains(message) == true, "\(error?.description ?? "")")
        #expect(model.requests == requests)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache).isEmpty)
    }

    /// A key with a line break would end its header and start another: refused, naming its
    /// variable, never showing it; so is a variable name that is no name (a key put there).
    @Test func keyWithALineBreak_AndAVariableThatIsNoName_AreRefusedWithoutShowingThem() throws {
        let cache = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let provider = LLMRuleProvider(
            settings: LLMSettings(endpoint: "http://127.0.0.1:9/v1", model: "m"), cacheDirectory: cache,
            environment: ["OPENAI_API_KEY": "sk-abcdefgh\r\nX-Injected: yes"])
        let problem = try #require(provider.keyProblem)
        #expect(problem.hasPrefix("the API key in $OPENAI_API_KEY holds a line break") && !problem.contains("sk-abc"), "\(problem)")
        let plain = LLMRuleProvider(
            settings: LLMSettings(endpoint: "http://127.0.0.1:9/v1", model: "m"), cacheDirectory: cache,
            environment: ["OPENAI_API_KEY": "sk-abcdefgh"])
        #expect(plain.keyProblem == nil)
        for name in ["OPENAI_API_KEY", "_key2", "K"] { #expect(LLMSettings.problem(variable: name) == nil, "\(name)") }
        for name in ["sk-proj-ABCDEFGH", "2KEY", "MY KEY", "KÉY", String(repeating: "K", count: 256)] {
            let said = try #require(LLMSettings.problem(variable: name), "\(name)")
            #expect(!said.contains(name), "\(said)")
        }
    }

    @Test func rateLimit_IsWaitedOutAndRetried() throws {
        let model = try FakeModel(.rateLimitedOnce)
        defer { model.stop() }
        let cache = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        #expect(try make(model, cache: cache).ruleTable() == LifeRule.conway.table)
        #expect(model.requests == 512 / LLMPrompt.batchSize + 1)
    }

    @Test func slowModel_TimesOutAndIsReported() throws {
        let model = try FakeModel(.slow(2))
        defer { model.stop() }
        var configuration = HTTPClient.Configuration()
        configuration.totalTimeout = 0.3
        configuration.attempts = 2
        configuration.backoff = 0.05
        let client = HTTPClient(configuration: configuration)
        let error = #expect(throws: HTTPClient.Failure.self) {
            try client.send(HTTPClient.Request(method: "POST", url: model.endpoint, body: Array("{}".utf8)))
        }
        #expect(error?.description.contains("did not answer within") == true)
        #expect(model.requests == 2)
    }

    @Test func deadline_IsReportedWithThePrecisionGiven() throws {
        let model = try FakeModel(.hung)
        defer { model.stop() }
        let cache = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        var settings = LLMSettings(endpoint: model.endpoint + "?key=query-secret", model: "m", timeout: 0.2)
        settings.deadline = 0.3
        let provider = LLMRuleProvider(settings: settings, cacheDirectory: cache, environment: [:])
        let error = #expect(throws: LLMError.self) { try provider.ruleTable() }
        #expect(error?.description == "the language model at \(model.endpoint) gave no table within 0.3 s")
    }

    /// A model whose connections are refused, retried until the deadline: the refusal is
    /// said, not that no table came in time.
    @Test func refusedConnection_IsSaid_WhenTheDeadlineEndsItsRetries() throws {
        let model = try FakeModel(.hung)
        model.stop()
        let cache = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let settings = LLMSettings(endpoint: model.endpoint, model: "m", timeout: 0.25)
        let provider = LLMRuleProvider(settings: settings, cacheDirectory: cache, environment: [:])
        let error = #expect(throws: LLMError.self) { try provider.ruleTable() }
        let said = error?.description ?? ""
        #expect(said.contains("cannot reach") && !said.contains("gave no table"), "\(said)")
    }

    @Test func client_RefusesOtherSchemesAndCapsResponses() throws {
        #expect(throws: HTTPClient.Failure.invalidURL("file:///etc/passwd")) {
            try HTTPClient().send(HTTPClient.Request(url: "file:///etc/passwd"))
        }
        let model = try FakeModel(.conway)
        defer { model.stop() }
        var configuration = HTTPClient.Configuration()
        configuration.maximumResponseBytes = 10
        let error = #expect(throws: HTTPClient.Failure.self) {
            try HTTPClient(configuration: configuration).send(
                HTTPClient.Request(url: "http://127.0.0.1:\(model.port)/nothing"))
        }
        #expect(error?.description.contains("more than 10 bytes") == true)
        // Nothing listens here: a connection error names the address.
        var quick = HTTPClient.Configuration()
        quick.attempts = 1
        let refused = #expect(throws: HTTPClient.Failure.self) {
            try HTTPClient(configuration: quick).send(HTTPClient.Request(url: "http://127.0.0.1:1/"))
        }
        #expect(refused?.description.contains("cannot reach http://127.0.0.1:1/") == true)
    }
}
