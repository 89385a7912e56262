import Foundation
import Gzip
@testable import MorphicData
import TestSupport
import Testing

@Suite struct PrimitiveTests {
    @Test func sha256_MatchesTheStandardVectors() {
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var streamed = SHA256()
        for _ in 0..<1000 { streamed.update(Array(repeating: UInt8(ascii: "a"), count: 1000)) }
        #expect(streamed.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// The SHA extensions, where the processor has them, give the portable code's digest
    /// for every length and every way the bytes are handed over.
    @Test func sha256_ExtensionsAndPortableCodeAgree() {
        var generator = SystemRandomNumberGenerator()
        for length in Array(0...300) + [4096, 65_537] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var portable = SHA256(portable: true)
            portable.update(bytes)
            var split = SHA256()
            let cut = Int.random(in: 0...length, using: &generator)
            split.update(bytes[..<cut])
            split.update(bytes[cut...])
            #expect(split.finalizeHex() == portable.finalizeHex(), "\(length) bytes cut at \(cut)")
        }
    }

    @Test func gzip_RoundTripsThroughPython() throws {
        let text = String(repeating: "morphic field ", count: 10_000)
        let compressed = try GzipWriter.compress(Array(text.utf8))
        #expect(compressed.count < text.utf8.count / 10)
        #expect(compressed.prefix(2) == [0x1F, 0x8B])
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try AtomicFile.write(compressed, to: root + "/x.gz")
        #expect(try shell("gunzip -c \(root)/x.gz") == text)
    }

    @Test func spearman_HandlesTiesAndConstants() {
        #expect(Spearman.correlation([1, 2, 3, 4], [10, 20, 30, 40]) == 1)
        #expect(Spearman.correlation([1, 2, 3, 4], [4, 3, 2, 1]) == -1)
        #expect(Spearman.correlation([1, 1, 1], [1, 2, 3]) == nil)
        #expect(Spearman.correlation([1, 2], [1, 2]) == nil)
        let tied = Spearman.correlation([1, 2, 2, 3], [1, 2, 3, 4])!
        #expect(abs(tied - 0.9486832980505138) < 1e-12)
    }

    @Test func shard_ParsesZeroBasedIndices() {
        #expect(Shard("0/3")?.index == 0)
        #expect(Shard("2/3")?.count == 3)
        for bad in ["3/3", "-1/3", "1/0", "1", "a/b", "1/2/3"] { #expect(Shard(bad) == nil, "\(bad)") }
    }
}
