import ArgumentParser
import EmulatorServer
import Foundation
import KeyProviders
import Logging


struct S3Emu: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "s3emu",
        abstract: "An S3 emulator that speaks the S3 API over HTTP and HTTPS.",
        subcommands: [Serve.self, KeyModuleCommand.self, AuditCommand.self, KeyProviderCommand.self, InspectCommand.self, CSECommand.self],
        defaultSubcommand: Serve.self)
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the emulator.")

    @Option(help: "Data directory (env S3EMU_DATA_DIR).")
    var dataDir: String = ProcessInfo.processInfo.environment["S3EMU_DATA_DIR"] ?? "./s3emu-data"

    @Option(help: "Listen address for both listeners (env S3EMU_HOST).")
    var host: String = ProcessInfo.processInfo.environment["S3EMU_HOST"] ?? "127.0.0.1"

    @Option(help: "Plain HTTP port; 0 picks a free port (env S3EMU_HTTP_PORT).")
    var httpPort: Int = Int(ProcessInfo.processInfo.environment["S3EMU_HTTP_PORT"] ?? "") ?? 9000

    @Option(help: "HTTPS port; 0 picks a free port, -1 turns HTTPS off (env S3EMU_HTTPS_PORT).")
    var httpsPort: Int = Int(ProcessInfo.processInfo.environment["S3EMU_HTTPS_PORT"] ?? "") ?? 9443

    @Option(help: "Access key (env S3EMU_ACCESS_KEY).")
    var accessKey: String = ProcessInfo.processInfo.environment["S3EMU_ACCESS_KEY"] ?? EmulatorConfiguration.defaultAccessKey

    @Option(help: "Secret key (env S3EMU_SECRET_KEY).")
    var secretKey: String = ProcessInfo.processInfo.environment["S3EMU_SECRET_KEY"] ?? EmulatorConfiguration.defaultSecretKey

    @Option(help: "A file of extra credentials, one 'ACCESS_KEY SECRET_KEY' pair per line (env S3EMU_CREDENTIALS_FILE).")
    var credentialsFile: String?

    @Option(help: "Region (env S3EMU_REGION).")
    var region: String = ProcessInfo.processInfo.environment["S3EMU_REGION"] ?? "us-east-1"

    @Option(help: "PEM certificate chain to serve instead of the generated one.")
    var tlsCert: String?

    @Option(help: "PEM private key for --tls-cert.")
    var tlsKey: String?

    @Flag(help: "Accept unsigned (anonymous) requests.")
    var allowAnonymous = false

    @Option(help: "Account id in KMS key ARNs (env S3EMU_ACCOUNT_ID).")
    var accountId: String = ProcessInfo.processInfo.environment["S3EMU_ACCOUNT_ID"] ?? "123456789012"

    @Option(help: "Use a key module started separately (s3emu keymodule) at this socket instead of supervising one.")
    var keymoduleSocket: String?

    @Option(help: "A file of ≥ 32 random bytes sealing the key store (env S3EMU_MASTER_KEY_FILE; or set S3EMU_KEYMODULE_PASSPHRASE).")
    var masterKeyFile: String?

    @Option(help: "JSON file of KMS keys to create at start, for deterministic key ids (env S3EMU_KMS_SEED_FILE).")
    var kmsSeedFile: String?

    @OptionGroup(title: "Key provider")
    var providerOptions: KeyProviderOptions

    @Flag(help: "Store objects written without an encryption header unencrypted when the bucket has no default-encryption rule (S3 before 2023; env S3EMU_NO_DEFAULT_ENCRYPTION=1).")
    var noDefaultEncryption = false

    @Flag(help: "Accept SSE-C over plain HTTP (behind a TLS-terminating proxy; env S3EMU_SSE_C_OVER_HTTP=1).")
    var sseCOverHttp = false

    @Flag(help: "New buckets accept SSE-C writes (S3 before April 2026; env S3EMU_ALLOW_SSE_C=1).")
    var allowSseC = false

    @Flag(help: "Allow POST /_s3emu/clock to move the key module's clock forward (tests of rotation and deletion).")
    var testClock = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (env S3EMU_LOG_LEVEL).")
    var logLevel: String = ProcessInfo.processInfo.environment["S3EMU_LOG_LEVEL"] ?? "info"

    func validate() throws {
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
    }

    func run() async throws { try await serve() }

    func serve() async throws {
        var logger = Logger(label: "s3emu")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let dir = URL(fileURLWithPath: dataDir, isDirectory: true).standardizedFileURL
        var credentials = [accessKey: secretKey]
        if let credentialsFile = credentialsFile ?? ProcessInfo.processInfo.environment["S3EMU_CREDENTIALS_FILE"] {
            let text = try String(contentsOfFile: credentialsFile, encoding: .utf8)
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," })
                if parts.count == 2 { credentials[String(parts[0])] = String(parts[1]) }
            }
        }
        var config = EmulatorConfiguration(dataDirectory: dir, credentials: credentials)
        config.host = host
        config.httpPort = httpPort
        config.httpsPort = httpsPort < 0 ? nil : httpsPort
        config.region = region
        config.allowAnonymous = allowAnonymous
        config.tlsCertificatePath = tlsCert
        config.tlsKeyPath = tlsKey
        try configureKeyModule(&config, dataDir: dir)
        let env = ProcessInfo.processInfo.environment
        config.accountId = accountId
        config.defaultEncryption = !(noDefaultEncryption || env["S3EMU_NO_DEFAULT_ENCRYPTION"] == "1")
        config.allowSSECOverHTTP = sseCOverHttp || env["S3EMU_SSE_C_OVER_HTTP"] == "1"
        config.blockSSECOnNewBuckets = !(allowSseC || env["S3EMU_ALLOW_SSE_C"] == "1")
        let notes = [
            config.defaultEncryption ? nil : "  note: objects without an encryption header are stored UNENCRYPTED (--no-default-encryption)",
            config.allowSSECOverHTTP ? "  note: SSE-C is accepted over plain HTTP (--sse-c-over-http); customer keys cross the network in the clear" : nil,
            config.blockSSECOnNewBuckets ? nil : "  note: new buckets accept SSE-C writes (--allow-sse-c)",
        ].compactMap { $0 }
        let key = accessKey
        let secret = secretKey
        let isDefault = secretKey == EmulatorConfiguration.defaultSecretKey
        let emulator = Emulator(configuration: config, logger: logger)
        try await emulator.run { endpoints in
            var lines = ["s3emu ready", "  http:   \(endpoints.http)"]
            if let https = endpoints.https { lines.append("  https:  \(https)") }
            lines.append("  region: \(endpoints.region)")
            lines.append("  access key: \(key)")
            if isDefault { lines.append("  secret key: \(secret)   (the built-in development default)") }
            if let ca = endpoints.ca_cert {
                lines.append("  trust the local CA: export AWS_CA_BUNDLE=\(ca)   |  curl --cacert \(ca)  |  aws --ca-bundle \(ca)")
            }
            lines.append("  endpoints file: \(dir.appendingPathComponent("endpoints.json").path)")
            lines.append("  inspector: \(emulator.inspectorURL(base: endpoints.http))   (web UI; also on https, or HTTP Basic with an access key)")
            lines += notes
            FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        }
    }

    /// The key module: supervised as a child process unless `--keymodule-socket` names one already running.
    func configureKeyModule(_ config: inout EmulatorConfiguration, dataDir: URL) throws {
        let env = ProcessInfo.processInfo.environment
        config.allowClockControl = testClock || env["S3EMU_TEST_CLOCK"] == "1"
        if let socket = keymoduleSocket ?? env["S3EMU_KEYMODULE_SOCKET"] {
            config.keyModuleSocket = socket
        } else {
            let moduleDir = dataDir.appendingPathComponent("keymodule")
            let socket = KeyModuleSocketPath.choose(moduleDirectory: moduleDir.path)
            config.keyModuleSocket = socket
            var args = ["keymodule", "--dir", moduleDir.path, "--socket", socket, "--region", region, "--account-id", accountId, "--supervised"]
            if let f = masterKeyFile ?? env["S3EMU_MASTER_KEY_FILE"] { args += ["--master-key-file", f] }
            if let f = kmsSeedFile ?? env["S3EMU_KMS_SEED_FILE"] { args += ["--seed-file", f] }
            if config.allowClockControl { args.append("--allow-clock-control") }
            config.keyModuleLaunch = KeyModuleLaunch(executable: Self.executablePath(), arguments: args)
        }
        config.keyProvider = try providerOptions.makeProvider(moduleClient: KeyModuleClient(socketPath: config.keyModuleSocket!))
    }

    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

/// Unix socket paths are limited to ~107 bytes: a deep data directory gets its socket under /tmp instead.
enum KeyModuleSocketPath {
    static func choose(moduleDirectory: String) -> String {
        let preferred = moduleDirectory + "/keymodule.sock"
        if preferred.utf8.count <= 100 { return preferred }
        var h: UInt64 = 0xcbf29ce484222325
        for b in moduleDirectory.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        return "/tmp/s3emu-\(getuid())/\(String(h, radix: 16)).sock"
    }
}
