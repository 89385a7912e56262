import Foundation
import Glibc
import TestSupport
import Testing

@testable import MorphicData

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

    /// A temporary whose writer has exited is abandoned, reaped or not: a server killed with
    /// `kill -9` is a zombie until its shell reaps it, and the next server, started meanwhile,
    /// removes what it left. A live writer's is kept.
    @Test func temporaryOfAnExitedWriter_IsAbandoned_EvenBeforeItIsReaped() throws {
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
        defer { for pointer in argv { free(pointer) } }
        #expect(posix_spawn(&pid, "/bin/true", nil, nil, argv, environ) == 0)
        let host = StreamingFile.writer[..<StreamingFile.writer.lastIndex(of: "-")!]
        let name = ".dataset.tar.gz.1.tmp-\(host)-\(pid)"
        var zombie = false
        for _ in 0..<500 where !zombie {
            zombie = StreamingFile.isZombie(pid)
            if !zombie { usleep(10_000) }
        }
        #expect(zombie && kill(pid, 0) == 0, "exited, not yet reaped")
        #expect(StreamingFile.isAbandonedTemporary(name))
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        #expect(StreamingFile.isAbandonedTemporary(name))
        #expect(!StreamingFile.isAbandonedTemporary(".x.1.tmp-\(host)-\(getppid())"), "a live writer's")
        #expect(!StreamingFile.isAbandonedTemporary(".x.1.tmp-\(StreamingFile.writer)"), "this process's own")
    }
}
