/// numpy's `.npy` format, version 1.0: a header naming the element type and shape, then the
/// elements in C order. Only plain types are written, so `np.load` needs no pickle.
enum NumpyArray {
    /// Element types the datasets use.
    enum ElementType {
        /// `<f8`: little-endian float64.
        case float64
        /// `<i8`: little-endian int64.
        case int64
        /// `|u1`: bytes (bit-packed grid rows).
        case uint8
        /// `<U<n>`: fixed-width text of at most n characters (UTF-32).
        case text(Int)

        var descriptor: String {
            switch self {
            case .float64: "<f8"
            case .int64: "<i8"
            case .uint8: "|u1"
            case .text(let width): "<U\(width)"
            }
        }
    }

    /// The header of an array of `type` and `shape`, padded so the data starts at a
    /// multiple of 64 bytes.
    static func header(_ type: ElementType, shape: [Int]) -> [UInt8] {
        let dimensions =
            shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var text = "{'descr': '\(type.descriptor)', 'fortran_order': False, 'shape': \(dimensions), }"
        let unpadded = 10 + text.utf8.count + 1
        text += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        bytes.le16(text.utf8.count)
        return bytes + Array(text.utf8)
    }

    /// A float64 element.
    static func append(_ value: Double, to bytes: inout [UInt8]) {
        let bits = value.bitPattern
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
    }

    /// A text element of `width` characters (ASCII here: run ids).
    static func append(_ text: String, width: Int, to bytes: inout [UInt8]) {
        var count = 0
        for scalar in text.unicodeScalars.prefix(width) {
            let value = Int(scalar.value)
            bytes.le32(value)
            count += 1
        }
        bytes += [UInt8](repeating: 0, count: 4 * (width - count))
    }
}
