import Foundation
import HTTP
import MorphicData
import Synchronization

/// The REST API of the README, the metrics and health endpoints and the static page, as one
/// request handler. Every answer is logged and counted.
///
/// It runs on the event loops, so it answers there only what memory holds (health,
/// metrics and a sweep's status once the sweeps are loaded, refusals); queries that scan every run of a sweep go to the
/// query pool, frames (after a cheap look at the run's record) to the heavy pool, and the
/// rest that reads or writes files or parses a definition to the blocking pool, each
/// answered from there.
final class API: Sendable {
    let service: JobService
    let configuration: ServerConfiguration
    /// How messages may write the data directory (``Swift/String/writtenForms(of:)``), taken
    /// out of every error answer.
    private let dataFolder: [String]
    let log: Log
    let counter = RequestCounter()
    /// Requests whose client had gone before a thread took them: skipped, not answered.
    let abandoned = Atomic<Int>(0)
    /// Requests answered 503 for the queue delay: refused on arrival while a pool's queue was
    /// behind, or dropped from it when no thread took them in time.
    let shedRequests = Atomic<Int>(0)
    /// Blocking-pool requests waiting or running, per client address.
    private let held = Mutex<[String: Int]>([:])
    let files: StaticFiles
    let pool: BlockingPool
    /// Where queries that scan every run of a sweep (``Route/scansRuns``) are answered,
    /// admitted fairly per client and apart from ``pool``.
    let query: FairPool
    /// Where frames are recomputed, admitted fairly and apart from ``pool``.
    let heavy: FairPool
    /// Posteriors and calibration of finished sweeps used as reference tables.
    let posteriors: PosteriorService
    /// Open connections, for `/metrics`; set once the HTTP server exists.
    let connections: @Sendable () -> Int
    /// Bytes held for clients now and the answers refused for that bound, for `/metrics`;
    /// set once the HTTP server exists.
    let holding: @Sendable () -> (bytes: Int, refused: Int, receiving: Int)

    init(
        service: JobService, configuration: ServerConfiguration, log: Log, pool: BlockingPool, query: FairPool,
        heavy: FairPool,
        connections: @escaping @Sendable () -> Int,
        holding: @escaping @Sendable () -> (bytes: Int, refused: Int, receiving: Int) = { (0, 0, 0) }
    ) {
        self.holding = holding
        self.service = service
        self.configuration = configuration
        self.log = log
        self.pool = pool
        self.query = query
        self.heavy = heavy
        self.connections = connections
        files = StaticFiles(root: configuration.publicDirectory)
        dataFolder = String.writtenForms(of: configuration.dataDirectory)
        posteriors = PosteriorService(service: service)
        service.onTrainedReference { [posteriors] id, folder, reference in
            posteriors.adopt(id, folder: folder, reference: reference)
        }
    }

    /// Answers a request at once, or later through `responder`, logging and counting it.
    func handle(_ request: HTTPRequest, _ responder: Responder) -> HTTPResponse? {
        let start = ProcessInfo.processInfo.systemUptime
        let route: Route
        do {
            route = try checkHead(request, announcesBody: !request.body.isEmpty)
        } catch {
            return finish(request, response(for: error), start: start)
        }
        switch route {
        case .health:
            return finish(request, respond(route, request), start: start)
        // Until the sweeps are loaded, metrics and a status wait for them on the blocking pool.
        case .metrics where service.isLoaded:
            return finish(request, respond(route, request), start: start)
        case .status where service.isLoaded:
            return finish(request, respond(route, request), start: start)
        case _ where route.scansRuns:
            return admitQuery(route, request, responder, start: start)
        default:
            let client = request.peer
            let share = configuration.http.blockingPerClient
            let admitted = held.withLock { held -> Bool in
                guard held[client, default: 0] < share else { return false }
                held[client, default: 0] += 1
                return true
            }
            guard admitted else {
                var busy = APIError(
                    status: .serviceUnavailable, code: "busy",
                    message: "this client already has \(share) requests waiting or under way; try again in a moment")
                busy.headers.append(("Retry-After", "1"))
                return finish(request, busy.response, start: start)
            }
            // Given back once: when the work ends, or at once when the client goes (its queued
            // item is then skipped), so abandoned requests do not hold the client's share.
            let given = OneShot()
            let release: @Sendable () -> Void = { [self] in
                guard given.first() else { return }
                held.withLock { held in
                    held[client, default: 1] -= 1
                    if held[client] == 0 { held[client] = nil }
                }
            }
            responder.onCancel(release)
            do {
                try pool.submit(
                    orShed: { [self] in
                        release()
                        shed(request, responder, start: start)
                    }
                ) { [self] in
                    defer { release() }
                    // Nobody would read the answer: building it would only keep others waiting.
                    guard !responder.isCancelled else { return skip(request) }
                    if case .frames(let id, let run, let range) = route {
                        admitFrames(id: id, run: run, range: range, request, responder, start: start)
                    } else {
                        responder.send(finish(request, respond(route, request), start: start))
                    }
                }
            } catch {
                release()
                guard error != .behind else { return finish(request, lateAnswer(arriving: true), start: start) }
                var busy = APIError(
                    status: .serviceUnavailable, code: "busy", message: "the server is busy; try again in a moment")
                busy.headers.append(("Retry-After", "1"))
                return finish(request, busy.response, start: start)
            }
            return nil
        }
    }

