import Foundation
import Glibc

/// `morphic serve` as a child process on a loopback port chosen by the system, stopped by
/// the test that started it.
final class ServerProcess {
    let process = Process()
    let port: Int
    let dataDirectory: String
    private let output = Pipe()

    /// The `morphic` executable built next to the test bundle.
    static var executable: String {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("morphic").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return folder.appendingPathComponent(".build/debug/morphic").path
    }

    static var packageFolder: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// Starts a server on `dataDirectory` and waits until it says where it listens.
    init(dataDirectory: String, config: String? = nil, environment: [String: String] = [:], workers: Int = 2) throws {
        self.dataDirectory = dataDirectory
        process.executableURL = URL(fileURLWithPath: Self.executable)
        var arguments = ["serve", "--port", "0", "--data-dir", dataDirectory, "--workers", String(workers)]
        if let config { arguments += ["--config", config] }
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: Self.packageFolder)
        var variables = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MORPHIC_") }
        variables.merge(environment) { $1 }
        process.environment = variables
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        var seen = ""
        let deadline = Date().addingTimeInterval(30)
        var found: Int?
        while found == nil && Date() < deadline && process.isRunning {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }
            seen += String(decoding: data, as: UTF8.self)
            if let range = seen.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                found = Int(seen[range].split(separator: ":").last!)
            }
        }
        guard let found else {
            process.terminate()
            throw ServerError(description: "the server did not start: \(seen)")
        }
        port = found
    }

    struct ServerError: Error, CustomStringConvertible {
        let description: String
    }

    deinit { kill() }

    /// SIGKILL: no chance to clean up.
    func kill() {
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// SIGTERM, then waits; returns the exit status.
    func terminate() -> Int32 {
        Glibc.kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// An HTTP exchange with `Connection: close`.
    func request(
        _ method: String, _ path: String, body: [UInt8]? = nil, headers: [String: String] = [:]
    ) throws -> (status: Int, headers: [String: String], body: [UInt8]) {
        let client = try Client(port: port)
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        client.send(Array((head + "\r\n").utf8) + (body ?? []))
        let raw = client.readAll()
        guard let split = raw.firstRange(of: Array("\r\n\r\n".utf8)) else { throw ServerError(description: "no response") }
        let lines = String(decoding: raw[..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(lines[0].split(separator: " ")[1])!
        var fields: [String: String] = [:]
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            fields[parts[0].lowercased()] = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        }
        return (status, fields, Array(raw[split.upperBound...]))
    }

    /// GET a JSON document.
    func json(_ path: String) throws -> [String: Any] {
        let response = try request("GET", path)
        return try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] ?? [:]
    }

    /// Polls a sweep until its status is `wanted` (or fails after `timeout` seconds).
    func wait(for id: String, status wanted: String, timeout: Double = 120) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let status = try json("/api/sweeps/\(id)")
            if status["status"] as? String == wanted { return status }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw ServerError(description: "sweep \(id) did not reach \(wanted)")
    }

    /// A minimal blocking client.
    final class Client {
        let descriptor: Int32

        init(port: Int) throws {
            descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard result == 0 else {
                close(descriptor)
                throw ServerError(description: "cannot connect to port \(port)")
            }
            var timeout = timeval(tv_sec: 30, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        deinit { close(descriptor) }

        func send(_ bytes: [UInt8]) {
            var offset = 0
            while offset < bytes.count {
                let sent = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if sent <= 0 { return }
                offset += sent
            }
        }

        func readAll() -> [UInt8] {
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                if count <= 0 { return received }
                received += buffer[0..<count]
            }
        }
    }
}

/// Runs a shell command; throws with its output when it fails.
@discardableResult
func shell(_ command: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = ["-c", command]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw ServerProcess.ServerError(description: "`\(command)` failed: \(output)") }
    return output
}

/// A fresh temporary folder.
func temporaryFolder() throws -> String {
    let path = NSTemporaryDirectory() + "morphic-server-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Every file under `folder` (relative path → bytes).
func tree(_ folder: String) throws -> [String: Data] {
    var files: [String: Data] = [:]
    guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return files }
    for case let path as String in enumerator {
        var isFolder: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: folder + "/" + path, isDirectory: &isFolder)
        if !isFolder.boolValue { files[path] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + path)) }
    }
    return files
}
