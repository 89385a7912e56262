import Foundation
import MorphicServer
import TestSupport
import Testing

@Suite struct ServerConfigurationTests {
    func write(_ text: String) throws -> String {
        let folder = try temporaryFolder()
        let path = folder + "/server.json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func shippedConfig_IsAccepted() throws {
        var configuration = ServerConfiguration()
        try configuration.apply(file: ServerProcess.packageFolder + "/Config/server.json")
        #expect(configuration.port == 8080 && configuration.isLoopback && configuration.apiToken == nil)
        var slurm = ServerConfiguration()
        try slurm.apply(file: ServerProcess.packageFolder + "/Config/server-slurm.json")
        #expect(slurm.executor == .slurm && slurm.slurm.shards == 16)
    }

    @Test func environment_OverridesTheFile() throws {
        var configuration = ServerConfiguration()
        try configuration.apply(file: try write(#"{"port": 9000, "data_dir": "from-file"}"#))
        try configuration.apply(environment: ["MORPHIC_PORT": "9100", "MORPHIC_API_TOKEN": "a-token-of-sixteen+"])
        #expect(configuration.port == 9100)
        #expect(configuration.dataDirectory == "from-file")
        #expect(configuration.apiToken == "a-token-of-sixteen+")
    }

    @Test(arguments: [
        (#"{"colour": 1}"#, "unknown setting 'colour'"),
        (#"{"port": 70000}"#, "port must be an integer in 0...65535"),
        (#"{"limits": {"max_body_bytes": 10}}"#, "limits.max_body_bytes must be"),
        (#"{"limits": {"header_timeout_seconds": 0}}"#, "limits.header_timeout_seconds must be seconds"),
        (#"{"api_token": "short"}"#, "api_token must be a string of at least 16 characters"),
        (#"{"executor": "cloud"}"#, "executor must be"),
        (#"{"slurm": {"binary": "morphic"}}"#, "slurm.binary must be an absolute path"),
        (#"{"llm": {"endpoint": "ftp://x", "model": "m"}}"#, "llm must be"),
        (#"{"notify": {"allowed_hosts": "x"}}"#, "notify must be"),
        ("{", "server.json"),
    ])
    func badSetting_IsRefusedNamingIt(_ text: String, _ message: String) throws {
        var configuration = ServerConfiguration()
        let path = try write(text)
        do {
            try configuration.apply(file: path)
            Issue.record("accepted \(text)")
        } catch {
            #expect(String(describing: error).contains(message), "\(error)")
        }
        #expect(throws: (any Error).self) {
            try ServerConfiguration().applying(environment: ["MORPHIC_PORT": "eighty"])
        }
    }
}

extension ServerConfiguration {
    func applying(environment: [String: String]) throws -> ServerConfiguration {
        var copy = self
        try copy.apply(environment: environment)
        return copy
    }
}