    /// The refusal of a request whose head alone decides it, given before its body is read
    /// when the client waits for `100 Continue` (``HTTPConnection/Screen``); nil lets the
    /// body come, and the whole request is then checked again by ``handle(_:_:)``.
    func screen(_ head: HTTPRequest) -> HTTPResponse? {
        let start = ProcessInfo.processInfo.systemUptime
        do {
            // A chunked body may yet be empty, which a route that takes none accepts.
            _ = try checkHead(head, announcesBody: head.header("Transfer-Encoding") == nil)
            return nil
        } catch {
            return finish(head, response(for: error), start: start)
        }
    }

    /// The checks a request's head decides, in order: the Host, the Origin, the route, for a
    /// change its origin, the token, its preconditions and whether it may have a body, and
    /// the content type of a body taken.
    private func checkHead(_ request: HTTPRequest, announcesBody: Bool) throws -> Route {
        try checkHost(request)
        try checkSingleOrigin(request)
        let route = try Route(method: request.method, target: request.target)
        if !route.isSafe {
            try checkOrigin(request)
            try authorize(request)
            try checkPreconditions(request, route)
            if !route.takesBody && announcesBody { throw Self.bodyRefusal() }
        }
        if route.takesBody { try requireJSON(request) }
        return route
    }

    /// Queues a query that scans every run of a sweep on the query pool, with its client's
    /// address, so that a flood of them keeps no cheap read or submission waiting for a
    /// thread of the blocking pool; nil once queued, else the 503 that refuses it. A streamed
    /// answer's rows are selected and sorted there; its chunks are made as the client reads,
    /// a few dozen rows each, on the server's pool for produced chunks. Its cost is
    /// estimated (``queryCost(_:runs:)``), so the queue holds a bounded amount of work, not
    /// only a bounded number of queries.
    private func admitQuery(
        _ route: Route, _ request: HTTPRequest, _ responder: Responder, start: Double
    ) -> HTTPResponse? {
        let runs = route.sweepID.flatMap { service.runCount($0) } ?? 1
        return admit(
            on: query, cost: Self.queryCost(route, runs: runs), request, responder, start: start,
            shareFull:
                "this client already has \(configuration.http.queryPerClient) queries waiting or under way; try again in a moment",
            busy: "the server is busy; try again in a moment"
        ) { [self] in respond(route, request) }
    }

    /// The estimated cost of a query over a sweep of `runs` runs, in run visits: every run is
    /// scanned once, and once more per name computed on it (a condition of the filter, a
    /// key of the sort, a name asked of the explorer). Rows are rendered as the client reads,
    /// off the query pool, and do not count.
    static func queryCost(_ route: Route, runs: Int) -> Int {
        func names(_ value: String?, _ separator: String) -> Int {
            guard let value, !value.isEmpty else { return 0 }
            return value.components(separatedBy: separator).count
        }
        let computed: Int
        switch route {
        case .runs(_, _, let selection), .runsCSV(_, _, let selection):
            computed = names(selection.filter, " and ") + names(selection.sort, ",")
        case .columns(_, let parameters), .aggregate(_, let parameters), .importance(_, let parameters):
            computed = parameters.values.reduce(0) { $0 + names($1, ",") }
        default:
            computed = 0
        }
        let (product, overflow) = max(1, runs).multipliedReportingOverflow(by: 1 + computed)
        return overflow ? .max : product
    }

