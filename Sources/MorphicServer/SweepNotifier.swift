import Foundation
import HTTPClient
import MorphicData

/// POSTs a sweep's final status to its `notify_url` when it ends, with retries, on a
/// background thread; only hosts on the configured list are ever called.
final class SweepNotifier: Sendable {
    private let allowedHosts: Set<String>
    private let log: Log
    private let client: HTTPClient

    init(allowedHosts: [String], log: Log, client: HTTPClient = HTTPClient()) {
        self.allowedHosts = Set(allowedHosts.map { $0.lowercased() })
        self.log = log
        self.client = client
    }

    /// Whether `url` names an allowed host.
    func allows(_ url: String) -> Bool {
        guard let host = URL(string: url)?.host?.lowercased() else { return false }
        return allowedHosts.contains(host)
    }

    /// Sends `status` to `url` in the background.
    func send(_ status: JSON, to url: String) {
        guard allows(url) else {
            log.error(
                "notification_refused", ["url": .string(url), "reason": .string("host not in notify.allowed_hosts")])
            return
        }
        let body = status.compactBytes
        let sweep = status["id"] ?? .null
        Thread.detachNewThread { [client, log] in
            do {
                let response = try client.send(
                    HTTPClient.Request(
                        method: "POST", url: url, headers: [("Content-Type", "application/json")], body: body))
                log.info("notification_sent", ["sweep": sweep, "url": .string(url), "status": .int(response.status)])
            } catch {
                log.error(
                    "notification_failed",
                    ["sweep": sweep, "url": .string(url), "error": .string(String(describing: error))])
            }
        }
    }
}
