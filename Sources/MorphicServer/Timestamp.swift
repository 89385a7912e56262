import Foundation

/// Wall-clock times as API responses show them: RFC 3339 in UTC with milliseconds.
enum Timestamp {
    /// The time to the nearest millisecond. Rounded, not cut: a time read back from its
    /// string lies a hair either side of the millisecond written (a double near 2·10^9
    /// seconds is exact to about 2·10^-7 s), and cutting would make `…419Z` read back as
    /// `…418Z`, so a status and what is made from it would change across a restart.
    static func string(_ date: Date) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        append(date, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends ``string(_:)``'s text for `date` to `bytes`, for lines written as bytes.
    static func append(_ date: Date, to bytes: inout [UInt8]) {
        let total = (date.timeIntervalSince1970 * 1000).rounded()
        var time = time_t((total / 1000).rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        let milliseconds = Int(total - Double(time) * 1000)
        // Written by hand into 24 bytes on the stack, then appended at once: String(format:)
        // costs more than the rest of a status response, and so did appending byte by byte.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { text in
            var at = 0
            func put(_ byte: UInt8) {
                text[at] = byte
                at += 1
            }
            func digits(_ value: Int, _ count: Int) {
                var divisor = 1
                for _ in 1..<count { divisor *= 10 }
                while divisor > 0 {
                    put(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                    divisor /= 10
                }
            }
            digits(Int(parts.tm_year) + 1900, 4)
            put(UInt8(ascii: "-"))
            digits(Int(parts.tm_mon) + 1, 2)
            put(UInt8(ascii: "-"))
            digits(Int(parts.tm_mday), 2)
            put(UInt8(ascii: "T"))
            digits(Int(parts.tm_hour), 2)
            put(UInt8(ascii: ":"))
            digits(Int(parts.tm_min), 2)
            put(UInt8(ascii: ":"))
            digits(Int(parts.tm_sec), 2)
            put(UInt8(ascii: "."))
            digits(milliseconds, 3)
            put(UInt8(ascii: "Z"))
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[..<at]))
        }
    }

    /// The time `text` (as ``string(_:)`` writes it) names.
    static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}
