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
