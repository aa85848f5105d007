// swift-tools-version:6.2
// libFuzzer targets for the parsers that face untrusted input. A separate package, so the main build and CI's debug
// build never compile them; `Scripts/fuzz` builds this with `-sanitize=fuzzer,address` and runs each target.
import PackageDescription

let package = Package(
    name: "s3emu-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "s3emu", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "s3emu-fuzz",
            dependencies: [
                .product(name: "S3Wire", package: "s3emu"),
                .product(name: "Encryption", package: "s3emu"),
                .product(name: "BucketPolicy", package: "s3emu"),
                .product(name: "AtRestCrypto", package: "s3emu"),
                .product(name: "KeyCore", package: "s3emu"),
                .product(name: "ClientSideEncryption", package: "s3emu"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        )
    ]
)
