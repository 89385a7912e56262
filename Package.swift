// swift-tools-version:6.2
import PackageDescription

// The core counts cells with popcount: on x86-64, let it be one instruction (Nehalem:
// POPCNT and SSE4.2, every x86 server since 2009). It changes no result: no FMA, no
// reassociation.
#if arch(x86_64)
let coreSettings: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "nehalem"])]
#else
let coreSettings: [SwiftSetting] = []
#endif

let package = Package(
    name: "MorphicLab",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "morphic", targets: ["morphic"]),
        .library(name: "MorphicCore", targets: ["MorphicCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // The simulation model of docs/model.md: standard library, C math, and Dispatch for a
        // large run's bands of rows.
        .target(name: "MorphicCore", dependencies: ["CDraws"], swiftSettings: coreSettings),
        // The field step's draws four at a time, where the processor has 64-bit vector
        // multiplies (AVX-512 DQ and VL), chosen at run time.
        .target(name: "CDraws"),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Streaming gzip on zlib, for dataset archives and HTTP responses.
        .target(name: "Gzip", dependencies: ["CZlib"]),
        // SHA-256's compression with the processor's SHA extensions, where it has them: the
        // manifest's digest of every record.
        .target(name: "CSHA256"),
        // Simulation-based inference on a reference table: quantile regression forests, their
        // calibration and the posterior of an observation (no files, sockets or JSON).
        .target(name: "MorphicInference"),
        // Run records, sweeps, datasets and archives: everything that touches files or JSON.
        .target(name: "MorphicData", dependencies: ["MorphicCore", "MorphicInference", "Gzip", "CSystem", "CSHA256"]),
        // epoll, eventfd, accept4 and syncfs, which Swift's Glibc module leaves out.
        .systemLibrary(name: "CSystem"),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // Outgoing HTTP on libcurl: the language model and sweep notifications.
        .target(name: "HTTPClient", dependencies: ["CCurl"]),
        // llm_control's rule table from an OpenAI-compatible chat-completions endpoint.
        .target(name: "MorphicLLM", dependencies: ["MorphicCore", "MorphicData", "HTTPClient"]),
        // HTTP/1.1 on sockets: a pure request decoder, connection state machine and epoll loops.
        .target(name: "HTTP", dependencies: ["Gzip", "CSystem"]),
        // The job server: REST API, job service, configuration.
        .target(name: "MorphicServer", dependencies: ["MorphicCore", "MorphicData", "MorphicInference", "MorphicLLM", "HTTPClient", "HTTP", "Gzip", "CSystem"]),
        .executableTarget(
            name: "morphic",
            dependencies: [
                "MorphicCore", "MorphicData", "MorphicServer", "MorphicLLM", "MorphicInference",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Helpers shared by the test targets: a loopback client, shell commands, folders.
        .target(name: "TestSupport", dependencies: ["MorphicData"], path: "Tests/TestSupport"),
        .testTarget(name: "MorphicCoreTests", dependencies: ["MorphicCore"]),
        .testTarget(name: "MorphicInferenceTests", dependencies: ["MorphicInference"]),
        .testTarget(
            name: "MorphicDataTests",
            dependencies: ["MorphicData", "MorphicCore", "MorphicInference", "Gzip", "TestSupport"],
            exclude: ["ModelVectors"]
        ),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "Gzip", "TestSupport"]),
        .testTarget(
            name: "MorphicLLMTests",
            dependencies: ["MorphicLLM", "HTTPClient", "HTTP", "MorphicCore", "MorphicData", "MorphicServer", "TestSupport"]),
        .testTarget(name: "MorphicServerTests", dependencies: ["MorphicServer", "MorphicData", "HTTP", "Gzip", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
