import CZlib
import Foundation
import Gzip
import Testing

import TestSupport

/// The archive's compressor: what it writes must read back whole through any gzip reader, and
/// its bytes must depend on the input alone, never on how the input was cut or on threads.
struct ParallelGzipWriterTests {
    /// Text that compresses (repeats within and across blocks) with noise that does not.
    private static func input(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        let words = Array("control_12,0.25,morphic,3,17.5,0.0625\n".utf8)
        while bytes.count < count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            if state >> 62 == 0 {
                bytes.append(UInt8(truncatingIfNeeded: state >> 33))
            } else {
                bytes.append(contentsOf: words.prefix(Int(state >> 40) % words.count + 1))
            }
        }
        return Array(bytes.prefix(count))
    }

    /// `bytes` through a writer in pieces of the lengths `cuts` gives in turn, those in
    /// `compressed` (cut at its ends too) written as compressed already.
    private static func compress(
        _ bytes: [UInt8], cuts: [Int], threads: Int, blockBytes: Int = 32 * 1024, format: ParallelGzipWriter.Format = .gzip,
        compressed: Range<Int> = 0..<0
    ) throws -> (output: [UInt8], crc: UInt32) {
        var output: [UInt8] = []
        let writer = ParallelGzipWriter(
            level: 1, format: format, threads: DeflateThreads(count: threads), blockBytes: blockBytes) {
            output += $0
        }
        var start = 0
        var cut = 0
        while start < bytes.count {
            var end = min(bytes.count, start + cuts[cut % cuts.count])
            for edge in [compressed.lowerBound, compressed.upperBound] where start < edge && edge < end { end = edge }
            try writer.write(Array(bytes[start..<end]), compressed: compressed.contains(start))
            start = end
            cut += 1
        }
        try writer.finish()
        return (output, writer.crc)
    }

    private static func gunzip(_ bytes: [UInt8]) throws -> [UInt8] {
        var output: [UInt8] = []
        let reader = try GzipReader { output += $0 }
        try reader.write(bytes)
        #expect(reader.finished)
        return output
    }

    /// Raw deflate data inflated by zlib (window bits −15: no header, no trailer).
    private static func inflateRaw(_ bytes: [UInt8], expected: Int) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: expected + 1)
        var input = bytes
        var stream = z_stream()
        let code = inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard code == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        let (result, produced) = input.withUnsafeMutableBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = input.baseAddress
                stream.avail_in = UInt32(input.count)
                stream.next_out = out.baseAddress
                stream.avail_out = UInt32(out.count)
                let result = inflate(&stream, Z_FINISH)
                return (result, out.count - Int(stream.avail_out))
            }
        }
        return result == Z_STREAM_END && stream.avail_in == 0 ? Array(output[..<produced]) : nil
    }

    @Test(arguments: [0, 1, 32 * 1024 - 1, 32 * 1024, 32 * 1024 + 1, 5 * 32 * 1024, 700_001])
    func readsBackWhole_WithTheSameBytesHoweverCutAndThreaded(count: Int) throws {
        let bytes = Self.input(count, seed: UInt64(count) + 1)
        let reference = try Self.compress(bytes, cuts: [count + 1], threads: 1)
        #expect(try Self.gunzip(reference.output) == bytes, "\(count) bytes")
        #expect(reference.crc == CRC32.of(bytes))
        for (cuts, threads) in [([1, 7, 4_096], 2), ([65_537], 4), ([31, 32 * 1024 + 3], 3)] {
            let again = try Self.compress(bytes, cuts: cuts, threads: threads)
            #expect(again.output == reference.output, "\(count) bytes cut by \(cuts) on \(threads) threads")
        }
    }

    @Test func compresses_AsGzipAndZlibReadIt() throws {
        let bytes = Self.input(1_000_000, seed: 7)
        let parallel = try Self.compress(bytes, cuts: [10_000], threads: 2, blockBytes: ParallelGzipWriter.defaultBlockBytes)
        // A few bytes a block more than zlib's one stream, never a real loss.
        let single = try GzipWriter.compress(bytes, level: 1)
        #expect(parallel.output.count < single.count + single.count / 100)
        #expect(parallel.output.prefix(10) == single.prefix(10), "zlib's header for level 1")
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data(parallel.output).write(to: URL(fileURLWithPath: root + "/x.gz"))
        try Data(bytes).write(to: URL(fileURLWithPath: root + "/x"))
        #expect(try shell("gzip -t \(root)/x.gz && gunzip -c \(root)/x.gz | cmp - \(root)/x && echo same") == "same\n")
    }

    /// Bytes written as compressed already (a zip file inside the archive) are stored, not
    /// deflated again, in every block that holds nothing else; the stream reads back whole,
    /// with the same bytes however it was cut or threaded. (The writer takes the caller's
    /// word: text said to be compressed is stored too, which shows it is not deflated.)
    @Test func compressedInput_IsStored_InBlocksOfItsOwn() throws {
        let blockBytes = 32 * 1024
        let text = Self.input(300_000, seed: 5)
        let zipped = Self.input(300_000, seed: 6)
        let bytes = text.prefix(100_000) + zipped + text.suffix(100_000)
        let range = 100_000..<(100_000 + zipped.count)
        let reference = try Self.compress(Array(bytes), cuts: [bytes.count], threads: 1, compressed: range)
        #expect(try Self.gunzip(reference.output) == Array(bytes))
        #expect(reference.crc == CRC32.of(Array(bytes)))
        for (cuts, threads) in [([1, 7, 4_096], 2), ([65_537], 4), ([31, blockBytes + 3], 3)] {
            let again = try Self.compress(Array(bytes), cuts: cuts, threads: threads, compressed: range)
            #expect(again.output == reference.output, "cut by \(cuts) on \(threads) threads")
        }
        // Each whole block of the zipped part is in the output as it is, which deflating it
        // again would not leave it.
        let firstWhole = (range.lowerBound + blockBytes - 1) / blockBytes * blockBytes
        let wholeBlocks = stride(from: firstWhole, to: range.upperBound - blockBytes + 1, by: blockBytes).map {
            Array(bytes[$0..<($0 + blockBytes)])
        }
        #expect(wholeBlocks.count >= 5)
        for block in wholeBlocks {
            // A stored block is at most 65,535 bytes, so a block's first 16 KiB lie together.
            #expect(Self.contains(reference.output, Array(block.prefix(16 * 1024))))
        }
        let deflated = try Self.compress(Array(bytes), cuts: [bytes.count], threads: 1)
        #expect(!Self.contains(deflated.output, Array(wholeBlocks[0].prefix(16 * 1024))))
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains { start in
            haystack[start] == needle[0] && haystack[start..<(start + needle.count)].elementsEqual(needle)
        }
    }

    @Test func raw_IsTheDeflateDataAloneWithItsCRC() throws {
        for count in [0, 100, 200_000] {
            let bytes = Self.input(count, seed: 3)
            let raw = try Self.compress(bytes, cuts: [4_000], threads: 2, format: .raw)
            #expect(raw.crc == CRC32.of(bytes))
            #expect(Self.inflateRaw(raw.output, expected: count) == bytes, "\(count) bytes")
        }
    }

    @Test func writingAfterTheEnd_IsRefused_AndTheStreamStaysWhole() throws {
        var output: [UInt8] = []
        let writer = ParallelGzipWriter(level: 1, threads: DeflateThreads(count: 2)) { output += $0 }
        try writer.write(Array("whole".utf8))
        try writer.finish()
        #expect(throws: GzipWriter.Error.self) { try writer.write(Array("more".utf8)) }
        try writer.finish()
        #expect(try Self.gunzip(output) == Array("whole".utf8))
    }

    @Test func aFailingSink_IsThrown_AndNothingHangs() throws {
        struct Full: Error {}
        var calls = 0
        let writer = ParallelGzipWriter(level: 1, threads: DeflateThreads(count: 2), blockBytes: 32 * 1024) { _ in
            calls += 1
            if calls > 2 { throw Full() }
        }
        #expect(throws: Full.self) {
            for _ in 0..<40 { try writer.write(Self.input(32 * 1024, seed: 9)) }
            try writer.finish()
        }
    }
}
