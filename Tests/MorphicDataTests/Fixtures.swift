import Foundation

/// Files the tests read, found next to this source file.
enum Fixtures {
    static let testsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let packageFolder = testsFolder.deletingLastPathComponent().deletingLastPathComponent()

    static func bytes(_ relativePath: String) throws -> [UInt8] {
        Array(try Data(contentsOf: testsFolder.appendingPathComponent(relativePath)))
    }

    /// A fresh empty folder under the system's temporary folder; the caller removes it.
    static func temporaryFolder() throws -> String {
        let path = NSTemporaryDirectory() + "morphic-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
