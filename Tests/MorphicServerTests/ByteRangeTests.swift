import Foundation
import Synchronization
import Testing

@testable import MorphicServer
import TestSupport

/// A download cut short goes on from where it stopped: file answers sent as they are take
/// one `Range`, and whatever pieces a client asks for put together the same bytes.
@Suite struct ByteRangeTests {
    @Test(arguments: [
        // (field, size, expected range: nil ignores the field, -1...-1 is a 416)
        ("bytes=0-99", 1000, 0..<100), ("bytes=100-", 1000, 100..<1000), ("bytes=-10", 1000, 990..<1000),
        ("bytes=-5000", 1000, 0..<1000), ("bytes=990-5000", 1000, 990..<1000), ("bytes=999-999", 1000, 999..<1000),
        ("BYTES = 5-6", 1000, nil), (" bytes=5-6 ", 1000, 5..<7), ("Bytes=5-6", 1000, 5..<7), ("bytes=0-99999999999999999999999", 1000, 0..<1000),
    ] as [(String, Int, Range<Int>?)])
    func satisfiableRanges_AreCutToTheFile(_ field: String, _ size: Int, _ expected: Range<Int>?) {
        let parsed = ByteRange.parse(field, size: size)
        if let expected {
            #expect(parsed == .some(.some(expected)), "\(field)")
        } else {
            #expect(parsed == nil, "\(field)")
        }
    }

    @Test(arguments: ["bytes=1000-", "bytes=5000-6000", "bytes=-0", "bytes=99999999999999999999-"])
    func rangesPastTheEnd_AreUnsatisfiable(_ field: String) {
        #expect(ByteRange.parse(field, size: 1000) == .some(nil), "\(field)")
    }

    @Test(arguments: [
        "bytes=0-1,5-6", "items=0-5", "bytes=", "bytes=a-b", "bytes=5-2", "bytes=-", "bytes=+5-6", "bytes=0x10-",
        "bytes=1-2-3", "0-5", "bytes= 5-6", "bytes=5 -6", "bytes=5- 6", "bytes=- 5",
    ])
    func fieldsThisServerDoesNotTake_AreIgnored(_ field: String) {
        #expect(ByteRange.parse(field, size: 1000) == nil, "\(field)")
    }

    @Test func anArchiveDownload_CutShort_GoesOnWhereItStopped_ForManyClientsAtOnce_AndOtherAsksAreAnsweredAsTheRFCSays() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        let id = try AbortedDownloadTests.sweep(server)
        let path = "/api/sweeps/\(id)/dataset.tar.gz"
        let whole = try server.request("GET", path)
        #expect(whole.status == 200 && whole.headers["accept-ranges"] == "bytes")
        let size = whole.body.count
        let tag = try #require(whole.headers["etag"])
        #expect(size > 10_000)

        // Pieces of every shape put together the whole file.
        let cuts = Set([0, 1, 4095, 65_536, size / 2, size - 1, size].filter { $0 <= size }).sorted()
        var joined: [UInt8] = []
        for (from, to) in zip(cuts, cuts.dropFirst()) where to > from {
            let piece = try server.request("GET", path, headers: ["Range": "bytes=\(from)-\(to - 1)", "If-Range": tag])
            #expect(piece.status == 206)
            #expect(piece.headers["content-range"] == "bytes \(from)-\(to - 1)/\(size)")
            #expect(piece.headers["content-length"] == String(to - from))
            joined += piece.body
        }
        let same = joined == whole.body
        #expect(same, "\(joined.count) bytes put together of \(size)")
        let tail = try server.request("GET", path, headers: ["Range": "bytes=-100"])
        let tailMatches = tail.body == Array(whole.body.suffix(100))
        #expect(tail.status == 206 && tailMatches)
        let rest = try server.request("GET", path, headers: ["Range": "bytes=\(size - 300)-"])
        let restMatches = rest.body == Array(whole.body.suffix(300))
        #expect(rest.status == 206 && restMatches)

