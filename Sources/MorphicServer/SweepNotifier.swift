import Foundation
import HTTPClient
import MorphicData

/// POSTs a sweep's final status to its `notify_url` when it ends.
///
/// Each attempt is short (``attemptTimeout``) and a failed one waits for its retry in the
/// queue, not on a thread, so a receiver that hangs holds one thread for one attempt at a
/// time; threads are started as deliveries are due, up to ``deliveryThreads``, and end when
/// none is. A sweep's statuses go one at a time, in the order they were given: a receiver
/// never sees `failed` after the `completed` that followed it. A status not yet sent (or
/// waiting for its retry) is dropped when a newer one for the same sweep arrives.
///
/// Only 2xx answers count as delivered. A redirect is not followed and a 4xx (but 408 and
/// 429) is not retried: both are failures, logged as such. A status queued with a folder is
/// kept there (``pendingFile``) until it is delivered or given up, so a server stopped
/// meanwhile sends it when it starts again (``JobService``).
///
/// Only allowed hosts (and ports, when listed) are ever called, as libcurl's own URL parser
/// reads the URL; the allowed hosts are read by the same parser, so `::1` and `[::1]`, or
/// `127.1` and `127.0.0.1`, name one host as they do in a URL. A URL's path and query may
/// hold a secret (a webhook's token): logs name its scheme, host and port only.
final class SweepNotifier: @unchecked Sendable {
    /// One status waiting to be delivered.
    private struct Delivery {
        let sweep: String
        let url: String
        let body: [UInt8]
        /// Where it is kept until it is delivered or given up; nil: not kept.
        let file: String?
        var attempt = 1
        var due = Date.distantPast
    }

    private let allowedHosts: Set<String>
    private let allowedPorts: Set<Int>
    private let log: Log
    private let client: HTTPClient
    private let condition = NSCondition()
    private var queue: [Delivery] = []
    /// Sweeps whose status a thread is delivering now: their next one waits for it.
    private var sending: Set<String> = []
    private var threads = 0
    private var idle = 0
    private var stopping = false
    private let stop = CancellationFlag()
    private let finished = DispatchGroup()

    /// Deliveries under way at once, at most. 32: each holds a thread for one attempt of at
    /// most ``attemptTimeout``, so receivers that hang delay another sweep's status only when
    /// more than this many of their attempts are under way at once.
    static let deliveryThreads = 32
    /// Attempts a status gets, the first included. 4.
    static let attempts = 4
    /// Seconds one attempt may take, connection included: a receiver is to acknowledge a
    /// status, not to act on it first (GitHub's webhooks allow 10 s too). 10 s.
    static let attemptTimeout = 10.0
    /// Seconds before the first retry, doubled for each after it, with up to 50 % jitter. 1 s.
    static let firstBackoff = 1.0
    /// The file in a sweep's folder that holds its status until it is delivered.
    static let pendingFile = "notification.json"

    init(allowedHosts: [String], allowedPorts: [Int] = [], log: Log, client: HTTPClient? = nil) {
        self.allowedHosts = Set(allowedHosts.map { Self.host($0) ?? $0.lowercased() })
        self.allowedPorts = Set(allowedPorts)
        self.log = log
        var configuration = HTTPClient.Configuration()
        configuration.attempts = 1
        configuration.totalTimeout = Self.attemptTimeout
        configuration.connectTimeout = min(configuration.connectTimeout, Self.attemptTimeout)
        self.client = client ?? HTTPClient(configuration: configuration)
    }

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

    /// `url` as logs name it: its scheme, host and port, and `/…` for the rest, which may
    /// hold a webhook's token.
    static func shown(_ url: String) -> String {
        guard let parts = URLParts(url) else { return "(a URL that cannot be read)" }
        return "\(parts.scheme)://\(parts.host):\(parts.port)/…"
    }

    /// Whether `url` names an allowed host and port, with no credentials in it.
    func allows(_ url: String) -> Bool {
        guard let parts = URLParts(url), !parts.hasUserInfo else { return false }
        return allowedHosts.contains(parts.host) && (allowedPorts.isEmpty || allowedPorts.contains(parts.port))
    }

    /// Queues `status` for `url`, replacing any status of the same sweep not yet sent. With
    /// `folder`, the status is kept there until it is delivered or given up (call without
    /// locks held: it writes a file).
    func send(_ status: JSON, to url: String, keptIn folder: String? = nil) {
        guard allows(url) else {
            log.error(
                "notification_refused", ["url": .string(Self.shown(url)), "reason": .string("not in notify.allowed_hosts")])
            return
        }
        let body = status.compactBytes
        var file: String?
        if let folder {
            let path = folder + "/" + Self.pendingFile
            do {
                try AtomicFile.write(JSON.object(["url": .string(url), "status": status]).prettyBytes, to: path)
                file = path
            } catch {
                // Sent all the same; only a stop before it is delivered would lose it.
                log.error("notification_not_kept", ["path": .string(path), "error": .string("\(error)")])
            }
        }
        enqueue(Delivery(sweep: status["id"]?.stringValue ?? "", url: url, body: body, file: file))
    }

