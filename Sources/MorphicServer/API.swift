import Foundation
import HTTP
import MorphicData

/// The REST API of API.md, the metrics and health endpoints and the static page, as one
/// request handler. Every answer is logged and counted.
final class API: Sendable {
    let service: JobService
    let configuration: ServerConfiguration
    let log: Log
    let counter = RequestCounter()
    let files: StaticFiles
    /// Open connections, for `/metrics`; set once the HTTP server exists.
    let connections: @Sendable () -> Int

    init(service: JobService, configuration: ServerConfiguration, log: Log, connections: @escaping @Sendable () -> Int)
    {
        self.service = service
        self.configuration = configuration
        self.log = log
        self.connections = connections
        files = StaticFiles(root: configuration.publicDirectory)
    }

    /// Answers a request, logging and counting it.
    func handle(_ request: HTTPRequest) -> HTTPResponse {
        let start = ProcessInfo.processInfo.systemUptime
        let response: HTTPResponse
        do {
            response = try route(request)
        } catch let error as APIError {
            response = error.response
        } catch {
            response = APIError(status: .internalServerError, code: "internal", message: "\(error)").response
        }
        record(method: request.method, path: request.path, status: response.status.code, start: start)
        return response
    }

    /// Answers a request the decoder refused.
    func refuse(_ error: HTTPError) -> HTTPResponse {
        record(method: "-", path: "-", status: error.status.code, start: ProcessInfo.processInfo.systemUptime)
        return APIError.from(error).response
    }

    private func record(method: String, path: String, status: Int, start: Double) {
        counter.count(status)
        let milliseconds = (ProcessInfo.processInfo.systemUptime - start) * 1000
        log.info(
            "request",
            [
                "method": .string(method), "path": .string(String(path.prefix(200))), "status": .int(status),
                "ms": .double((milliseconds * 1000).rounded() / 1000),
            ])
    }

    private func route(_ request: HTTPRequest) throws -> HTTPResponse {
        let path = request.path
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        let method = request.method == "HEAD" ? "GET" : request.method
        func allow(_ methods: String...) throws {
            guard methods.contains(method) else { throw APIError.methodNotAllowed(methods) }
            if method != "GET" { try authorize(request) }
        }
        switch segments {
        case ["healthz"]:
            try allow("GET")
            return .json(.ok, .object(["status": .string("ok")]))
        case ["metrics"]:
            try allow("GET")
            return .text(.ok, metricsText(), type: "text/plain; version=0.0.4; charset=utf-8")
        case ["api", "sweeps"]:
            try allow("GET", "POST")
            if method == "GET" { return .json(.ok, .object(["sweeps": .array(service.list())])) }
            return try submit(request)
        case let s where s.count >= 3 && s[0] == "api" && s[1] == "sweeps":
            let id = s[2]
            guard Self.isSweepID(id) else { throw APIError.notFound("no such sweep") }
            return try sweepRoute(id: id, rest: Array(s[3...]), method: method, request: request, allow: allow)
        case let s where s.first == "api":
            throw APIError.notFound()
        default:
            try allow("GET")
            guard let file = files.response(for: path) else { throw APIError.notFound() }
            return file
        }
    }

    private func sweepRoute(
        id: String, rest: [String], method: String, request: HTTPRequest, allow: (String...) throws -> Void
    ) throws -> HTTPResponse {
        switch rest {
        case []:
            try allow("GET", "DELETE")
            if method == "DELETE" {
                try serviceCall { () throws(JobService.Failure) in try service.delete(id) }
                return HTTPResponse(status: .noContent)
            }
            return .json(.ok, try serviceCall { () throws(JobService.Failure) in try service.status(id) })
        case ["runs"]:
            try allow("GET")
            let query = request.query
            let offset = max(0, Int(query["offset"] ?? "") ?? 0)
            let limit = min(10_000, max(1, Int(query["limit"] ?? "") ?? 1000))
            return .json(
                .ok,
                try serviceCall { () throws(JobService.Failure) in try service.runs(id, offset: offset, limit: limit) })
        case let r where r.count == 2 && r[0] == "runs":
            try allow("GET")
            guard RunIdentifier.isValid(r[1]) else { throw APIError.notFound("no such run") }
            return try file(
                serviceCall { () throws(JobService.Failure) in try service.runFile(id, run: r[1]) },
                type: "application/json", compressible: true)
        case ["manifest.json"]:
            try allow("GET")
            return try file(
                serviceCall { () throws(JobService.Failure) in try service.datasetFile(id, name: "manifest.json") },
                type: "application/json", compressible: true)
        case ["dataset.tar.gz"]:
            try allow("GET")
            var response = try file(
                serviceCall { () throws(JobService.Failure) in try service.datasetFile(id, name: Dataset.archiveName) },
                type: "application/gzip", compressible: false)
            response.headers.append(("Content-Disposition", "attachment; filename=\"\(id).tar.gz\""))
            return response
        case ["cancel"]:
            try allow("POST")
            return .json(.ok, try serviceCall { () throws(JobService.Failure) in try service.cancel(id) })
        case ["retry"]:
            try allow("POST")
            return .json(.accepted, try serviceCall { () throws(JobService.Failure) in try service.retry(id) })
        default:
            throw APIError.notFound()
        }
    }

    /// Runs a job service call, turning its failure into the API's error answer.
    private func serviceCall<T>(_ body: () throws(JobService.Failure) -> T) throws(APIError) -> T {
        do {
            return try body()
        } catch {
            throw APIError.from(error)
        }
    }

    private func submit(_ request: HTTPRequest) throws -> HTTPResponse {
        if let type = request.header("Content-Type"), !type.lowercased().hasPrefix("application/json") {
            throw APIError(
                status: .unsupportedMediaType, code: "unsupported_media_type",
                message: "send the definition as application/json")
        }
        let submitted = try serviceCall { () throws(JobService.Failure) in try service.submit(request.body) }
        let id = submitted.status["id"]?.stringValue ?? ""
        return .json(
            submitted.created ? .accepted : .ok, submitted.status, headers: [("Location", "/api/sweeps/" + id)])
    }

    private func file(_ path: String, type: String, compressible: Bool) throws -> HTTPResponse {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let size = attributes[.size] as? Int
        else {
            throw APIError.notFound()
        }
        return HTTPResponse(
            status: .ok, headers: [("Content-Type", type)], body: .file(path: path, size: size),
            compressible: compressible)
    }

    /// State-changing requests need the token when one is configured.
    private func authorize(_ request: HTTPRequest) throws {
        guard let token = configuration.apiToken else { return }
        let expected = Array(("Bearer " + token).utf8)
        let given = Array((request.header("Authorization") ?? "").utf8)
        // Compare every byte, so the time taken does not reveal how much of a guess was right.
        var difference = expected.count ^ given.count
        for index in expected.indices { difference |= Int(expected[index] ^ (index < given.count ? given[index] : 0)) }
        guard difference == 0 else {
            throw APIError(
                status: .unauthorized, code: "unauthorized",
                message: "this server needs 'Authorization: Bearer <token>' to change state")
        }
    }

    static func isSweepID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 80
            && id.utf8.allSatisfy {
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-")
            }
    }

    private func metricsText() -> String {
        let figures = service.metrics()
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
            "morphic_http_requests_total", "counter", "HTTP requests answered, by status code.",
            counter.snapshot.sorted { $0.key < $1.key }.map { ("{code=\"\($0.key)\"}", $0.value) })
        return lines.joined(separator: "\n") + "\n"
    }
}
