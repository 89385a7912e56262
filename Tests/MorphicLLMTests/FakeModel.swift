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
