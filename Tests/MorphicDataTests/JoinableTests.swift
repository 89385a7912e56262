import Foundation
import Synchronization
import Testing

@testable import MorphicData

/// Work begun on a thread of its own: joined, it gives its value or its error, every time.
@Suite struct JoinableTests {
    struct Refusal: Error, Equatable { let reason: String }

    @Test func join_WaitsForTheWork_AndGivesItsValueEveryTime() throws {
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let work = Joinable { () -> [Int] in
            started.signal()
            release.wait()
            return Array(0..<1000)
        }
        // The work runs while this thread does something else, and join waits for its end.
        #expect(started.wait(timeout: .now() + 10) == .success)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.05) { release.signal() }
        #expect(try work.join() == Array(0..<1000))
        #expect(try work.join() == Array(0..<1000))
    }

    @Test func join_ThrowsTheWorksError_EveryTime() {
        let work = Joinable { () throws -> Int in throw Refusal(reason: "the card cannot be written") }
        for _ in 0..<2 {
            #expect(throws: Refusal(reason: "the card cannot be written")) { try work.join() }
        }
    }

    @Test func manyJoiners_AllSeeTheOneResult() async throws {
        let runs = Mutex(0)
        let work = Joinable { () -> Int in
            runs.withLock { $0 += 1 }
            Thread.sleep(forTimeInterval: 0.02)
            return 42
        }
        let values = await withTaskGroup(of: Int?.self) { group in
            for _ in 0..<8 { group.addTask { try? work.join() } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(values == Array(repeating: 42, count: 8))
        #expect(runs.withLock { $0 } == 1)
    }
}