        // None of it exists: 416 with the size, and the error in JSON.
        let beyond = try server.request("GET", path, headers: ["Range": "bytes=\(size)-"])
        #expect(beyond.status == 416 && beyond.headers["content-range"] == "bytes */\(size)")
        #expect(String(decoding: beyond.body, as: UTF8.self).contains("range_not_satisfiable"))

        // Several ranges, another unit, a stale If-Range or a date: the whole file.
        for headers in [
            ["Range": "bytes=0-1,4-5"], ["Range": "lines=0-5"], ["Range": "bytes=0-9", "If-Range": "\"other\""],
            ["Range": "bytes=0-9", "If-Range": "Sun, 06 Dec 2026 10:00:00 GMT"],
        ] {
            let answer = try server.request("GET", path, headers: headers)
            let complete = answer.body == whole.body
            #expect(answer.status == 200 && complete, "\(headers)")
        }
        // If-Match names the representation the pieces are of: another one gets 412, before any range.
        let moved = try server.request("GET", path, headers: ["Range": "bytes=0-9", "If-Match": "\"other\", W/\(tag)"])
        #expect(moved.status == 412 && String(decoding: moved.body, as: UTF8.self).contains("precondition_failed"))
        let current = try server.request("GET", path, headers: ["Range": "bytes=0-9", "If-Match": "\"other\", \(tag)"])
        #expect(current.status == 206 && current.body.count == 10)
        let any = try server.request("GET", path, headers: ["If-Match": "*"])
        #expect(any.status == 200)
        // Two Range fields are not guessed between.
        let twice = try LoopbackClient(port: server.port, timeout: 30)
        twice.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=0-9\r\nRange: bytes=0-99\r\nConnection: close\r\n\r\n")
        #expect(String(decoding: twice.read().bytes.prefix(12), as: UTF8.self) == "HTTP/1.1 200")
        // HEAD says ranges are taken and sends nothing.
        let head = try server.request("HEAD", path, headers: ["Range": "bytes=0-9"])
        #expect(head.status == 200 && head.headers["accept-ranges"] == "bytes" && head.body.isEmpty)
        // A 304 stays a 304.
        let unchanged = try server.request("GET", path, headers: ["Range": "bytes=0-9", "If-None-Match": tag])
        #expect(unchanged.status == 304)

        // A file gzip-coded on the way has no fixed bytes to cut: sent whole, coded.
        let manifest = "/api/sweeps/\(id)/manifest.json"
        let coded = try server.request("GET", manifest, headers: ["Range": "bytes=0-9", "Accept-Encoding": "gzip"])
        #expect(coded.status == 200 && coded.headers["content-encoding"] == "gzip" && coded.headers["accept-ranges"] == nil)
        let plain = try server.request("GET", manifest)
        let first = try server.request("GET", manifest, headers: ["Range": "bytes=0-9"])
        let firstMatches = first.body == Array(plain.body.prefix(10))
        #expect(first.status == 206 && firstMatches)

        try Self.manyClientsResumeAtOnce(server, path: path, whole: whole.body)
    }

    /// 64 clients at once each ask the rest of the archive from their own byte: each gets
    /// exactly it, and no descriptor stays open.
    static func manyClientsResumeAtOnce(_ server: ServerProcess, path: String, whole: [UInt8]) throws {
        let baseline = server.openDescriptors
        let failures = Mutex(0)
        let port = server.port
        DispatchQueue.concurrentPerform(iterations: 64) { client in
            let from = (client * 7919) % whole.count
            guard let connection = try? LoopbackClient(port: port, timeout: 30) else { return failures.withLock { $0 += 1 } }
            connection.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=\(from)-\r\nConnection: close\r\n\r\n")
            let raw = connection.read().bytes
            guard let split = raw.firstRange(of: Array("\r\n\r\n".utf8)),
                String(decoding: raw[..<split.lowerBound], as: UTF8.self).hasPrefix("HTTP/1.1 206 "),
                Array(raw[split.upperBound...]) == Array(whole[from...])
            else { return failures.withLock { $0 += 1 } }
        }
        #expect(failures.withLock { $0 } == 0)
        #expect(AbortedDownloadTests.settle(server, to: baseline) <= baseline)
    }
}
