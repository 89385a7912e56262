import Foundation
import Testing

@testable import MorphicServer

/// External commands under a deadline: a hung one is stopped, a chatty one cannot block.
@Suite struct ChildProcessTests {
    @Test func hungCommand_IsStoppedAtItsDeadline_WithWhatItStarted() throws {
        let started = Date()
        #expect(throws: ChildProcess.Failure.timedOut("sh", seconds: 1)) {
            try ChildProcess.run(["sh", "-c", "sleep 30 & sleep 30"], timeout: 1, grace: 1)
        }
        #expect(Date().timeIntervalSince(started) < 4)
    }

    @Test func commandIgnoringSIGTERM_IsKilledAfterTheGrace() throws {
        let started = Date()
        #expect(throws: ChildProcess.Failure.self) {
            try ChildProcess.run(["sh", "-c", "trap '' TERM; sleep 30"], timeout: 0.5, grace: 0.5)
        }
        #expect(Date().timeIntervalSince(started) < 4)
    }

    @Test func largeStandardError_DoesNotBlock_AndIsCapped() throws {
        let result = try ChildProcess.run(
            ["sh", "-c", "head -c 300000 /dev/zero | tr '\\\\0' e >&2; echo done"], timeout: 10, outputLimit: 1000)
        #expect(result.status == 0 && result.output == "done\n")
        #expect(result.errors.utf8.count == 1000)
    }

    @Test func exitStatus_AndAMissingCommand_AreReported() throws {
        #expect(try ChildProcess.run(["sh", "-c", "echo no >&2; exit 3"], timeout: 5).status == 3)
        #expect(throws: ChildProcess.Failure.self) { try ChildProcess.run(["no-such-command-here"], timeout: 5) }
    }
}
