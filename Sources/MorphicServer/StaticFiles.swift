import Foundation
import HTTP

/// Serves the browser page and other files from the public folder, refusing any path that
/// could leave it.
struct StaticFiles: Sendable {
    let root: String

    private static let types: [String: (type: String, compressible: Bool)] = [
        "html": ("text/html; charset=utf-8", true), "css": ("text/css; charset=utf-8", true),
        "js": ("text/javascript; charset=utf-8", true), "json": ("application/json", true),
        "svg": ("image/svg+xml", true), "txt": ("text/plain; charset=utf-8", true), "png": ("image/png", false),
        "ico": ("image/x-icon", false),
    ]

    /// The file for a request path, or nil.
    func response(for path: String) -> HTTPResponse? {
        let relative = path == "/" ? "index.html" : String(path.dropFirst())
        guard let decoded = HTTPRequest.percentDecoded(relative) else { return nil }
        let segments = decoded.split(separator: "/", omittingEmptySubsequences: false)
        guard !segments.isEmpty,
            segments.allSatisfy({ !$0.isEmpty && !$0.hasPrefix(".") && !$0.contains("\0") && !$0.contains("\\") })
        else { return nil }
        let file = root + "/" + segments.joined(separator: "/")
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isFolder), !isFolder.boolValue,
            let attributes = try? FileManager.default.attributesOfItem(atPath: file),
            let size = attributes[.size] as? Int
        else { return nil }
        let suffix = segments.last!.split(separator: ".").last.map { String($0).lowercased() } ?? ""
        let kind = Self.types[suffix] ?? ("application/octet-stream", false)
        return HTTPResponse(
            status: .ok, headers: [("Content-Type", kind.type), ("Cache-Control", "no-cache")],
            body: .file(path: file, size: size), compressible: kind.compressible)
    }
}
