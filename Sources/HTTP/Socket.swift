/// A socket file descriptor as a value. Every system call on it lives in `Socket+Glibc.swift`.
public struct Socket: Hashable, Sendable {
    /// The file descriptor.
    public let descriptor: Int32

    /// Wraps a descriptor.
    public init(descriptor: Int32) { self.descriptor = descriptor }

    /// What a read returned.
    public enum ReadResult: Equatable {
        /// This many bytes were read.
        case bytes(Int)
        /// Nothing to read now.
        case wouldBlock
        /// The peer closed its side, or the connection failed.
        case closed
    }

    /// A failed system call, naming it.
    public struct Error: Swift.Error, CustomStringConvertible {
        /// The call that failed.
        public let call: String
        /// errno.
        public let code: Int32
        /// The call and the system's message.
        public var description: String
    }
}
