import EmulatorServer
import Foundation
import KeyModule
import KeyProviders
import Logging
import NIOPosix

/// The whole emulator inside the current process, for tests: S3 and KMS on HTTP and HTTPS (port 0), a key module
/// on a private Unix socket, a temporary data directory, all gone after ``shutdown()``.
///
/// ```swift
/// import S3EmulatorTesting
///
/// @Test func uploadsAreEncrypted() async throws {
///     try await TestEmulator.with { emulator in
///         // point any S3 client at emulator.httpURL (or httpsURL, trusting emulator.caCertificatePath)
///         // with emulator.accessKeyId / emulator.secretAccessKey in emulator.region
///     }
/// }
/// ```
///
/// The key module runs in-process here (the `s3emu` binary runs it as a separate process); everything else is the
/// same code the binary runs.
public final class TestEmulator: Sendable {
    /// What to start.
    public struct Options: Sendable {
        /// Also listen on HTTPS (a local CA is generated in the data directory).
        public var https = true
        public var region = "us-east-1"
        public var accessKeyId = "test-access-key"
        public var secretAccessKey = "test-secret-key"
        /// Objects without an encryption header get SSE-S3, as S3 does since 2023.
        public var defaultEncryption = true
        /// New buckets accept SSE-C (S3 blocks it on new buckets since April 2026).
        public var allowSSEC = false
        /// Accept SSE-C over plain HTTP.
        public var sseCOverHTTP = false
        /// Accept `POST /_s3emu/clock` (rotation and deletion-window tests).
        public var allowClockControl = false
        /// Log level of the emulator's logger (warnings only by default).
        public var logLevel: Logger.Level = .warning

        public init() {}
    }

    /// `http://127.0.0.1:PORT`: S3 and the KMS JSON API.
    public let httpURL: String
    /// `https://127.0.0.1:PORT`, when ``Options/https``.
    public let httpsURL: String?
    /// The PEM CA certificate that signed the HTTPS certificate (pass it as `AWS_CA_BUNDLE`, `--cacert`, …).
    public let caCertificatePath: String?
    public let region: String
    public let accessKeyId: String
    public let secretAccessKey: String
    /// The temporary data directory (objects, metadata, certificates, the key store and its audit trail).
    public let dataDirectory: URL

    private let server: Task<Void, any Error>
    private let stopper: EmulatorShutdown
    private let keyModule: Task<Void, any Error>

    private init(
        endpoints: Emulator.Endpoints, options: Options, dataDirectory: URL, server: Task<Void, any Error>, stopper: EmulatorShutdown,
        keyModule: Task<Void, any Error>
    ) {
        httpURL = endpoints.http
        httpsURL = endpoints.https
        caCertificatePath = endpoints.ca_cert
        region = endpoints.region
        accessKeyId = options.accessKeyId
        secretAccessKey = options.secretAccessKey
        self.dataDirectory = dataDirectory
        self.server = server
        self.stopper = stopper
        self.keyModule = keyModule
    }

    /// Starts an emulator and returns once both listeners answer.
    public static func start(_ options: Options = Options()) async throws -> TestEmulator {
        // Short, private paths: Unix socket paths are limited to ~107 bytes.
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("s3emu-test-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var logger = Logger(label: "s3emu.test")
        logger.logLevel = options.logLevel

        let moduleDirectory = directory.appendingPathComponent("keymodule")
        try FileManager.default.createDirectory(at: moduleDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let socket = moduleDirectory.appendingPathComponent("keymodule.sock").path
        let engine = try KeyEngine(
            storePath: moduleDirectory.appendingPathComponent("keystore.sealed").path, masterKey: .development,
            auditPath: moduleDirectory.appendingPathComponent("audit.jsonl").path,
            configuration: .init(region: options.region, allowClockControl: options.allowClockControl))
        let moduleLogger = logger
        let (moduleBound, moduleBoundContinuation) = AsyncStream<Void>.makeStream()
        let keyModule = Task {
            try await KeyModuleServer.serve(engine: engine, socketPath: socket, group: MultiThreadedEventLoopGroup.singleton, logger: moduleLogger) {
                moduleBoundContinuation.yield()
                moduleBoundContinuation.finish()
            }
        }
        for await _ in moduleBound { break }

        var configuration = EmulatorConfiguration(dataDirectory: directory, credentials: [options.accessKeyId: options.secretAccessKey])
        configuration.httpPort = 0
        configuration.httpsPort = options.https ? 0 : nil
        configuration.region = options.region
        configuration.keyModuleSocket = socket
        configuration.keyProvider = KeyModuleProvider(client: KeyModuleClient(socketPath: socket))
        configuration.allowClockControl = options.allowClockControl
        configuration.defaultEncryption = options.defaultEncryption
        configuration.blockSSECOnNewBuckets = !options.allowSSEC
        configuration.allowSSECOverHTTP = options.sseCOverHTTP
        configuration.handlesSignals = false
        let (ready, readyContinuation) = AsyncStream<Emulator.Endpoints>.makeStream()
        let emulator = Emulator(configuration: configuration, logger: logger)
        let stopper = EmulatorShutdown()
        let server = Task {
            defer { readyContinuation.finish() }
            try await emulator.run(onReady: { endpoints in readyContinuation.yield(endpoints) }, shutdown: stopper)
        }
        var endpoints: Emulator.Endpoints?
        for await announced in ready {
            endpoints = announced
            break
        }
        guard let endpoints else {
            keyModule.cancel()
            let failure: any Error
            do {
                try await server.value
                failure = TestEmulatorError.stoppedBeforeReady
            } catch {
                failure = error
            }
            try? FileManager.default.removeItem(at: directory)
            throw failure
        }
        return TestEmulator(
            endpoints: endpoints, options: options, dataDirectory: directory, server: server, stopper: stopper, keyModule: keyModule)
    }

    /// Runs `body` with a fresh emulator and shuts it down afterwards, whatever `body` does.
    public static func with<T: Sendable>(_ options: Options = Options(), _ body: (TestEmulator) async throws -> T) async throws -> T {
        let emulator = try await start(options)
        do {
            let result = try await body(emulator)
            await emulator.shutdown()
            return result
        } catch {
            await emulator.shutdown()
            throw error
        }
    }

    /// Stops both listeners and the key module and removes the data directory.
    public func shutdown() async {
        await stopper.trigger()
        _ = try? await server.value
        keyModule.cancel()
        _ = try? await keyModule.value
        try? FileManager.default.removeItem(at: dataDirectory)
    }
}

/// Why an emulator did not start.
public enum TestEmulatorError: Error, CustomStringConvertible {
    case stoppedBeforeReady

    public var description: String { "the emulator stopped before its listeners were ready" }
}
