// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "s3emu",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "s3emu", targets: ["s3emu"]),
        .library(name: "S3Wire", targets: ["S3Wire"]),
        .library(name: "Storage", targets: ["Storage"]),
        .library(name: "EmulatorServer", targets: ["EmulatorServer"]),
        .library(name: "KeyCore", targets: ["KeyCore"]),
        .library(name: "KeyModule", targets: ["KeyModule"]),
        .library(name: "KeyProviders", targets: ["KeyProviders"]),
        .library(name: "KMSService", targets: ["KMSService"]),
        .library(name: "AtRestCrypto", targets: ["AtRestCrypto"]),
        .library(name: "Encryption", targets: ["Encryption"]),
        .library(name: "BucketPolicy", targets: ["BucketPolicy"]),
        .library(name: "ClientSideEncryption", targets: ["ClientSideEncryption"]),
        .library(name: "ClientSideTransfer", targets: ["ClientSideTransfer"]),
        .library(name: "S3EmulatorTesting", targets: ["S3EmulatorTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // Optimised in debug builds too: a debug server (CI's) hashes and checksums every body through it.
        .target(name: "CChecksum", cSettings: [.unsafeFlags(["-O2"])], linkerSettings: [.linkedLibrary("z")]),
        .target(name: "CFileSync"),
        .target(name: "CProcessTuning"),
        .target(name: "CPKCS11", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "CAEAD", linkerSettings: [.linkedLibrary("crypto")]),
        .target(name: "AtRestCrypto", dependencies: ["CAEAD", "KeyCore", .product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "KeyCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto"), .product(name: "NIOCore", package: "swift-nio")]
        ),
        .target(
            name: "KeyModule",
            dependencies: [
                "KeyCore", "CFileSync", "AtRestCrypto",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "KeyProviders",
            dependencies: [
                "KeyCore", "CPKCS11", "S3Wire",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "BucketPolicy", dependencies: ["S3Wire"]),
        .target(
            name: "ClientSideEncryption",
            dependencies: [
                "CAEAD", "KeyCore", "KeyProviders",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(name: "Encryption", dependencies: ["S3Wire", "KeyCore", .product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "KMSService",
            dependencies: ["KeyCore", "KeyProviders", "S3Wire"]
        ),
        .target(
            name: "S3Wire",
            dependencies: [
                "CChecksum",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(
            name: "Storage",
            dependencies: [
                "CFileSync",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "EmulatorServer",
            dependencies: [
                "S3Wire", "Storage", "KeyCore", "KeyProviders", "KMSService", "Encryption", "AtRestCrypto", "BucketPolicy",
                "ClientSideEncryption",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "s3emu",
            dependencies: [
                "EmulatorServer", "KeyModule", "KeyProviders", "KeyCore", "S3Wire", "ClientSideEncryption", "ClientSideTransfer",
                "CProcessTuning",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "S3WireTests",
            dependencies: ["S3Wire", .product(name: "Crypto", package: "swift-crypto"), .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "StorageTests",
            dependencies: ["Storage", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "KeyModuleTests",
            dependencies: ["KeyModule", "KeyCore", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(
            name: "KeyProvidersTests",
            dependencies: [
                "KeyProviders", "KeyModule", "KeyCore", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "BucketPolicyTests", dependencies: ["BucketPolicy", "S3Wire"]),
        .testTarget(name: "CProcessTuningTests", dependencies: ["CProcessTuning"]),
        .testTarget(
            name: "EmulatorServerTests",
            dependencies: [
                "EmulatorServer", "AtRestCrypto", "Storage", "KeyProviders", "KeyCore",
                .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ]
        ),
        .testTarget(name: "EncryptionTests", dependencies: ["Encryption", "S3Wire", "KeyCore", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(
            name: "KMSServiceTests",
            dependencies: ["KMSService", "KeyModule", "KeyProviders", "KeyCore", "S3Wire"]
        ),
        .target(
            name: "ClientSideTransfer",
            dependencies: [
                "ClientSideEncryption", "KeyCore", "S3Wire",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(
            name: "ClientSideEncryptionTests",
            dependencies: ["ClientSideEncryption", "KeyCore", "KeyProviders", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "S3EmulatorTesting",
            dependencies: [
                "EmulatorServer", "KeyModule", "KeyProviders",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "ClientSideTransferTests", dependencies: ["ClientSideTransfer"]),
        .testTarget(
            name: "S3EmulatorTestingTests",
            dependencies: [
                "S3EmulatorTesting", "ClientSideTransfer", "ClientSideEncryption", "KeyProviders", "KeyCore",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "AtRestCryptoTests",
            dependencies: ["AtRestCrypto", "KeyCore", .product(name: "Crypto", package: "swift-crypto")]
        ),
    ]
)
