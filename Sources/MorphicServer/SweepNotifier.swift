import Foundation
import HTTPClient
import MorphicData

/// POSTs a sweep's final status to its `notify_url` when it ends, with retries, on a few
/// threads (``deliveryThreads``), so that a receiver that hangs holds back only its own
/// sweep's status, not every sweep's. A sweep's statuses go one at a time, in the order they
/// were given: a receiver never sees `failed` after the `completed` that followed it. A
/// status not yet sent is dropped when a newer one for the same sweep arrives. Only allowed
/// hosts (and ports, when listed) are ever called, as libcurl's own URL parser reads the
/// URL; the allowed hosts are read by the same parser, so `::1` and `[::1]`, or `127.1` and
/// `127.0.0.1`, name one host as they do in a URL.
final class SweepNotifier: @unchecked Sendable {
    private let allowedHosts: Set<String>
    private let allowedPorts: Set<Int>
    private let log: Log
    private let client: HTTPClient
    private let condition = NSCondition()
    private var queue: [(sweep: String, url: String, body: [UInt8])] = []
    /// Sweeps whose status a thread is delivering now: their next one waits for it.
    private var sending: Set<String> = []
    private var stopping = false
    private let stop = CancellationFlag()
    private let finished = DispatchGroup()

    init(allowedHosts: [String], allowedPorts: [Int] = [], log: Log, client: HTTPClient = HTTPClient()) {
        self.allowedHosts = Set(allowedHosts.map { Self.host($0) ?? $0.lowercased() })
        self.allowedPorts = Set(allowedPorts)
        self.log = log
        self.client = client
        for _ in 0..<Self.deliveryThreads {
            finished.enter()
            let thread = Thread { [self] in
                deliver()
                finished.leave()
            }
            thread.name = "notify"
            thread.start()
        }
    }

    /// Deliveries under way at once. 4: a receiver that hangs takes one thread for as long
    /// as its retries last (minutes), and sweeps end seldom enough that four such receivers
    /// at once are unusual; beyond that, statuses wait their turn.
    static let deliveryThreads = 4

    /// `name` as libcurl reads the host of a URL (lower-cased, an IPv6 address in brackets
    /// and in its shortest form, an IPv4 address in dotted quads); nil when it is not a host
    /// alone (a port, path or credentials with it, or not a host at all).
    static func host(_ name: String) -> String? {
        let bare = name.hasPrefix("[") && name.hasSuffix("]") ? String(name.dropFirst().dropLast()) : name
        let written = bare.contains(":") ? "[\(bare)]" : bare
        guard !written.isEmpty, !written.contains(where: { "/?#@\\".contains($0) }),
            // `example.org:443` is bracketed above, and so refused as no IPv6 address.
            let parts = URLParts("http://\(written)/"), !parts.hasUserInfo
        else { return nil }
        return parts.host
    }

    /// Whether `url` names an allowed host and port, with no credentials in it.
    func allows(_ url: String) -> Bool {
        guard let parts = URLParts(url), !parts.hasUserInfo else { return false }
        return allowedHosts.contains(parts.host) && (allowedPorts.isEmpty || allowedPorts.contains(parts.port))
    }

    /// Queues `status` for `url`, replacing any status of the same sweep not yet sent.
    func send(_ status: JSON, to url: String) {
        guard allows(url) else {
            log.error(
                "notification_refused",
                ["url": .string(Redaction.withoutUserInfo(url)), "reason": .string("not in notify.allowed_hosts")])
            return
        }
        let sweep = status["id"]?.stringValue ?? ""
        condition.lock()
        queue.removeAll { $0.sweep == sweep }
        queue.append((sweep, url, status.compactBytes))
        condition.signal()
        condition.unlock()
    }

    /// Stops delivering; a delivery under way is cancelled, queued ones are dropped.
    func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
        stop.cancel()
        finished.wait()
    }

    private func deliver() {
        while true {
            condition.lock()
            var found: Int?
            while !stopping {
                found = queue.firstIndex { !sending.contains($0.sweep) }
                if found != nil { break }
                condition.wait()
            }
            guard !stopping, let found else {
                condition.unlock()
                return
            }
            let next = queue.remove(at: found)
            sending.insert(next.sweep)
            condition.unlock()
            defer {
                condition.lock()
                sending.remove(next.sweep)
                condition.broadcast()
                condition.unlock()
            }
            let shown = JSON.string(Redaction.withoutUserInfo(next.url))
            do {
                let response = try client.send(
                    HTTPClient.Request(
                        method: "POST", url: next.url, headers: [("Content-Type", "application/json")], body: next.body),
                    cancellation: stop)
                log.info(
                    "notification_sent", ["sweep": .string(next.sweep), "url": shown, "status": .int(response.status)])
            } catch {
                log.error(
                    "notification_failed",
                    ["sweep": .string(next.sweep), "url": shown, "error": .string(String(describing: error))])
            }
        }
    }
}