    /// Queues `answer` on `pool` as an item of the request's client costing `cost`: skipped
    /// when the client went before a thread took it, given back at once when it goes while
    /// waiting, shed at the queue delay. Nil once queued, else the 503 that refuses it
    /// (`shareFull` when the client's share is taken, `busy` when the pool is full).
    private func admit(
        on pool: FairPool, cost: Int, _ request: HTTPRequest, _ responder: Responder, start: Double,
        shareFull: String, busy: String, answer: @escaping @Sendable () -> HTTPResponse
    ) -> HTTPResponse? {
        do {
            let ticket = try pool.submit(
                client: request.peer, cost: cost, orShed: { [self] in shed(request, responder, start: start, pool: pool) }
            ) { [self] in
                // Nobody would read the answer: building it would only keep others waiting.
                guard !responder.isCancelled else { return skip(request) }
                responder.send(finish(request, answer(), start: start))
            }
            // A client that goes gives back its place at once, not when a thread reaches it.
            responder.onCancel { [self] in
                if pool.withdraw(client: request.peer, ticket: ticket) { skip(request) }
            }
            return nil
        } catch {
            guard error != .behind else {
                return finish(request, lateAnswer(arriving: true, pool: pool), start: start)
            }
            var refusal = APIError(
                status: .serviceUnavailable, code: "busy", message: error == .clientShare ? shareFull : busy)
            refusal.headers.append(("Retry-After", String(retryAfter(pool, fallback: 1))))
            return finish(request, refusal.response, start: start)
        }
    }

    /// Counts and logs a request whose client went before a thread took it.
    private func skip(_ request: HTTPRequest) {
        abandoned.add(1, ordering: .relaxed)
        log.info("request_abandoned", ["method": .string(request.method), "path": .string(request.path)])
    }

    /// Answers a request no thread took within the queue delay (``HTTPLimits/maximumQueueDelay``);
    /// it runs on the pool's watch, so it only posts the answer.
    private func shed(_ request: HTTPRequest, _ responder: Responder, start: Double, pool: FairPool? = nil) {
        guard !responder.isCancelled else { return skip(request) }
        responder.send(finish(request, lateAnswer(arriving: false, pool: pool), start: start))
    }

    /// Seconds a client refused by `pool` is told to wait: the work the pool has admitted
    /// over its measured rate, within 1 s and ``HTTPLimits/maximumRetryAfter``; `fallback`
    /// before the pool has measured anything. Never more than the queue delay, rounded up:
    /// by then whatever waits now has started or been shed, so the queue a client comes back
    /// to is a new one (a slow cold read lowers the measured rate, and alone made clients
    /// wait 43 s for a queue that drained in one).
    private func retryAfter(_ pool: FairPool, fallback: Int) -> Int {
        let delay = Int(configuration.http.maximumQueueDelay.rounded(.up))
        return pool.retryAfter(
            within: 1...max(1, min(configuration.http.maximumRetryAfter, delay)), fallback: fallback)
    }

    /// The 503 for a request refused or dropped for the queue delay, counted apart in
    /// `/metrics`. `Retry-After` is half the delay (the queue is behind by about that much,
    /// so asking sooner is likely to be refused again), or for a fair pool what its admitted
    /// work is estimated to take (``retryAfter(_:)``).
    private func lateAnswer(arriving: Bool, pool: FairPool? = nil) -> HTTPResponse {
        shedRequests.add(1, ordering: .relaxed)
        let delay = configuration.http.maximumQueueDelay
        let seconds = delay < 10 ? String(format: "%g", delay) : String(Int(delay.rounded()))
        let message =
            arriving
            ? "the server is more than \(String(format: "%g", delay / 2)) s behind; try again in a moment"
            : "the server could not start this request within \(seconds) s; try again in a moment"
        var busy = APIError(status: .serviceUnavailable, code: "busy", message: message)
        let half = max(1, Int((delay / 2).rounded(.up)))
        busy.headers.append(("Retry-After", String(pool.map { retryAfter($0, fallback: half) } ?? half)))
        return busy.response
    }

