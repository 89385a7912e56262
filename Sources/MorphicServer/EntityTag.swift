import Foundation
import HTTP
import MorphicCore

/// Strong entity tags (RFC 9110 §8.8.3) and the conditional GET they allow: a client that
/// sends back the tag of what it has gets 304 and no body while nothing changed, so a page
/// that polls a finished sweep costs a few bytes.
enum EntityTag {
    /// A tag for a response's content: a hash of its bytes, or the identity, size and
    /// modification time of its file; none for a produced body, whose bytes are not known
    /// until they are sent (its handler sets a tag from what it is made of). A gzip-coded
    /// representation gets `-gzip` appended by the connection, so the two codings never
    /// share a tag.
    static func of(_ response: HTTPResponse) -> String? {
        switch response.body {
        case .bytes(let bytes):
            return of(bytes: bytes)
        case .file(let file):
            return "\"" + [UInt64(file.inode), UInt64(file.size), UInt64(bitPattern: Int64(file.modified))]
                .map { String($0, radix: 16) }.joined(separator: "-") + "\""
        case .producer:
            return nil
        }
    }

    /// The tag of a body in memory: a hash of its bytes.
    static func of(bytes: [UInt8]) -> String {
        "\"" + String(CounterRandom.fnv1a64(bytes: bytes), radix: 16) + "\""
    }

    /// Whether `field` (an If-None-Match or If-Match value) names `tag`, in either coding; `*`
    /// names any. Weak comparison (If-None-Match) takes `W/` tags as their strong twins;
    /// strong comparison (If-Match, `strongly`) never matches a weak tag (RFC 9110 §8.8.3.2).
    static func matches(_ field: String, _ tag: String, strongly: Bool = false) -> Bool {
        let bare = tag.dropLast()
        return field.split(separator: ",").contains { candidate in
            var text = candidate.trimmingCharacters(in: .whitespaces)
            if text == "*" { return true }
            if !strongly && text.hasPrefix("W/") { text.removeFirst(2) }
            return text == tag || text == bare + "-gzip\""
        }
    }

    /// `response` with its tag, or a 304 when the request's If-None-Match names it. The
    /// 304 carries the tag of the representation the client would have been sent, `-gzip`
    /// included when it would have been gzip-coded (RFC 9110 §15.4.5, §8.8.3).
    static func conditional(_ response: HTTPResponse, for request: HTTPRequest) -> HTTPResponse {
        guard response.status.code == 200, request.method == "GET" || request.method == "HEAD" else { return response }
        // A tag set by the handler (worked out from what the answer is made of) stands.
        let preset = response.header("ETag")
        guard let tag = preset ?? of(response) else { return response }
        // If-Match first (RFC 9110 §13.2.2): a client that holds part of a representation
        // asks for more only of that one, and gets 412 once it changed.
        if let field = request.header("If-Match"), !matches(field, tag, strongly: true) {
            return APIError(
                status: .preconditionFailed, code: "precondition_failed",
                message: "If-Match names another representation than the current one (\(tag))", field: "If-Match"
            ).response
        }
        if let field = request.header("If-None-Match"), matches(field, tag) {
            return notModified(tag: tag, coded: response.isCoded(for: request), compressible: response.compressible,
                headers: response.headers)
        }
        var tagged = response
        if preset == nil { tagged.headers.append(("ETag", tag)) }
        return tagged
    }

    /// The tag of a run's frames, from what they are computed from: the run's record (the
    /// sweep id already names the definition), the run and the range. Known from a cheap
    /// read, so a conditional request is answered 304 before anything is recomputed.
    static func frames(record: [UInt8], sweep: String, run: String, from: Int, to: Int?, every: Int) -> String {
        let inputs = "\(sweep)/\(run)/\(from)/\(to.map(String.init) ?? "end")/\(every)/"
        let hash = CounterRandom.fnv1a64(bytes: record) ^ CounterRandom.fnv1a64(inputs)
        return "\"f" + String(hash, radix: 16) + "\""
    }

    /// A 304 with `tag` (marked as the gzip coding's when `coded`), the answer's
    /// Cache-Control, and Vary when the answer varies with Accept-Encoding.
    static func notModified(tag: String, coded: Bool, compressible: Bool, headers: [(name: String, value: String)])
        -> HTTPResponse
    {
        var response = HTTPResponse(
            status: .notModified,
            headers: [("ETag", tag)] + headers.filter { $0.name == "Cache-Control" }
                + (compressible ? [("Vary", "Accept-Encoding")] : []))
        if coded { response.tagCoding() }
        return response
    }
}
