import Foundation

/// Files the tests read, found next to this source file.
enum Fixtures {
    static let testsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let packageFolder = testsFolder.deletingLastPathComponent().deletingLastPathComponent()

    static func bytes(_ relativePath: String) throws -> [UInt8] {
        Array(try Data(contentsOf: testsFolder.appendingPathComponent(relativePath)))
    }
}
