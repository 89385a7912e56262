// swift-tools-version:6.0
import PackageDescription

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
        // The simulation model of MODEL.md: standard library and C math only.
        .target(name: "MorphicCore"),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Run records, sweeps, datasets and archives: everything that touches files or JSON.
        .target(name: "MorphicData", dependencies: ["MorphicCore", "CZlib"]),
        .executableTarget(
            name: "morphic",
            dependencies: [
                "MorphicCore", "MorphicData",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "MorphicCoreTests", dependencies: ["MorphicCore"]),
        .testTarget(
            name: "MorphicDataTests",
            dependencies: ["MorphicData", "MorphicCore"],
            exclude: ["ModelVectors"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