    /// The cheap half of a frames request, on the blocking pool: the run's record is read,
    /// the tag worked out from it and a matching If-None-Match answered 304 at once; only
    /// then is the recomputation queued on the heavy pool, with its client's address and
    /// its cost (cells of the grid times generations to simulate). A client over its share,
    /// or a full queue, gets 503 with `Retry-After`.
    ///
    /// A `to` past the run's last generation means its last, as `to` left out does: the
    /// document cannot bound `to` by the run, so any `to` it allows is answered.
    private func admitFrames(
        id: String, run: String, range requested: Route.FrameRange, _ request: HTTPRequest, _ responder: Responder,
        start: Double
    ) {
        let tag: String
        let cost: Int
        var bodyBytes = 0
        var range = requested
        do {
            let record = try service.runRecord(id, run: run)
            if let to = range.to, let generations = Self.integer(in: record, key: "generations"), to > generations {
                range = Route.FrameRange(from: range.from, to: generations, every: range.every)
            }
            tag = EntityTag.frames(record: record, sweep: id, run: run, from: range.from, to: range.to, every: range.every)
            let side = Self.integer(in: record, key: "grid_size") ?? 1
            let last = range.to ?? Self.integer(in: record, key: "generations") ?? 100_000
            cost = side * side * last
            // The body's size (a 16-byte head, then per frame its generation and three
            // bitmaps): whether the full answer would have been gzip-coded.
            bodyBytes = 16 + (max(0, last - range.from) / range.every + 1) * (4 + 3 * ((side * side + 7) / 8))
        } catch {
            return responder.send(finish(request, response(for: error), start: start))
        }
        if let field = request.header("If-None-Match"), EntityTag.matches(field, tag) {
            let coded = request.acceptsGzip && bodyBytes >= HTTPResponse.smallestCodedBody
            return responder.send(
                finish(
                    request,
                    EntityTag.notModified(
                        tag: tag, coded: coded, compressible: true, headers: [("Content-Type", "application/octet-stream")]),
                    start: start))
        }
        let refusal = admit(
            on: heavy, cost: cost, request, responder, start: start,
            shareFull: "this client already has \(configuration.http.heavyPerClient) frames requests under way; wait for one",
            busy: "the server is busy recomputing frames; try again in a moment"
        ) { [self, range] in
            var response = respond(.frames(sweep: id, run: run, range), request)
            if response.status == .ok { response.headers.append(("ETag", tag)) }
            return response
        }
        if let refusal { responder.send(refusal) }
    }

    /// The first non-negative integer after `"key":` in a JSON document, by a byte scan: a
    /// record's config comes first, and parsing the whole record (its series) is what the
    /// cheap half of a frames request must not do.
    static func integer(in document: [UInt8], key: String) -> Int? {
        let pattern = Array("\"\(key)\"".utf8)
        guard let found = document.firstRange(of: pattern) else { return nil }
        var index = found.upperBound
        while index < document.count, document[index] == 0x20 || document[index] == UInt8(ascii: ":") { index += 1 }
        var value = 0
        var digits = 0
        while index < document.count, document[index] >= 0x30, document[index] <= 0x39, digits < 12 {
            value = value * 10 + Int(document[index] - 0x30)
            digits += 1
            index += 1
        }
        return digits > 0 ? value : nil
    }

    /// Takes back the count of an answer the HTTP layer did not send: it sent a 503 instead,
    /// counted by ``refuse(_:)``.
    func withdraw(_ status: HTTPStatus) { counter.uncount(status.code) }

    /// Answers a request the HTTP layer refused or gave up on (400, 408, 413, 503, …).
    func refuse(_ error: HTTPError) -> HTTPResponse {
        record(method: "-", path: "-", status: error.status.code, start: ProcessInfo.processInfo.systemUptime)
        return APIError.from(error).response
    }

    private func finish(_ request: HTTPRequest, _ response: HTTPResponse, start: Double) -> HTTPResponse {
        let response = ByteRange.apply(EntityTag.conditional(response, for: request), for: request)
        record(method: request.method, path: request.path, status: response.status.code, start: start)
        return response
    }

    private func record(method: String, path: String, status: Int, start: Double) {
        counter.count(status)
        let milliseconds = (ProcessInfo.processInfo.systemUptime - start) * 1000
        log.request(method: method, path: path, status: status, milliseconds: milliseconds)
    }

    /// The error answer for `error`. Whatever produced its message, the answer names files
    /// within the data directory, never where the server keeps it: one place for every route.
    private func response(for error: any Error) -> HTTPResponse {
        var answer: APIError
        switch error {
        case let failure as Route.Failure:
            if !failure.allowed.isEmpty { return APIError.methodNotAllowed(failure.allowed).response }
            answer = APIError(
                status: HTTPStatus.known(failure.status), code: failure.code, message: failure.message,
                field: failure.field)
        case let failure as APIError:
            answer = failure
        case let failure as JobService.Failure:
            answer = APIError.from(failure)
        default:
            answer = APIError(status: .internalServerError, code: "internal", message: FileError.message(of: error))
        }
        answer.message = answer.message.namingFiles(within: dataFolder, as: "<the data directory>")
        return answer.response
    }

