import Foundation
import HTTPClient
import MorphicLLM
import TestSupport
import Synchronization
import Testing

/// The outgoing HTTP client's rules for waiting, retrying and cancelling, and the cleaning
/// of what it reports.
@Suite struct HTTPClientTests {
    @Test func retryAfter_IsReadAsSecondsOrAsADate() {
        let now = Date(timeIntervalSince1970: 784_111_777)  // Sun, 06 Nov 1994 08:49:37 GMT
        #expect(HTTPClient.retryAfter("120", now: now) == 120)
        #expect(HTTPClient.retryAfter("Sun, 06 Nov 1994 08:50:07 GMT", now: now) == 30)
        #expect(HTTPClient.retryAfter("Sun, 06 Nov 1994 08:49:00 GMT", now: now) == 0, "a past date means now")
        #expect(HTTPClient.retryAfter("soon", now: now) == nil)
        #expect(HTTPClient.retryAfter("-5", now: now) == nil)
    }

    @Test func permanentFailure_IsNotRetried() throws {
        // TLS to a plain HTTP server: a handshake failure that no retry can mend.
        let model = try FakeModel(.conway)
        defer { model.stop() }
        var configuration = HTTPClient.Configuration()
        configuration.backoff = 5
        let started = Date()
        let error = #expect(throws: HTTPClient.Failure.self) {
            try HTTPClient(configuration: configuration).send(
                HTTPClient.Request(url: "https://127.0.0.1:\(model.port)/"))
        }
        #expect(Date().timeIntervalSince(started) < 4, "no 5 s backoff before giving up")
        if case .connection(_, _, let transient)? = error {
            #expect(!transient)
        } else {
            Issue.record("\(String(describing: error))")
        }
    }

    @Test func cancellation_EndsAHungTransferAndItsBackoff() throws {
        let model = try FakeModel(.hung)
        defer { model.stop() }
        let flag = CancellationFlag()
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 0.5)
            flag.cancel()
        }
        let started = Date()
        let error = #expect(throws: HTTPClient.Failure.self) {
            try HTTPClient().send(
                HTTPClient.Request(method: "POST", url: model.endpoint, body: Array("{}".utf8)), cancellation: flag)
        }
        #expect(error == .cancelled(url: model.endpoint))
        #expect(Date().timeIntervalSince(started) < 4, "stopped within about a second or two of the cancel")
        #expect(throws: HTTPClient.Failure.cancelled(url: model.endpoint)) {
            try HTTPClient().send(HTTPClient.Request(url: model.endpoint), cancellation: flag)
        }
        #expect(model.requests == 1, "no request starts after a cancel")
    }
}

/// Outgoing requests that cannot succeed fail at once, saying why.
@Suite struct HTTPClientRefusalTests {
    /// Header sections over our limit: in many fields, in one field beyond libcurl's own
    /// limit for a field, and beyond its limit for all of them.
    @Test(arguments: [(count: 70, size: 1024), (count: 1, size: 150 * 1024), (count: 8, size: 50 * 1024)])
    func oversizedResponseHeaders_FailAtOnce_NotRetried(_ shape: (count: Int, size: Int)) throws {
        let model = try FakeModel(.hugeHeaders(count: shape.count, size: shape.size))
        defer { model.stop() }
        var configuration = HTTPClient.Configuration()
        configuration.backoff = 5
        let started = Date()
        let error = #expect(throws: HTTPClient.Failure.self) {
            try HTTPClient(configuration: configuration).send(HTTPClient.Request(url: model.endpoint))
        }
        #expect(error == .headersTooLarge(configuration.maximumHeaderBytes, url: model.endpoint))
        #expect(error?.description.contains("sent response headers larger than 65536 bytes") == true)
        #expect(model.requests == 1, "not retried")
        #expect(Date().timeIntervalSince(started) < 4, "no backoff")
        // Headers just within the limit are fine.
        model.behave(.hugeHeaders(count: 30, size: 1024))
        #expect(
            try HTTPClient(configuration: configuration).send(HTTPClient.Request(url: model.endpoint)).status == 200)
    }

    @Test func seconds_AreShownToTheMillisecond() {
        #expect(HTTPClient.seconds(120) == "120")
        #expect(HTTPClient.seconds(0.5) == "0.5")
        #expect(HTTPClient.seconds(0.125) == "0.125")
        #expect(HTTPClient.seconds(0.1) == "0.1")
        #expect(HTTPClient.seconds(3600) == "3600")
        #expect(HTTPClient.seconds(0.0004) == "0")
    }

    @Test func aTimeout_IsReportedWithThePrecisionGiven() throws {
        let model = try FakeModel(.hung)
        defer { model.stop() }
        var configuration = HTTPClient.Configuration()
        configuration.totalTimeout = 0.25
        configuration.attempts = 1
        let error = #expect(throws: HTTPClient.Failure.self) {
            try HTTPClient(configuration: configuration).send(HTTPClient.Request(url: model.endpoint))
        }
        #expect(error?.description.hasSuffix("did not answer within 0.25 s") == true, "\(String(describing: error))")
    }

    @Test(arguments: ["0", "0.001", "0.0999", "0.1234", "3600.5", "-1", "nan"])
    func llmTimeout_OutsideItsRange_IsRefused(_ value: String) throws {
        let result = try execute(
            ServerProcess.executable,
            [
                "run", "--mode=llm_control", "--llm-timeout=\(value)", "--llm-endpoint",
                "http://127.0.0.1:9/v1", "--llm-model", "m",
            ])
        #expect(result.status != 0, "\(value)")
        #expect(
            result.output.contains("--llm-timeout must be seconds in [0.1, 3600], to the millisecond")
                || value == "nan",
            "\(value): \(result.output)")
    }

    @Test(arguments: [0.1, 0.25, 2.5, 3600])
    func llmTimeout_WithinItsRange_IsAccepted(_ seconds: Double) {
        #expect(LLMSettings.problem(timeout: seconds) == nil)
    }
}
