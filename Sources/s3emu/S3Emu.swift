import ArgumentParser
import EmulatorServer
import Foundation
import Logging


struct S3Emu: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "s3emu",
        abstract: "An S3 emulator that speaks the S3 API over HTTP and HTTPS.",
        subcommands: [Serve.self],
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
        let key = accessKey
        let secret = secretKey
        let isDefault = secretKey == EmulatorConfiguration.defaultSecretKey
        try await Emulator(configuration: config, logger: logger).run { endpoints in
            var lines = ["s3emu ready", "  http:   \(endpoints.http)"]
            if let https = endpoints.https { lines.append("  https:  \(https)") }
            lines.append("  region: \(endpoints.region)")
            lines.append("  access key: \(key)")
            if isDefault { lines.append("  secret key: \(secret)   (the built-in development default)") }
            if let ca = endpoints.ca_cert {
                lines.append("  trust the local CA: export AWS_CA_BUNDLE=\(ca)   |  curl --cacert \(ca)  |  aws --ca-bundle \(ca)")
            }
            lines.append("  endpoints file: \(dir.appendingPathComponent("endpoints.json").path)")
            FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        }
    }
}