    private func respond(_ route: Route, _ request: HTTPRequest) -> HTTPResponse {
        do {
            return try answer(route, request)
        } catch {
            return response(for: error)
        }
    }

    private func answer(_ route: Route, _ request: HTTPRequest) throws -> HTTPResponse {
        switch route {
        case .health:
            return .json(.ok, .object(["status": .string("ok")]))
        case .metrics:
            return .text(.ok, try metricsText(), type: "text/plain; version=0.0.4; charset=utf-8")
        case .listSweeps(let page):
            let listed = try service.list(offset: page.offset, limit: page.limit)
            return .json(
                .ok,
                .object([
                    "total": .int(listed.total), "offset": .int(page.offset), "limit": .int(page.limit),
                    "sweeps": .array(listed.sweeps),
                ]))
        case .submit:
            return try submit(request)
        case .status(let id):
            let document = try service.statusDocument(id)
            return HTTPResponse(
                status: .ok, headers: [("Content-Type", "application/json"), ("ETag", document.tag)],
                body: .bytes(document.bytes), compressible: true)
        case .delete(let id):
            try service.delete(id)
            posteriors.forget(id)
            return HTTPResponse(status: .noContent)
        case .runs(let id, let page, let selection):
            let query = try Self.query(selection)
            if query.usesMap { try posteriors.placeMap(id) }
            return Self.streamed(
                try service.runsDocument(id, query: query, offset: page.offset, limit: page.limit), for: request,
                headers: [("Content-Type", "application/json")])
        case .runsCSV(let id, let page, let selection):
            let query = try Self.query(selection)
            if query.usesMap { try posteriors.placeMap(id) }
            return Self.streamed(
                try service.runsCSVDocument(id, query: query, offset: page.offset, limit: page.limit), for: request,
                headers: [
                    ("Content-Type", "text/csv; charset=utf-8"),
                    ("Content-Disposition", "attachment; filename=\"\(id)-runs.csv\""),
                ])
        case .columns(let id, let query):
            try placeMap(id, filteredBy: query)
            return try SweepExplorer(service: service).columns(id, query, request: request)
        case .aggregate(let id, let query):
            try placeMap(id, filteredBy: query)
            return try SweepExplorer(service: service).aggregate(id, query)
        case .importance(let id, let query):
            try placeMap(id, filteredBy: query)
            return try SweepExplorer(service: service).importance(id, query)
        case .validation(let id):
            return try SweepExplorer(service: service).validation(id)
        case .run(let id, let run):
            return HTTPResponse(
                status: .ok, headers: [("Content-Type", "application/json")], body: .bytes(try service.runRecord(id, run: run)),
                compressible: true)
        case .frames(let id, let run, let range):
            let bytes = try service.frames(id, run: run, from: range.from, to: range.to, every: range.every)
            return HTTPResponse(
                status: .ok, headers: [("Content-Type", "application/octet-stream")], body: .bytes(bytes),
                compressible: true)
        case .manifest(let id, runs: true):
            return try file(
                service.datasetFile(id, name: "manifest.json"), type: "application/json", compressible: true)
        case .manifest(let id, runs: false):
            return try SweepExplorer(service: service).manifestWithoutRuns(id)
        case .dataset(let id):
            var response = try file(
                service.datasetFile(id, name: Dataset.archiveName), type: "application/gzip", compressible: false)
            response.headers.append(("Content-Disposition", "attachment; filename=\"\(id).tar.gz\""))
            return response
        case .cancel(let id):
            let status = try service.cancel(id)
            return .json(status["status"] == .string("cancelling") ? .accepted : .ok, status)
        case .retry(let id):
            return .json(.accepted, try service.retry(id))
        case .posterior(let id):
            return try posteriors.posterior(id, body: request.body)
        case .calibration(let id):
            return try posteriors.calibration(id)
        case .map(let id):
            return try posteriors.map(id)
        case .file(let relative):
            return try files.response(for: relative)
        }
    }

    /// Gives the runs index the run map's coordinates when the explorer's `filter` names
    /// `map_x` or `map_y` (a brushed map filters the charts as it does the table), as a runs
    /// query does; a filter that does not parse is left for the explorer to refuse.
    private func placeMap(_ id: String, filteredBy query: [String: String]) throws {
        guard (try? RunQuery(filter: query["filter"], sort: nil, fields: nil))?.usesMap == true else { return }
        try posteriors.placeMap(id)
    }

