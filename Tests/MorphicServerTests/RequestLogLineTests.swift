import Foundation
import MorphicData
import Testing

@testable import MorphicServer

/// Every answered request writes one log line, made straight into bytes: it must be the
/// line the general writer makes of the same fields, whatever the method and path hold.
@Suite struct RequestLogLineTests {
    /// The lines `write` logs, read back through a pipe.
    static func lines(_ write: (Log) -> Void) throws -> [String] {
        let pipe = Pipe()
        let log = Log(destination: pipe.fileHandleForWriting)
        write(log)
        log.flush()
        try pipe.fileHandleForWriting.close()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// The line with its time taken out, and the time.
    static func withoutTime(_ line: String) -> (rest: String, time: String)? {
        guard line.hasPrefix(#"{"time":""#) else { return nil }
        let afterKey = line.dropFirst(9)
        guard let end = afterKey.firstIndex(of: "\"") else { return nil }
        return (String(afterKey[end...]), String(afterKey[..<end]))
    }

    @Test func requestLine_IsTheGeneralWritersLine_ForEveryKindOfMethodAndPath() throws {
        let combining = "\u{301}"
        let paths = [
            "/api/sweeps/seed-sweep-7f41200d7684a6fb", "/", "", "/a\"b", "/a\\b", "/tab\there", "/nl\nx", "/cr\r\nx",
            "/\u{7F}", "/é", "/😀/x", String(repeating: "a", count: 199) + "e" + combining,
            String(repeating: "b", count: 200) + combining, String(repeating: "c", count: 201),
            String(repeating: "d", count: 5_000), String(repeating: "é", count: 300), "/%22", "/\u{0}",
        ]
        let methods = [
            "GET", "HEAD", "DELETE", String(repeating: "M", count: 19) + "E" + combining, String(repeating: "X", count: 25),
            "G\"T", "",
        ]
        var generator = RoutePropertyTests.Generator(state: 3)
        let times = [
            0, 0.0004, 0.0005, 0.001, 0.01, 0.1, 0.123456, 0.9999, 1, 1.5, 10, 12.3456789, 1e-7, 1234567.891, 999_999_999.9994,
            999_999_999.9996, 1e10, 1e16 + 0.5, -0.0, -1, .infinity, .nan,
        ] + (0..<200).map { _ in Double(generator.next() % 10_000_000) / Double(1 + generator.next() % 100_000) }
        var cases: [(String, String, Int, Double)] = []
        for (index, path) in paths.enumerated() {
            for method in methods {
                cases.append((method, path, [200, 304, 404, 503][index % 4], times[(index + cases.count) % times.count]))
            }
        }
        for time in times { cases.append(("GET", "/healthz", 200, time)) }
        let fast = try Self.lines { log in
            for (method, path, status, ms) in cases { log.request(method: method, path: path, status: status, milliseconds: ms) }
        }
        let general = try Self.lines { log in
            for (method, path, status, ms) in cases {
                log.info(
                    "request",
                    [
                        "method": .string(String(method.prefix(20))), "path": .string(String(path.prefix(200))),
                        "status": .int(status), "ms": .double((ms * 1000).rounded() / 1000),
                    ])
            }
        }
        try #require(fast.count == cases.count && general.count == cases.count)
        for (index, (a, b)) in zip(fast, general).enumerated() {
            let left = try #require(Self.withoutTime(a)), right = try #require(Self.withoutTime(b))
            #expect(left.rest == right.rest, "case \(index): \(cases[index])")
            #expect(Timestamp.parse(left.time) != nil, "\(left.time)")
            // Each line is one JSON object.
            #expect((try? JSONParser.parse(a)) != nil, "\(a)")
        }
    }

    @Test func timestamp_IsRFC3339_InUTC_ToTheNearestMillisecond() {
        let expected: [(Double, String)] = [
            (0, "1970-01-01T00:00:00.000Z"), (0.9996, "1970-01-01T00:00:01.000Z"),
            (1_733_500_000.123, "2024-12-06T15:46:40.123Z"), (1_733_500_000.4194, "2024-12-06T15:46:40.419Z"),
            (4_102_444_799.9996, "2100-01-01T00:00:00.000Z"), (951_782_400.5, "2000-02-29T00:00:00.500Z"),
        ]
        for (seconds, text) in expected {
            let date = Date(timeIntervalSince1970: seconds)
            var bytes: [UInt8] = [UInt8(ascii: "x")]
            Timestamp.append(date, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == "x" + text)
            #expect(Timestamp.string(date) == text)
        }
    }
}
