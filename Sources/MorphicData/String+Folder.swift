import Foundation

extension String {
    /// The folder part of this path: "" for a bare name, "/" for a name at the root (a `/`
    /// at the end is no part). NSString's `deletingLastPathComponent` is not used: on Linux
    /// it crashes on a one-character name (`a`, or the `x` left of `x/yy`).
    public var parentFolder: String {
        let path = withoutFinalSlashes
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// This path without the `/`s at its end, `/` itself kept: `b/` and `b` are one folder,
    /// and its files are `b/name`, not `b//name`.
    public var withoutFinalSlashes: String {
        var path = Substring(self)
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return String(path)
    }

    /// This text with `folder` taken out of the paths in it: a path within the folder becomes
    /// relative to it, and the folder itself becomes `placeholder`. The folder is found as
    /// given, as an absolute path with `.` and `..` resolved and with symbolic links
    /// resolved, each written plainly, as a `file://` URL and percent-encoded, which is how
    /// Foundation's errors name files.
    ///
    /// A message shown by the server, sent to a notification URL or kept in a dataset then
    /// names the sweep's files, not where the machine that wrote them keeps them. A longer
    /// name that only begins with the folder's (`/data2` for `/data`) is left alone.
    public func namingFiles(within folder: String, as placeholder: String) -> String {
        namingFiles(within: Self.writtenForms(of: folder), as: placeholder)
    }

    /// The same with the folder's ``writtenForms(of:)`` worked out once, for a caller that
    /// cleans many messages of one folder (each form costs a look at the file system).
    public func namingFiles(within forms: [String], as placeholder: String) -> String {
        var text = self
        for form in forms where text.contains(form) {
            // A relative folder (`data`) is a word too: only a path through it is taken out.
            let absolute = form.hasPrefix("/") || form.hasPrefix("file:")
            text = text.replacingFolder(form, with: absolute ? placeholder : nil)
        }
        return text
    }

    /// The ways a message may write `folder`: as given, absolute with `.` and `..` resolved,
    /// and with symbolic links resolved, each plainly, as a `file://` URL and percent-encoded;
    /// longest first, so that a URL goes before the path it holds and an absolute path before
    /// a relative one it ends with.
    public static func writtenForms(of folder: String) -> [String] {
        guard !folder.isEmpty else { return [] }
        let url = URL(fileURLWithPath: folder)
        var forms: Set<String> = []
        for path in [folder, url.standardizedFileURL.path, url.resolvingSymlinksInPath().path] {
            let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
            let encoded = trimmed.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? trimmed
            forms.formUnion(["file://" + encoded, "file://" + trimmed, encoded, trimmed])
        }
        forms.remove("/")
        return forms.sorted { ($0.utf8.count, $0) > ($1.utf8.count, $1) }
    }

    /// Each occurrence of `folder` that is a whole name (not preceded by a character of a
    /// name or a `/`): followed by `/`, dropped with it; followed by the text's end, a
    /// character that cannot continue a name or a sentence's full stop or comma, replaced by
    /// `placeholder`, or left when there is none.
    private func replacingFolder(_ folder: String, with placeholder: String?) -> String {
        func inName(_ character: Character) -> Bool {
            character.isLetter || character.isNumber || "._-~%+@".contains(character)
        }
        // `/data.` at the end of a sentence is the folder; `/data.json` is not.
        func endsSentence(_ after: Substring) -> Bool {
            ".,".contains(after.first!) && after.dropFirst().first?.isWhitespace != false
        }
        var result = ""
        var rest = self[...]
        while let found = rest.range(of: folder) {
            let previous = found.lowerBound == rest.startIndex ? result.last : rest[rest.index(before: found.lowerBound)]
            let next = rest[found.upperBound...].first
            result += rest[..<found.lowerBound]
            if let previous, previous == "/" || inName(previous) {
                result += rest[found]
                rest = rest[found.upperBound...]
            } else if next == "/" {
                rest = rest[rest.index(after: found.upperBound)...]
            } else if let next, inName(next) && !endsSentence(rest[found.upperBound...]) {
                result += rest[found]
                rest = rest[found.upperBound...]
            } else {
                result += placeholder ?? String(rest[found])
                rest = rest[found.upperBound...]
            }
        }
        return result + rest
    }
}