    /// A long answer made as the client reads it (chunked), tagged from what it is made of.
    /// A conditional request that names the tag gets a 304 (`EntityTag.conditional`) and a
    /// HEAD its fields: either way the body is dropped unmade.
    private static func streamed(
        _ document: StreamedDocument, for request: HTTPRequest, headers: [(name: String, value: String)]
    ) -> HTTPResponse {
        HTTPResponse(
            status: .ok, headers: headers + [("ETag", document.tag(target: request.target))],
            body: .producer(document.producer()), compressible: true)
    }

    /// A runs query, or 400 naming the parameter that is wrong.
    private static func query(_ selection: Route.Selection) throws(APIError) -> RunQuery {
        do {
            return try RunQuery(filter: selection.filter, sort: selection.sort, fields: selection.fields)
        } catch {
            throw APIError(status: .badRequest, code: "bad_parameter", message: error.message, field: error.parameter)
        }
    }

    private func submit(_ request: HTTPRequest) throws -> HTTPResponse {
        let submitted = try service.submit(request.body)
        let id = submitted.status["id"]?.stringValue ?? ""
        return .json(
            submitted.created ? .accepted : .ok, submitted.status, headers: [("Location", "/api/sweeps/" + id)])
    }

    private func requireJSON(_ request: HTTPRequest) throws {
        // Exactly this media type (parameters such as charset allowed): a cross-site HTML
        // form can only send form and text types, so it cannot post to the API. Two fields
        // are not guessed between.
        guard request.count(of: "Content-Type") <= 1 else {
            throw APIError(
                status: .badRequest, code: "bad_content_type", message: "the request has more than one Content-Type field",
                field: "Content-Type")
        }
        let type = request.header("Content-Type").map {
            $0.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        }
        guard type == "application/json" else {
            throw APIError(
                status: .unsupportedMediaType, code: "unsupported_media_type",
                message: "send JSON with Content-Type: application/json")
        }
    }

    /// An open file as the body, so its size is known before the headers go out.
    private func file(_ path: String, type: String, compressible: Bool) throws -> HTTPResponse {
        HTTPResponse(
            status: .ok, headers: [("Content-Type", type)], body: .file(try Self.open(path)), compressible: compressible)
    }

    /// Opens a file to send, turning failures into answers: 404, or 503 when the process
    /// is out of descriptors.
    static func open(_ path: String) throws(APIError) -> FileBody {
        do {
            return try FileBody.open(path)
        } catch {
            switch error {
            case .notFound:
                throw APIError.notFound()
            case .exhausted:
                var busy = APIError(
                    status: .serviceUnavailable, code: "busy", message: "the server has too many open files; try again")
                busy.headers.append(("Retry-After", "1"))
                throw busy
            case .failed(let reason):
                throw APIError(
                    status: .internalServerError, code: "storage", message: "cannot read the file: \(reason)")
            }
        }
    }

    /// The Host must name this server: a loopback name (``Loopback``), its listening
    /// address or a configured host. A page on another origin that resolves its own name to
    /// this machine (DNS rebinding) sends its own name, and is refused. HTTP/1.1 requires
    /// the field (RFC 9112 §3.2), so a request without one, or with an empty one, is 400.
    private func checkHost(_ request: HTTPRequest) throws(APIError) {
        guard let value = request.host, !value.isEmpty else {
            throw APIError(
                status: .badRequest, code: "bad_host", message: "the request needs a Host field naming this server",
                field: "Host")
        }
        guard let (name, _) = Self.hostAndPort(value), !name.isEmpty else {
            throw APIError(
                status: .badRequest, code: "bad_host", message: "the Host field is not a valid host[:port]",
                field: "Host")
        }
        if isServed(name) { return }
        throw APIError(
            status: .misdirectedRequest, code: "misdirected",
            message: "this server does not answer for host '\(name)'; add it to allowed_hosts in the server's config")
    }

    /// Whether `name` (lower-cased, no port) is one this server answers for.
    private func isServed(_ name: String) -> Bool {
        let allowed = configuration.allowedHosts
        return allowed.contains("*") || allowed.contains(name) || name == configuration.host.lowercased()
            || Loopback.isLoopback(name)
    }

