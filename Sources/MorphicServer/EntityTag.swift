import Foundation
import HTTP
import MorphicCore

/// Strong entity tags (RFC 9110 §8.8.3) and the conditional GET they allow: a client that
/// sends back the tag of what it has gets 304 and no body while nothing changed, so a page
/// that polls a finished sweep costs a few bytes.
enum EntityTag {
    /// A tag for a response's content: a hash of its bytes, or the identity, size and
    /// modification time of its file. A gzip-coded representation gets `-gzip` appended by
    /// the connection, so the two codings never share a tag.
    static func of(_ response: HTTPResponse) -> String {
        switch response.body {
        case .bytes(let bytes):
            return "\"" + String(CounterRandom.fnv1a64(bytes: bytes), radix: 16) + "\""
        case .file(let file):
            return "\"" + [UInt64(file.inode), UInt64(file.size), UInt64(bitPattern: Int64(file.modified))]
                .map { String($0, radix: 16) }.joined(separator: "-") + "\""
        }
    }

    /// Whether `field` (an If-None-Match value) names `tag`, in either coding; `*` names any.
    static func matches(_ field: String, _ tag: String) -> Bool {
        let bare = tag.dropLast()
        return field.split(separator: ",").contains { candidate in
            var text = candidate.trimmingCharacters(in: .whitespaces)
            if text == "*" { return true }
            if text.hasPrefix("W/") { text.removeFirst(2) }
            return text == tag || text == bare + "-gzip\""
        }
    }

    /// `response` with its tag, or a 304 when the request's If-None-Match names it.
    static func conditional(_ response: HTTPResponse, for request: HTTPRequest) -> HTTPResponse {
        guard response.status.code == 200, request.method == "GET" || request.method == "HEAD" else { return response }
        let tag = of(response)
        if let field = request.header("If-None-Match"), matches(field, tag) {
            return HTTPResponse(
                status: .notModified,
                headers: [("ETag", tag)] + response.headers.filter { ["Cache-Control", "Vary"].contains($0.name) },
                compressible: response.compressible)
        }
        var tagged = response
        tagged.headers.append(("ETag", tag))
        return tagged
    }
}