    /// Queues again the status kept in `folder` by a server stopped before it was delivered;
    /// a kept file that cannot be read is removed, saying so.
    func resume(keptIn folder: String) {
        let path = folder + "/" + Self.pendingFile
        guard let data = FileManager.default.contents(atPath: path) else { return }
        guard let json = try? JSONParser.parse(Array(data)), let url = json["url"]?.stringValue, let status = json["status"]
        else {
            log.error("notification_dropped", ["path": .string(path), "reason": .string("it cannot be read")])
            try? FileManager.default.removeItem(atPath: path)
            return
        }
        guard allows(url) else {
            log.error(
                "notification_refused",
                ["url": .string(Self.shown(url)), "reason": .string("not in notify.allowed_hosts")])
            try? FileManager.default.removeItem(atPath: path)
            return
        }
        enqueue(Delivery(sweep: status["id"]?.stringValue ?? "", url: url, body: status.compactBytes, file: path))
    }

    private func enqueue(_ delivery: Delivery) {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { return }
        queue.removeAll { $0.sweep == delivery.sweep }
        queue.append(delivery)
        startThreadIfNeeded()
        condition.broadcast()
    }

    /// A thread more when a delivery is due and none is idle to take it; call with the lock.
    private func startThreadIfNeeded() {
        guard idle == 0, threads < Self.deliveryThreads else { return }
        threads += 1
        finished.enter()
        let thread = Thread { [self] in
            deliver()
            finished.leave()
        }
        thread.name = "notify"
        thread.start()
    }

    /// Stops delivering; an attempt under way is cancelled, queued ones are dropped (those
    /// kept in a folder are sent when the server starts again).
    func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
        stop.cancel()
        finished.wait()
    }

    /// The next delivery due whose sweep has none under way, waiting for one; nil when
    /// stopping, or when nothing is queued (the thread then ends). Call with the lock.
    private func next() -> Delivery? {
        while !stopping {
            let now = Date()
            if let index = queue.firstIndex(where: { $0.due <= now && !sending.contains($0.sweep) }) {
                return queue.remove(at: index)
            }
            if queue.isEmpty { return nil }
            // Only retries not yet due, or statuses behind one under way: wait for either.
            let soonest = queue.lazy.filter { !self.sending.contains($0.sweep) }.map(\.due).min()
            idle += 1
            _ = condition.wait(until: soonest ?? now.addingTimeInterval(Self.attemptTimeout))
            idle -= 1
        }
        return nil
    }

    private func deliver() {
        condition.lock()
        while let delivery = next() {
            sending.insert(delivery.sweep)
            condition.unlock()
            let retry = attempt(delivery)
            condition.lock()
            sending.remove(delivery.sweep)
            // A newer status of the sweep queued meanwhile replaces the retry.
            if var retry, !stopping, !queue.contains(where: { $0.sweep == retry.sweep }) {
                retry.attempt += 1
                queue.append(retry)
            }
            condition.broadcast()
        }
        threads -= 1
        condition.unlock()
    }

    /// One attempt at `delivery`; returns it, due again, when it is to be retried.
    private func attempt(_ delivery: Delivery) -> Delivery? {
        let shown = JSON.string(Self.shown(delivery.url))
        var failure: String
        var transient: Bool
        let pause = Self.firstBackoff * Double(1 << (delivery.attempt - 1)) * Double.random(in: 1...1.5)
        do {
            let response = try client.send(
                HTTPClient.Request(
                    method: "POST", url: delivery.url, headers: [("Content-Type", "application/json")],
                    body: delivery.body),
                cancellation: stop)
            switch response.status {
            case 200..<300:
                log.info(
                    "notification_sent",
                    ["sweep": .string(delivery.sweep), "url": shown, "status": .int(response.status)])
                forget(delivery)
                return nil
            case 300..<400:
                failure = "answered \(response.status): redirects are not followed; give the URL it redirects to"
                transient = false
            default:
                failure = "answered \(response.status)"
                transient = response.status == 408
            }
        } catch {
            if case .cancelled = error { return nil }  // stopping: kept for the next start
            if case .status(let code, _, _) = error, code == 429 || code >= 500 {
                failure = "answered \(code)"
            } else {
                failure = Self.cleaned(error.description, of: delivery.url)
            }
            transient = error.isTransient
        }
        let last = delivery.attempt >= Self.attempts || !transient
        log.error(
            "notification_failed",
            [
                "sweep": .string(delivery.sweep), "url": shown, "attempt": .int(delivery.attempt),
                "error": .string(failure),
                "action": .string(last ? "given up" : "retried in \(HTTPClient.seconds(pause)) s"),
            ])
        guard !last else {
            forget(delivery)
            return nil
        }
        var retry = delivery
        retry.due = Date().addingTimeInterval(pause)
        return retry
    }

    /// `message` with `url` (as the client names it, up to its query) named as logs name it.
    static func cleaned(_ message: String, of url: String) -> String {
        let bare = url.firstIndex { $0 == "?" || $0 == "#" }.map { String(url[..<$0]) } ?? url
        return message.replacingOccurrences(of: bare + "?…", with: shown(url))
            .replacingOccurrences(of: bare, with: shown(url))
    }

    /// Removes the delivered or given-up status's file, unless a newer status replaced it.
    private func forget(_ delivery: Delivery) {
        guard let file = delivery.file else { return }
        condition.lock()
        let replaced = queue.contains { $0.sweep == delivery.sweep && $0.file == file }
        condition.unlock()
        guard !replaced else { return }
        // The newer status may have been written over it since; it is removed only if it is
        // still this one.
        guard let data = FileManager.default.contents(atPath: file),
            let json = try? JSONParser.parse(Array(data)), json["status"]?.compactBytes == delivery.body
        else { return }
        try? FileManager.default.removeItem(atPath: file)
    }
}
