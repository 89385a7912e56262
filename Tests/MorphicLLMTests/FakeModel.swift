import Foundation
import HTTP
import MorphicCore
import MorphicData
import Synchronization

/// An OpenAI chat-completions server on loopback that answers from Conway's rule (or as
/// told to misbehave), counting the requests it gets.
final class FakeModel: Sendable {
    enum Behaviour: Sendable {
        case conway, negation, malformed, wrongCount, failing(Int), rateLimitedOnce, slow(Double)
        /// Takes the request and never answers.
        case hung
        /// Answers `status` with a body that echoes the request's Authorization field.
        case echoingKey(Int)
        /// Echoes `encode(Authorization field, request)` after `prefix` characters of `x`: as
        /// the body of a `status` answer, or with 200 as the content of a chat completion.
        case echoing(status: Int, prefix: Int, encode: @Sendable (_ authorization: String, _ request: String) -> String)
        /// Answers 200 with `count` header fields of `size` bytes each.
        case hugeHeaders(count: Int, size: Int)
    }

    let server: HTTPServer
    let port: Int
    private let counter: Counter

    /// Requests received and the current behaviour, shared with the handler.
    final class Counter: Sendable {
        let value = Mutex(0)
        let behaviour: Mutex<Behaviour>

        init(_ behaviour: Behaviour) { self.behaviour = Mutex(behaviour) }
    }

    /// Changes how later requests are answered.
    func behave(_ behaviour: Behaviour) { counter.behaviour.withLock { $0 = behaviour } }

    var requests: Int { counter.value.withLock { $0 } }
    var endpoint: String { "http://127.0.0.1:\(port)/v1/chat/completions" }

    init(_ initial: Behaviour) throws {
        let counter = Counter(initial)
        self.counter = counter
        server = HTTPServer(host: "127.0.0.1", port: 0, threads: 2, shutdownGrace: 1) { request, _ in
            let number = counter.value.withLock { count in
                count += 1
                return count
            }
            let behaviour = counter.behaviour.withLock { $0 }
            switch behaviour {
            case .hung: return nil
            case .echoingKey(let status):
                return .text(
                    HTTPStatus(status, "Echo"),
                    #"{"error": {"message": "Incorrect API key provided: \#(request.header("Authorization") ?? "")"}}"#)
            case .echoing(let status, let prefix, let encode):
                let authorization = request.header("Authorization") ?? ""
                let whole =
                    "\(request.method) \(request.path) HTTP/1.1\r\n"
                    + request.headers.map { "\($0.name): \($0.value)\r\n" }.joined() + "\r\n"
                    + String(decoding: request.body, as: UTF8.self)
                let text = String(repeating: "x", count: prefix) + encode(authorization, whole)
                guard status == 200 else { return .text(HTTPStatus(status, "Echo"), text) }
                let reply: JSON = .object([
                    "choices": .array([
                        .object(["message": .object(["role": .string("assistant"), "content": .string(text)])])
                    ])
                ])
                return HTTPResponse(
                    status: .ok, headers: [("Content-Type", "application/json")], body: .bytes(reply.compactBytes))
            case .hugeHeaders(let count, let size):
                let fields = (0..<count).map { ("X-Filler-\($0)", String(repeating: "h", count: size)) }
                return HTTPResponse(status: .ok, headers: fields, body: .bytes(Array("{}".utf8)))
            case .failing(let status): return .text(HTTPStatus(status, "Failing"), "model unavailable")
            case .rateLimitedOnce where number == 1:
                return HTTPResponse(
                    status: .tooManyRequests, headers: [("Retry-After", "0")], body: .bytes(Array("slow down".utf8)))
            case .slow(let seconds): Thread.sleep(forTimeInterval: seconds)
            default: break
            }
            guard request.path == "/v1/chat/completions", let body = try? JSONParser.parse(request.body),
                let user = body["messages"]?.elements?.last?["content"]?.stringValue,
                let line = user.split(separator: "\n").first, line.hasPrefix("Neighbourhoods: ")
            else { return .text(.badRequest, "not a chat completion request") }
            let indices = line.dropFirst("Neighbourhoods: ".count).split(separator: ",").compactMap { Int($0) }
            let conway = LifeRule.conway.table.entries
            var digits = indices.map {
                behaviour.isNegation ? (conway[$0] == 1 ? "0" : "1") : (conway[$0] == 1 ? "1" : "0")
            }.joined()
            switch behaviour {
            case .malformed: digits = "Sure! Here you go: " + digits
            case .wrongCount: digits.removeLast()
            default: break
            }
            let reply: JSON = .object([
                "id": .string("chatcmpl-test"), "object": .string("chat.completion"),
                "choices": .array([
                    .object([
                        "index": .int(0),
                        "message": .object(["role": .string("assistant"), "content": .string(digits)]),
                        "finish_reason": .string("stop"),
                    ])
                ]),
            ])
            return HTTPResponse(
                status: .ok, headers: [("Content-Type", "application/json")], body: .bytes(reply.compactBytes))
        }
        port = try server.start()
    }

    func stop() { server.shutdown() }
}

extension FakeModel.Behaviour {
    var isNegation: Bool {
        if case .negation = self { return true }
        return false
    }
}
