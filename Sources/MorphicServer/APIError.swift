import HTTP
import MorphicData

/// An error answer in the API's one shape: `{"error": {"code", "message", "field"}}`.
struct APIError: Error {
    let status: HTTPStatus
    let code: String
    var message: String
    var field: String?
    var headers: [(name: String, value: String)] = []

    var response: HTTPResponse {
        var error: [JSON.Member] = [.init("code", .string(code)), .init("message", .string(message))]
        if let field { error.append(.init("field", .string(field))) }
        var response = HTTPResponse.json(status, .object(["error": .object(error)]), headers: headers)
        if status == .unauthorized { response.headers.append(("WWW-Authenticate", "Bearer")) }
        return response
    }

    static func notFound(_ message: String = "no such resource") -> APIError {
        APIError(status: .notFound, code: "not_found", message: message)
    }

    static func methodNotAllowed(_ allowed: [String]) -> APIError {
        APIError(
            status: .methodNotAllowed, code: "method_not_allowed",
            message: "allowed: \(allowed.joined(separator: ", "))",
            headers: [("Allow", (allowed.contains("GET") ? allowed + ["HEAD"] : allowed).joined(separator: ", "))])
    }

    /// The answer to a request the HTTP decoder refused.
    static func from(_ error: HTTPError) -> APIError {
        let code =
            switch error.status.code {
            case 400 where error.field == "Host": "bad_host"
            case 413: "too_large"
            case 414: "request_line_too_long"
            case 431: "headers_too_large"
            case 408: "timeout"
            case 501: "not_implemented"
            case 503: "unavailable"
            default: "bad_request"
            }
        return APIError(status: error.status, code: code, message: error.message, field: error.field)
    }

    static func from(_ failure: JobService.Failure) -> APIError {
        switch failure {
        case .invalid(let error) where error.isMalformed:
            APIError(status: .badRequest, code: "malformed", message: error.description)
        case .invalid(let error):
            APIError(
                status: .unprocessableContent, code: "invalid_definition", message: error.message,
                field: error.field)
        case .notFound: .notFound("no such sweep")
        case .noSuchRun(let message): .notFound("no such run: " + message)
        case .conflict(let message): APIError(status: .conflict, code: "conflict", message: message)
        // A slot frees when a sweep ends, which the server cannot foretell: asked again in 10 s.
        case .full(let message):
            APIError(
                status: .tooManyRequests, code: "too_many_sweeps", message: message, headers: [("Retry-After", "10")])
        case .storage(let message): APIError(status: .internalServerError, code: "storage", message: message)
        case .busy(let message):
            APIError(status: .serviceUnavailable, code: "busy", message: message, headers: [("Retry-After", "5")])
        }
    }
}

extension HTTPResponse {
    /// A JSON response, gzip-coded for clients that accept it.
    static func json(_ status: HTTPStatus, _ value: JSON, headers: [(name: String, value: String)] = []) -> HTTPResponse
    {
        HTTPResponse(
            status: status, headers: [("Content-Type", "application/json")] + headers,
            body: .bytes(value.prettyBytes), compressible: true)
    }
}