    /// A host field (`name`, `name:port`, `[v6]`, `[v6]:port`) split and lower-cased; nil
    /// when the port is not digits of a number up to 65535. An empty port (`name:`) is the scheme's default,
    /// as when there is none: RFC 3986 §3.2.3 allows it (`port = *DIGIT`) and RFC 9110
    /// §4.2.3 says it is the same authority.
    static func hostAndPort(_ value: String) -> (name: String, port: Int?)? {
        var value = value
        // Read as contiguous bytes: stepping a String's indices costs more than the checks.
        return value.withUTF8 { bytes -> (name: String, port: Int?)? in
            let end: Int
            if bytes.first == UInt8(ascii: "[") {
                guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else { return nil }
                end = close + 1
            } else {
                end = bytes.firstIndex(of: UInt8(ascii: ":")) ?? bytes.count
            }
            let name = String(decoding: UnsafeBufferPointer(rebasing: bytes[..<end]), as: UTF8.self)
            let lowered =
                bytes[..<end].contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") })
                ? name.lowercased() : name
            guard end != bytes.count else { return (lowered, nil) }
            guard bytes[end] == UInt8(ascii: ":") else { return nil }
            let digits = bytes[(end + 1)...]
            if digits.isEmpty { return (lowered, nil) }
            guard let port = HTTPDecoder.port(digits) else { return nil }
            return (lowered, port)
        }
    }

    /// A request that changes state and comes from a page must come from this server's own
    /// page: browsers send `Origin` (and `Sec-Fetch-Site`) on such requests, and no page
    /// can forge them. The Origin must match the Host in scheme, name and port (RFC 6454
    /// §5): this server speaks plain HTTP, so `https` is accepted only for a name listed in
    /// `allowed_hosts` (the name of a TLS proxy in front of it), never for a loopback name.
    private func checkOrigin(_ request: HTTPRequest) throws(APIError) {
        let forbidden = APIError(
            status: .forbidden, code: "cross_origin",
            message: "requests that change state are accepted only from this server's own page")
        if request.header("Sec-Fetch-Site")?.lowercased() == "cross-site" { throw forbidden }
        guard let origin = request.header("Origin") else { return }
        guard let host = request.host.flatMap(Self.hostAndPort) else { throw forbidden }
        let lowered = origin.lowercased()
        let scheme: String
        if lowered.hasPrefix("http://") {
            scheme = "http"
        } else if lowered.hasPrefix("https://"), configuration.allowedHosts.contains(host.name) {
            scheme = "https"
        } else {
            throw forbidden
        }
        let authority = String(lowered.dropFirst(scheme.count + 3))
        let standard = scheme == "http" ? 80 : 443
        guard !authority.contains("/"), let claimed = Self.hostAndPort(authority), claimed.name == host.name,
            (claimed.port ?? standard) == (host.port ?? standard)
        else { throw forbidden }
    }

    /// Two Origin fields could each pass a different check (one read here, another by a
    /// proxy), so the request is refused as a duplicated Host is.
    private func checkSingleOrigin(_ request: HTTPRequest) throws(APIError) {
        guard request.count(of: "Origin") > 1 else { return }
        throw APIError(
            status: .badRequest, code: "bad_origin", message: "the request has more than one Origin field", field: "Origin")
    }

