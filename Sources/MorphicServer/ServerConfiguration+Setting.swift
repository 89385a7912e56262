import MorphicData

extension ServerConfiguration {
    /// One setting being read, so that every refusal names the setting and where it came from.
    struct Setting {
        /// `port`, `limits.max_body_bytes`, …
        let name: String
        let value: JSON
        /// The file or environment variable.
        let source: String

        func fail(_ expected: String) -> Error { Error(description: "\(source): \(name) must be \(expected)") }

        func integer(_ range: ClosedRange<Int>) throws -> Int {
            guard let number = value.intValue, range.contains(number) else {
                throw fail("an integer in \(range.lowerBound)...\(range.upperBound)")
            }
            return number
        }

        func seconds() throws -> Double {
            guard let number = value.doubleValue, number > 0, number <= 3600 else { throw fail("seconds in (0, 3600]") }
            return number
        }
    }
}
