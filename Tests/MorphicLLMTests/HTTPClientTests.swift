import Foundation
import HTTPClient
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
            try HTTPClient(configuration: configuration).send(HTTPClient.Request(url: "https://127.0.0.1:\(model.port)/"))
        }
        #expect(Date().timeIntervalSince(started) < 4, "no 5 s backoff before giving up")
        if case .connection(_, _, let transient)? = error { #expect(!transient) } else { Issue.record("\(String(describing: error))") }
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

    @Test func redaction_RemovesSecretsCredentialsAndControlCharacters() {
        let text = "POST https://bob:hunter22@api.example/v1 said: bad key sk-123456\u{1B}[31m\n" + String(repeating: "x", count: 500)
        let clean = Redaction.clean(text, secrets: ["sk-123456"])
        #expect(!clean.contains("hunter22") && !clean.contains("bob:") && !clean.contains("sk-123456"))
        #expect(clean.contains("https://***@api.example/v1") && clean.contains("[redacted]"))
        #expect(!clean.contains("\u{1B}") && !clean.contains("\n"))
        #expect(clean.count <= Redaction.maximumMessage + 1)
    }
}
