import Foundation

/// A test's failure outside the code under test.
public struct SupportError: Error, CustomStringConvertible {
    /// What went wrong.
    public let description: String

    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}

/// Runs `executable` with `arguments`; returns its exit status and everything it printed.
public func execute(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, output)
}

/// Runs a shell command; returns its output, throws with it when the command fails.
@discardableResult
public func shell(_ command: String) throws -> String {
    let result = try execute("/bin/bash", ["-c", command])
    guard result.status == 0 else { throw SupportError("`\(command)` exited \(result.status): \(result.output)") }
    return result.output
}

/// A fresh empty folder under the system's temporary folder; the caller removes it.
public func temporaryFolder() throws -> String {
    let path = NSTemporaryDirectory() + "morphic-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Every file under `folder`, by path relative to it.
public func tree(_ folder: String) throws -> [String: Data] {
    var files: [String: Data] = [:]
    guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return files }
    for case let path as String in enumerator {
        var isFolder: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: folder + "/" + path, isDirectory: &isFolder)
        guard !isFolder.boolValue else { continue }
        do {
            files[path] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + path))
        } catch where (path.split(separator: "/").last ?? "").hasPrefix(".") {
            // A temporary a running server renamed into place (a status written late): not
            // part of the tree.
        }
    }
    return files
}
