import Foundation
import MorphicData
import TestSupport
import Testing

/// A message shown to clients names files within a sweep's folder, whichever way the path
/// was written into it.
@Suite struct FolderNamingTests {
    /// A path's folder part, one-character names included (Foundation's
    /// `deletingLastPathComponent` crashed on them, and with it `morphic sweep --output a`).
    @Test func parentFolder_OfEveryShapeOfPath() {
        let cases = [
            ("a", ""), ("ab", ""), ("a/", ""), ("x/y", "x"), ("x/yy", "x"), ("x/y/", "x"), ("/a", "/"), ("/", "/"),
            ("./a", "."), ("../b/c", "../b"), ("/srv/s-1/manifest.json", "/srv/s-1"), ("a//b", "a/"), ("", ""),
        ]
        for (path, parent) in cases {
            #expect(path.parentFolder == parent, "'\(path)'")
        }
    }

    @Test func everyWrittenFormOfTheFolder_IsTakenOut() {
        let folder = "/srv/morphic data/sweeps/s-1"
        let cases = [
            // Plainly, as POSIX errors and the server's own messages name files.
            ("cannot write /srv/morphic data/sweeps/s-1/features.csv: No space left", "cannot write features.csv: No space left"),
            // As Foundation's errors do: a file URL, percent-encoded.
            (
                "The file couldn’t be saved. file:///srv/morphic%20data/sweeps/s-1/records/pack-3",
                "The file couldn’t be saved. records/pack-3"
            ),
            ("NSFilePath=/srv/morphic%20data/sweeps/s-1/a.json", "NSFilePath=a.json"),
            ("at file:///srv/morphic data/sweeps/s-1/x", "at x"),
            // The folder itself, at the end or before punctuation.
            ("cannot open /srv/morphic data/sweeps/s-1", "cannot open <f>"),
            ("cannot open '/srv/morphic data/sweeps/s-1': gone", "cannot open '<f>': gone"),
            ("in file:///srv/morphic%20data/sweeps/s-1.", "in <f>."),
            ("/srv/morphic data/sweeps/s-1, then", "<f>, then"),
            // Twice.
            ("/srv/morphic data/sweeps/s-1/a and /srv/morphic data/sweeps/s-1/b", "a and b"),
        ]
        for (message, expected) in cases {
            #expect(message.namingFiles(within: folder, as: "<f>") == expected, "\(message)")
            // A folder given with a trailing slash or a dot is the same folder.
            #expect(message.namingFiles(within: folder + "/", as: "<f>") == expected, "\(message)")
            #expect(message.namingFiles(within: "/srv/morphic data/./sweeps/s-1", as: "<f>") == expected, "\(message)")
        }
    }

    @Test func otherPaths_AreLeftAlone() {
        let folder = "/srv/data"
        for message in [
            "cannot write /srv/data2/x", "cannot write /srv/data-old/x", "/srv/database", "/srv/data.json",
            "/srv/data.old/x", "/backup/srv/data/x",
            "no folder named in this message",
        ] {
            #expect(message.namingFiles(within: folder, as: "<f>") == message)
        }
        // A relative folder only where it is a whole name, and only in a path: as a word it
        // is the word (the server's default data directory is `data`).
        #expect("metadata/x and data/y".namingFiles(within: "data", as: "<f>").hasSuffix("metadata/x and y"))
        #expect("the manifest holds no data; data, or data.".namingFiles(within: "data", as: "<f>")
            == "the manifest holds no data; data, or data.")
        #expect("a message".namingFiles(within: "", as: "<f>") == "a message")
        #expect("/ is the root".namingFiles(within: "/", as: "<f>") == "/ is the root")
    }

    @Test func aFolderReachedThroughALink_IsTakenOutAsItsTarget() throws {
        let base = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: base + "/real", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: base + "/link", withDestinationPath: base + "/real")
        let resolved = URL(fileURLWithPath: base + "/real").resolvingSymlinksInPath().path
        #expect("cannot read \(resolved)/a.json".namingFiles(within: base + "/link", as: "<f>") == "cannot read a.json")
    }

    /// Foundation's file errors read as the file and the system's reason, not as their
    /// domain, code and user-info dump.
    @Test func foundationFileErrors_ReadAsTheFileAndWhy() throws {
        let base = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: base) }
        #expect(FileManager.default.createFile(atPath: base + "/blocker", contents: Data()))
        do {
            try FileManager.default.createDirectory(atPath: base + "/blocker/records", withIntermediateDirectories: true)
            Issue.record("a folder was made inside a file")
        } catch {
            let message = FileError.message(of: error)
            #expect(message == base + "/blocker/records: Not a directory", "\(message)")
        }
        #expect(FileError.message(of: FileError.invalid("plain")) == "plain")
    }

    /// A run's failure is kept in the dataset and shown by the server: it names the run's
    /// files within the sweep.
    @Test func recordedFailure_NamesFilesWithinTheSweep() throws {
        let base = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let folder = SweepFolder(path: base + "/s")
        try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
        try folder.recordFailure("r_1", message: "cannot append to file://\(folder.path)/records/pack-0: No space left")
        #expect(folder.failure("r_1") == "cannot append to records/pack-0: No space left")
    }
}
