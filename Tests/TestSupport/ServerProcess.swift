import Foundation
import Glibc

/// `morphic serve` as a child process on a loopback port chosen by the system, stopped by
/// the test that started it.
public final class ServerProcess {
    public let process = Process()
    public let port: Int
    public let dataDirectory: String
    private let output = Pipe()

    /// The `morphic` executable built next to the test bundle.
    public static var executable: String {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "morphic"
        ).path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return folder.appendingPathComponent(".build/debug/morphic").path
    }

    public static var packageFolder: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    /// Starts a server on `dataDirectory` and waits until it says where it listens.
    /// `descriptorLimit` runs it under `prlimit --nofile`. `closingOutput`: standard error is
    /// a pipe too, and both pipes' readers are closed once the server listens.
    public init(
        dataDirectory: String, config: String? = nil, environment: [String: String] = [:], workers: Int = 2,
        descriptorLimit: Int? = nil, logFile: String? = nil, closingOutput: Bool = false
    ) throws {
        self.dataDirectory = dataDirectory
        var arguments = ["serve", "--port", "0", "--data-dir", dataDirectory, "--workers", String(workers)]
        if let config { arguments += ["--config", config] }
        if let descriptorLimit {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
            process.arguments = ["--nofile=\(descriptorLimit):\(descriptorLimit)", Self.executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: Self.executable)
            process.arguments = arguments
        }
        process.currentDirectoryURL = URL(fileURLWithPath: Self.packageFolder)
        var variables = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MORPHIC_") }
        variables.merge(environment) { $1 }
        process.environment = variables
        process.standardOutput = output
        let errors = Pipe()
        if closingOutput {
            process.standardError = errors
        } else if let logFile {
            _ = FileManager.default.createFile(atPath: logFile, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: logFile)
        } else {
            process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        }
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
        if closingOutput {
            try output.fileHandleForReading.close()
            try errors.fileHandleForReading.close()
        }
    }

    public struct ServerError: Error, CustomStringConvertible {
        public let description: String
    }

    deinit { kill() }

    /// SIGKILL: no chance to clean up.
    public func kill() {
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// SIGTERM, then waits; returns the exit status.
    public func terminate() -> Int32 {
        Glibc.kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Resident memory of the server now, in bytes.
    public var residentBytes: Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    /// Open descriptors of the server now.
    public var openDescriptors: Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.processIdentifier)/fd").count) ?? -1
    }

    /// An HTTP exchange with `Connection: close`.
    public func request(
        _ method: String, _ path: String, body: [UInt8]? = nil, headers: [String: String] = [:]
    ) throws -> (status: Int, headers: [String: String], body: [UInt8]) {
        let client = try LoopbackClient(port: port, timeout: 30)
        var head = "\(method) \(path) HTTP/1.1\r\nConnection: close\r\n"
        if headers["Host"] == nil { head += "Host: 127.0.0.1\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body {
            if headers["Content-Type"] == nil { head += "Content-Type: application/json\r\n" }
            head += "Content-Length: \(body.count)\r\n"
        }
        client.send(Array((head + "\r\n").utf8) + (body ?? []))
        let raw = client.read().bytes
        guard let split = raw.firstRange(of: Array("\r\n\r\n".utf8)) else {
            throw ServerError(description: "no response")
        }
        let lines = String(decoding: raw[..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(lines[0].split(separator: " ")[1])!
        var fields: [String: String] = [:]
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            fields[parts[0].lowercased()] = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        }
        let body = Array(raw[split.upperBound...])
        let bodiless = method == "HEAD" || status == 304 || status == 204
        return (status, fields, fields["transfer-encoding"] == "chunked" && !bodiless ? try Self.dechunked(body) : body)
    }

    /// The payload of a body in chunked transfer coding; an error when it is cut short
    /// (no last, empty chunk), as a client must treat a truncated answer.
    public static func dechunked(_ body: [UInt8]) throws -> [UInt8] {
        var payload: [UInt8] = []
        var index = 0
        while let line = body[index...].firstRange(of: [0x0D, 0x0A]),
            let size = Int(String(decoding: body[index..<line.lowerBound], as: UTF8.self), radix: 16),
            line.upperBound + size + 2 <= body.count
        {
            if size == 0 { return payload }
            payload += body[line.upperBound..<line.upperBound + size]
            index = line.upperBound + size + 2
        }
        throw ServerError(description: "a chunked body cut short after \(payload.count) bytes")
    }

    /// GET a JSON document.
    public func json(_ path: String) throws -> [String: Any] {
        let response = try request("GET", path)
        return try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] ?? [:]
    }

    /// Polls a sweep until its status is one of `wanted`, or fails after `timeout` seconds
    /// naming the status it last read.
    public func wait(for id: String, status wanted: String..., timeout: Double = 120) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        var last = "no status"
        while Date() < deadline {
            let status = try json("/api/sweeps/\(id)")
            last = status["status"] as? String ?? "no status"
            if let waiting = status["waiting"] as? String { last += " (\(waiting))" }
            if wanted.contains(status["status"] as? String ?? "") { return status }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw ServerError(description: "sweep \(id) did not reach \(wanted.joined(separator: " or ")) in \(timeout) s: it is \(last)")
    }
}
