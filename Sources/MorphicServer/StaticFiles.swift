import HTTP

/// Serves the browser page and other files from the public folder. Paths reach it already
/// checked by ``Route``, so none can leave the folder.
struct StaticFiles: Sendable {
    let root: String

    private static let types: [String: (type: String, compressible: Bool)] = [
        "html": ("text/html; charset=utf-8", true), "css": ("text/css; charset=utf-8", true),
        "js": ("text/javascript; charset=utf-8", true), "json": ("application/json", true),
        "svg": ("image/svg+xml", true), "txt": ("text/plain; charset=utf-8", true), "png": ("image/png", false),
        "ico": ("image/x-icon", false),
    ]

    /// The file at `relative` inside the public folder, opened.
    func response(for relative: String) throws(APIError) -> HTTPResponse {
        let body = try API.open(root + "/" + relative)
        let suffix = relative.split(separator: "/").last?.split(separator: ".").last.map { String($0).lowercased() } ?? ""
        let kind = Self.types[suffix] ?? ("application/octet-stream", false)
        return HTTPResponse(
            status: .ok, headers: [("Content-Type", kind.type), ("Cache-Control", "no-cache")], body: .file(body),
            compressible: kind.compressible)
    }
}
