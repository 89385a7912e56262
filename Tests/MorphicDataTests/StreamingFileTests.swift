import Foundation
import MorphicData
import TestSupport
import Testing

/// Files written under a temporary name and renamed into place.
@Suite struct StreamingFileTests {
    /// Two writers of one file in one process at once (a cancel's status and the status of
    /// the same sweep submitted again): each writes under its own temporary name, both
    /// commits succeed, and the file holds the last one committed, whole.
    @Test func twoWritersOfOneFile_EachCommitWhole() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/status.json"
        let first = try StreamingFile(path: path)
        let second = try StreamingFile(path: path)
        try first.write(String(repeating: "a", count: 100_000))
        try second.write("b")
        try first.commit()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == String(repeating: "a", count: 100_000))
        try second.commit()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "b")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["status.json"], "no temporary left")
    }
}
