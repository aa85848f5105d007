import Foundation
import Hummingbird
import KMSService
import KeyProviders
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Storage

/// Runs the emulator: opens the store, prepares TLS, binds both listeners, writes `endpoints.json`, and serves until
/// SIGINT or SIGTERM.
public struct Emulator: Sendable {
    public let configuration: EmulatorConfiguration
    public let logger: Logger
    /// The web inspector's start token (random per start): `/_s3emu/ui/?token=…` signs a browser in.
    public let inspectorToken: String

    public init(configuration: EmulatorConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        inspectorToken = InspectorAuth.newToken()
    }

    /// The web inspector's start URL on a listener (`base` is `http://host:port`), with the token.
    public func inspectorURL(base: String) -> String { base + "/_s3emu/ui/?token=" + inspectorToken }

    /// What clients need to reach the emulator, written to `DATA_DIR/endpoints.json` once both ports are bound.
    public struct Endpoints: Codable, Sendable {
        public var http: String
        public var https: String?
        public var ca_cert: String?
        public var region: String
        /// The key module's Unix socket (owner-only), for tools that talk to the module directly.
        public var key_module_socket: String?
    }

    actor Bound {
        var http: Int?
        var https: Int?
        func set(http: Int) { self.http = http }
        func set(https: Int) { self.https = https }
    }

    /// Runs until SIGTERM/SIGINT (when ``EmulatorConfiguration/handlesSignals``), until `shutdown` is triggered, or
    /// until the task is cancelled. `onReady` is called once both listeners are bound.
    public func run(onReady: @escaping @Sendable (Endpoints) -> Void = { _ in }, shutdown: EmulatorShutdown? = nil) async throws {
        let config = configuration
        let dataDir = config.dataDirectory
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
        let lock = try DirectoryLock(directory: dataDir, name: "s3emu.lock")
        defer { lock.release() }
        try? FileManager.default.removeItem(at: dataDir.appendingPathComponent("endpoints.json"))
        let store = try ObjectStore(directory: dataDir.appendingPathComponent("store"))
        let service = S3Service(store: store, configuration: config, logger: logger)
        var kms: KMSService?
        var supervisor: KeyModuleSupervisor?
        var moduleClient: KeyModuleClient?
        if let socket = config.keyModuleSocket {
            let client = KeyModuleClient(socketPath: socket)
            moduleClient = client
            kms = KMSService(backend: client, authenticator: service.authenticator,
                             onKeyChange: { _ in service.bucketKeys.invalidateAll() })
            if let launch = config.keyModuleLaunch {
                let s = KeyModuleSupervisor(launch: launch, client: client, logger: logger)
                try await s.start()
                supervisor = s
            }
        }
        defer { supervisor?.stop() }
        let admin = AdminRoutes(service: service, startedAt: Date(), keyModule: moduleClient,
                                keyProvider: config.keyProvider, allowClockControl: config.allowClockControl,
                                inspector: WebInspector(service: service, keyModule: moduleClient, token: inspectorToken))

        var tls: TLSConfiguration?
        var caPath: String?
        if config.httpsPort != nil {
            if let cert = config.tlsCertificatePath, let key = config.tlsKeyPath {
                tls = try LocalCertificateAuthority.tlsConfiguration(certificatePath: cert, keyPath: key)
            } else {
                let ca = LocalCertificateAuthority(directory: dataDir.appendingPathComponent("tls"))
                if try ca.ensure() { logger.info("generated a local CA at \(ca.caPath)") }
                tls = try LocalCertificateAuthority.tlsConfiguration(certificatePath: ca.serverCertPath, keyPath: ca.serverKeyPath)
                caPath = ca.caPath
            }
        }
        let bound = Bound()
        let caCertificate = caPath
        let expectHTTPS = tls != nil
        let host = config.host
        let announce: @Sendable () async -> Void = {
            let http = await bound.http
            let https = await bound.https
            guard let http, !expectHTTPS || https != nil else { return }
            let endpoints = Endpoints(
                http: "http://\(host):\(http)", https: https.map { "https://\(host):\($0)" }, ca_cert: caCertificate, region: config.region,
                key_module_socket: config.keyModuleSocket)
            do {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                let data = try encoder.encode(endpoints)
                try AtomicFile.write(data, to: dataDir.appendingPathComponent("endpoints.json").path)
            } catch {
                logger.error("could not write endpoints.json: \(error)")
            }
            onReady(endpoints)
        }
        let http1 = HTTPServerBuilder.http1(configuration: .init(additionalChannelHandlers: [
            Expect100ContinueHandler(), LargeReadsHandler(), HeaderOverflowHandler()]))
        // Not over TLS: with 1 MiB socket reads the TLS path held far more memory for large bodies (peak RSS of a
        // 512 MiB HTTPS PUT 177 MiB, 72 MiB without) at no gain in throughput.
        let https1 = HTTPServerBuilder.http1(
            configuration: .init(additionalChannelHandlers: [Expect100ContinueHandler(), HeaderOverflowHandler()]))
        var services: [any Service] = []
        let plain = Application(
            responder: S3Responder(service: service, admin: admin, kms: kms, isTLS: false), server: http1,
            configuration: .init(address: .hostname(host, port: config.httpPort), serverName: nil),
            onServerRunning: { channel in
                await bound.set(http: channel.localAddress?.port ?? config.httpPort)
                await announce()
            }, logger: quietLogger())
        services.append(plain)
        if let tls, let httpsPort = config.httpsPort {
            let secure = Application(
                responder: S3Responder(service: service, admin: admin, kms: kms, isTLS: true),
                server: try .tls(https1, tlsConfiguration: tls),
                configuration: .init(address: .hostname(host, port: httpsPort), serverName: nil),
                onServerRunning: { channel in
                    await bound.set(https: channel.localAddress?.port ?? httpsPort)
                    await announce()
                }, logger: quietLogger())
            services.append(secure)
        }
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: config.handlesSignals ? [.sigterm, .sigint] : [], logger: logger))
        await shutdown?.attach(group)
        defer { store.blobs.waitForReleases() }  // replaced objects' files go now rather than at the next start
        try await group.run()
    }

    /// The HTTP framework's logger: warnings and errors only, its per-request metadata formatted only when printed.
    func quietLogger() -> Logger {
        var l = logger
        l.handler = MetadataOnDemandLogHandler(wrapping: logger.handler)
        l.logLevel = max(logger.logLevel, .warning)
        return l
    }
}

/// Stops a running ``Emulator`` gracefully from elsewhere (embedding: `S3EmulatorTesting`): listeners close, requests
/// in flight finish. Triggering before the emulator started makes it stop as soon as it does.
public actor EmulatorShutdown {
    private var group: ServiceGroup?
    private var requested = false

    public init() {}

    /// Asks the emulator to shut down.
    public func trigger() async {
        requested = true
        await group?.triggerGracefulShutdown()
    }

    func attach(_ group: ServiceGroup) async {
        self.group = group
        if requested { await group.triggerGracefulShutdown() }
    }
}
