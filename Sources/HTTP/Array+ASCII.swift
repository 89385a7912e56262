extension [UInt8] {
    /// Appends a literal's bytes. Answers and log lines are made of many short literals, and
    /// appending a `String`'s `utf8` goes through a generic copy that costs several times
    /// the bytes it moves.
    @inlinable package mutating func append(literal text: StaticString) {
        append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Appends a string's UTF-8 bytes, copied whole when the string holds them contiguously
    /// (native and small strings do).
    @inlinable package mutating func append(utf8 text: String) {
        let copied: Void? = text.utf8.withContiguousStorageIfAvailable { append(contentsOf: $0) }
        if copied == nil { append(contentsOf: text.utf8) }
    }

    /// Appends a non-negative integer's decimal digits without making a `String` of it;
    /// with `digits`, exactly that many, zero-padded on the left (the value must fit).
    @inlinable package mutating func append(decimal value: Int, digits: Int? = nil) {
        var divisor = 1
        if let digits {
            for _ in 1..<Swift.max(1, digits) { divisor *= 10 }
        } else {
            while divisor <= value / 10 { divisor *= 10 }
        }
        while divisor > 0 {
            append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }
}
