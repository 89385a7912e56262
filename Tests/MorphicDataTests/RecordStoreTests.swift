import Foundation
import MorphicData
import TestSupport
import Testing

/// A record is either kept where the dataset will read it or its run fails: never a run
/// counted as finished whose record went nowhere.
@Suite struct RecordStoreTests {
    private static let record = Array(#"{"run_id": "r"}"#.utf8)

    /// A pack file removed while open (a clean-up under a running sweep): the write to it
    /// fails, naming the file, and the next one makes a new pack that holds it.
    @Test func packRemovedWhileOpen_FailsItsWrite_AndTheNextMakesANewPack() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = RecordStore(SweepFolder(path: root))
        try store.write(Self.record, run: 0)
        let pack = root + "/" + RecordStore.folderName + "/0.0.pack"
        #expect(try packFrames(pack).map(\.run) == [0])
        try FileManager.default.removeItem(atPath: pack)
        let error = #expect(throws: FileError.self) { try store.write(Self.record, run: 1) }
        #expect(error?.description.hasSuffix("0.0.pack was removed while the sweep ran: this run's record is lost; retry the sweep") == true)
        try store.write(Self.record, run: 2)
        #expect(try packFrames(pack).map(\.run) == [2])
    }

    /// A frame header damaged in the middle of a pack (any bits: a run index past Int.max,
    /// zeros, a wrong magic) costs its own frame only: the frames after it are still read, and
    /// a run written again supersedes its earlier frame.
    @Test func damagedHeader_MidPack_LosesOnlyItsFrame() throws {
        for damage: (inout [UInt8], Int) -> Void in [
            { bytes, at in bytes[at + 11] = 0x80 },  // the run index's top bit
            { bytes, at in for i in at..<at + 20 { bytes[i] = 0 } },
            { bytes, at in bytes[at] = UInt8(ascii: "X") },
            { bytes, at in for i in at + 4..<at + 12 { bytes[i] = 0xFF } },
            // A length a flipped bit made longer or shorter leads into the frames after it.
            { bytes, at in bytes[at + 12] ^= 0x20 },
            { bytes, at in bytes[at + 12] ^= 0x04 },
        ] {
            let root = try temporaryFolder()
            defer { try? FileManager.default.removeItem(atPath: root) }
            let store = RecordStore(SweepFolder(path: root))
            let records = (0..<6).map { Array(#"{"run_id": "r\#($0)", "n": \#($0)}"#.utf8) }
            for (run, record) in records.enumerated() { try store.write(record, run: run) }
            store.closeAppending()
            let pack = root + "/" + RecordStore.folderName + "/0.0.pack"
            var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: pack)))
            let frame = try #require(try packFrames(pack).first { $0.run == 2 })
            damage(&bytes, frame.offset - 20)
            try Data(bytes).write(to: URL(fileURLWithPath: pack))
            let read = RecordStore(SweepFolder(path: root)).pack(0)
            for run in [0, 1, 3, 4, 5] { #expect(read.framed(run) == records[run], "run \(run)") }
            #expect(read.framed(2) == nil)
            // Written again, the run's newest frame is the one read.
            let again = Array(#"{"run_id": "r2", "n": 22}"#.utf8)
            try store.write(again, run: 2)
            store.closeAppending()
            #expect(RecordStore(SweepFolder(path: root)).pack(0).framed(2) == again)
        }
    }

    /// A last frame whose length was cut short leads to a tail that is no frame: it is
    /// dropped, and the frames before it kept.
    @Test func lastFrameWithAShortenedLength_IsDropped_AndTheOthersKept() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = RecordStore(SweepFolder(path: root))
        let records = (0..<3).map { Array(#"{"run_id": "r\#($0)", "padding": "\#(String(repeating: "x", count: 40))"}"#.utf8) }
        for (run, record) in records.enumerated() { try store.write(record, run: run) }
        store.closeAppending()
        let pack = root + "/" + RecordStore.folderName + "/0.0.pack"
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: pack)))
        let frame = try #require(try packFrames(pack).first { $0.run == 2 })
        bytes[frame.offset - 20 + 12] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: pack))
        let read = RecordStore(SweepFolder(path: root)).pack(0)
        #expect(read.framed(0) == records[0] && read.framed(1) == records[1])
        #expect(read.framed(2) == nil)
    }

    /// A store that stopped writing closes its packs; a later write (a retry) appends to a
    /// new pack, and both are read.
    @Test func closedPacks_AreNotWrittenAgain_AndANewOneTakesLaterRecords() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = RecordStore(SweepFolder(path: root))
        try store.write(Self.record, run: 0)
        store.closeAppending()
        try store.write(Self.record, run: 1)
        let records = root + "/" + RecordStore.folderName
        #expect(try packFrames(records + "/0.0.pack").map(\.run) == [0])
        #expect(try packFrames(records + "/0.1.pack").map(\.run) == [1])
        #expect(store.pack(0).unreadable == nil)
    }

    /// A pack that exists but cannot be opened is said to be unreadable, with the error,
    /// rather than taken for records never written.
    @Test func packThatCannotBeOpened_IsUnreadable_NotMissing() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = RecordStore(SweepFolder(path: root))
        try store.write(Self.record, run: 0)
        store.closeAppending()
        let pack = root + "/" + RecordStore.folderName + "/0.0.pack"
        try FileManager.default.removeItem(atPath: pack)
        // A link to itself: open fails with ELOOP (permissions would not stop root).
        try FileManager.default.createSymbolicLink(atPath: pack, withDestinationPath: pack)
        let unreadable = store.pack(0).unreadable
        #expect(unreadable?.path == pack && unreadable?.code == ELOOP)
        #expect(store.pack(1).unreadable == nil, "a pack never written is missing, not unreadable")
    }

    /// The records folder replaced by a file: the write that finds its pack gone fails, and
    /// so does every one after it, saying why, until the folder is mended.
    @Test func recordsFolderReplaced_FailsEveryWrite() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = RecordStore(SweepFolder(path: root))
        try store.write(Self.record, run: 0)
        let records = root + "/" + RecordStore.folderName
        try FileManager.default.removeItem(atPath: records)
        #expect(FileManager.default.createFile(atPath: records, contents: Data("in the way".utf8)))
        #expect(throws: FileError.self) { try store.write(Self.record, run: 1) }
        #expect(throws: (any Error).self) { try store.write(Self.record, run: 2) }
        // Mended: written again.
        try FileManager.default.removeItem(atPath: records)
        try store.write(Self.record, run: 3)
        #expect(try packFrames(records + "/0.0.pack").map(\.run) == [3])
    }
}