    /// `If-None-Match: *` asks for the change only where nothing exists yet (RFC 9110
    /// §13.1.2); every target of a change here exists (the sweep list, a sweep), so the
    /// condition is false and the answer is 412 before anything is done. A sweep that does
    /// not exist answers 404 as it would without the condition (§13.2.1: preconditions are
    /// ignored where the answer would not be 2xx or 412).
    private func checkPreconditions(_ request: HTTPRequest, _ route: Route) throws(APIError) {
        guard let field = request.header("If-None-Match"),
            field.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == "*" })
        else { return }
        switch route {
        case .delete(let id), .cancel(let id), .retry(let id), .posterior(let id):
            // Whether it exists is known once the sweeps are loaded; an event loop never waits.
            if let refusal = service.stillLoading { throw APIError.from(refusal) }
            do { _ = try service.status(id) } catch { return }
        default: break
        }
        throw APIError(
            status: .preconditionFailed, code: "precondition_failed",
            message: "If-None-Match: * holds only where nothing exists, and this resource exists", field: "If-None-Match")
    }

    /// Cancel, retry and delete take no content: a body is refused with 415 rather than
    /// ignored, so what a client sends is never silently dropped. An empty body is
    /// accepted whatever type it is labelled with (clients such as Python's urllib label
    /// an empty POST as a form); a cross-site page is kept out by the Origin check.
    private static func bodyRefusal() -> APIError {
        APIError(
            status: .unsupportedMediaType, code: "unsupported_media_type", message: "this request takes no body; send it empty")
    }

    /// State-changing requests need the token when one is configured.
    private func authorize(_ request: HTTPRequest) throws(APIError) {
        guard let token = configuration.apiToken else { return }
        // Two fields are not guessed between: the first or the last would let one through.
        guard request.count(of: "Authorization") <= 1 else {
            throw APIError(
                status: .badRequest, code: "bad_request", message: "the request has more than one Authorization field",
                field: "Authorization")
        }
        let expected = Array(token.utf8)
        // RFC 9110 §11.1: the scheme name is case-insensitive.
        let field = request.header("Authorization") ?? ""
        let parts = field.split(separator: " ", maxSplits: 1)
        let given =
            parts.count == 2 && parts[0].lowercased() == "bearer"
            ? Array(parts[1].trimmingCharacters(in: .whitespaces).utf8) : []
        // Compare every byte, so the time taken does not reveal how much of a guess was right.
        var difference = expected.count ^ given.count
        for index in expected.indices { difference |= Int(expected[index] ^ (index < given.count ? given[index] : 0)) }
        guard difference == 0 else {
            throw APIError(
                status: .unauthorized, code: "unauthorized",
                message: "this server needs 'Authorization: Bearer <token>' to change state")
        }
    }

    private func metricsText() throws -> String {
        let figures = try service.metrics()
        var lines: [String] = []
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(String, Int)]) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
            for (labels, value) in samples { lines.append("\(name)\(labels) \(value)") }
        }
        metric("morphic_queue_depth", "gauge", "Runs waiting for a worker.", [("", figures.queuedRuns)])
        metric("morphic_runs_running", "gauge", "Runs being computed.", [("", figures.runningRuns)])
        metric(
            "morphic_runs_completed_total", "counter", "Runs computed since the server started.",
            [("", figures.runsCompleted)])
        metric(
            "morphic_runs_failed_total", "counter", "Runs that failed since the server started.",
            [("", figures.runsFailed)])
        metric(
            "morphic_cell_steps_total", "counter", "Cell updates computed since the server started.",
            [("", figures.cellSteps)])
        metric(
            "morphic_sweeps", "gauge", "Sweeps known to the server, by status.",
            SweepState.allCases.map { ("{status=\"\($0.rawValue)\"}", figures.sweeps[$0] ?? 0) })
        metric("morphic_http_connections", "gauge", "Open HTTP connections.", [("", connections())])
        metric(
            "morphic_http_streams", "gauge", "Answers being produced as their clients read them.",
            [("", BodyProducer.live)])
        let held = holding()
        metric(
            "morphic_http_held_bytes", "gauge",
            "Bytes held for clients: answers in memory not yet written, and what each streaming answer reserves "
                + "(its output, a chunk, its coder's state), bounded by limits.max_queued_response_bytes.",
            [("", held.bytes)])
        metric(
            "morphic_http_held_refused_total", "counter",
            "Answers replaced by a 503 with Retry-After because they would have taken morphic_http_held_bytes "
                + "past limits.max_queued_response_bytes.",
            [("", held.refused)])
        metric(
            "morphic_http_receiving_bytes", "gauge",
            "Bytes of requests not yet whole (heads, bodies still arriving), bounded by limits.max_receiving_request_bytes "
                + "and 16 KiB a connection.",
            [("", held.receiving)])
        metric(
            "morphic_http_requests_total", "counter", "HTTP requests answered, by status code.",
            counter.snapshot.sorted { $0.key < $1.key }.map { ("{code=\"\($0.key)\"}", $0.value) })
        metric(
            "morphic_http_abandoned_total", "counter",
            "Requests skipped because the client closed its connection before a thread took them.",
            [("", abandoned.load(ordering: .relaxed))])
        metric(
            "morphic_http_shed_total", "counter",
            "Requests answered 503 because no thread could start them within limits.max_queue_delay_seconds: "
                + "refused on arrival while the queue was behind by half that, or dropped from it at that delay.",
            [("", shedRequests.load(ordering: .relaxed))])
        return lines.joined(separator: "\n") + "\n"
    }
}

/// True the first time it is asked, false after: a hold given back once from either of
/// two threads.
private final class OneShot: Sendable {
    private let done = Atomic<Bool>(false)

    func first() -> Bool { !done.exchange(true, ordering: .acquiringAndReleasing) }
}
