import ArgumentParser
import ClientSideEncryption
import ClientSideTransfer
import EmulatorServer
import Foundation
import KeyCore
import KeyProviders
import S3Wire

#if canImport(Glibc)
import Glibc
#endif

/// `s3emu cse put|get|inspect`: client-side encryption in the AWS S3 Encryption Client's formats, against any S3
/// endpoint (this emulator by default) and any AWS-KMS-compatible endpoint (the same one by default).
struct CSECommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cse",
        abstract: "Client-side encryption: encrypt locally and upload, download and decrypt, show an object's envelope.",
        discussion: """
            Objects are written in the S3 Encryption Client's V3 format (key-committing, what the official clients \
            write by default) or V2, and read in V1, V2 and V3. The server only ever sees ciphertext.
            """,
        subcommands: [Put.self, Get.self, Inspect.self])

    /// Where S3 and KMS are and how to sign for them.
    struct Connection: ParsableArguments {
        @Option(help: "S3 endpoint URL (env AWS_ENDPOINT_URL; default http://127.0.0.1:9000).")
        var endpoint: String = ProcessInfo.processInfo.environment["AWS_ENDPOINT_URL"] ?? "http://127.0.0.1:9000"

        @Option(help: "KMS endpoint URL (default: the S3 endpoint; the emulator serves both).")
        var kmsEndpoint: String?

        @Option(name: .customLong("ca-bundle"), help: "PEM CA bundle to trust for https (env AWS_CA_BUNDLE).")
        var caBundleOption: String?

        var caBundle: String? { caBundleOption ?? ProcessInfo.processInfo.environment["AWS_CA_BUNDLE"] }

        @Option(help: "Access key id (env AWS_ACCESS_KEY_ID; default: the emulator's default key).")
        var accessKey: String = ProcessInfo.processInfo.environment["AWS_ACCESS_KEY_ID"] ?? EmulatorConfiguration.defaultAccessKey

        @Option(help: "Secret access key (env AWS_SECRET_ACCESS_KEY; default: the emulator's default secret).")
        var secretKey: String = ProcessInfo.processInfo.environment["AWS_SECRET_ACCESS_KEY"] ?? EmulatorConfiguration.defaultSecretKey

        @Option(help: "Signing region (env AWS_REGION or AWS_DEFAULT_REGION).")
        var region: String = ProcessInfo.processInfo.environment["AWS_REGION"] ?? ProcessInfo.processInfo.environment["AWS_DEFAULT_REGION"] ?? "us-east-1"

        var sessionToken: String? { ProcessInfo.processInfo.environment["AWS_SESSION_TOKEN"] }

        func s3Client() throws(ClientSideError) -> S3ObjectClient {
            try S3ObjectClient(
                endpoint: S3Endpoint(
                    url: endpoint, region: region, accessKeyId: accessKey, secretAccessKey: secretKey, sessionToken: sessionToken,
                    caBundlePath: caBundle))
        }
    }

    /// Which key wraps the data keys.
    struct KeyChoice: ParsableArguments {
        @Option(help: "KMS key: key id, key ARN, alias/NAME or alias ARN (wrap kms+context).")
        var kmsKey: String?

        @Option(help: "File holding a raw AES-256 wrapping key: 32 bytes, or 64 hex digits (wrap AES/GCM).")
        var aesKeyFile: String?

        @Option(help: "PEM RSA key: private (put and get) or public (put only) (wrap RSA-OAEP-SHA1).")
        var rsaKey: String?

        @Option(name: .customLong("context"), help: "k=v: KMS encryption context, or material description for AES/RSA keys (repeatable).")
        var contextPairs: [String] = []

        func context() throws -> [String: String] {
            var out: [String: String] = [:]
            for pair in contextPairs {
                guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
                    throw ValidationError("--context takes key=value, not '\(pair)'")
                }
                out[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
            }
            return out
        }

        func keyring(_ connection: Connection) throws -> any Keyring {
            let chosen = [kmsKey != nil, aesKeyFile != nil, rsaKey != nil].filter { $0 }.count
            guard chosen == 1 else { throw ValidationError("Give exactly one of --kms-key, --aes-key-file, --rsa-key.") }
            if let kmsKey {
                let endpoint = connection.kmsEndpoint ?? connection.endpoint
                let provider = try ExternalKMSProvider(
                    ExternalKMSProvider.Configuration(
                        endpoint: endpoint, region: connection.region, accessKeyId: connection.accessKey,
                        secretAccessKey: connection.secretKey, sessionToken: connection.sessionToken,
                        caBundlePath: endpoint.lowercased().hasPrefix("https:") ? connection.caBundle : nil, timeout: .seconds(30)))
                return KMSKeyring(provider: provider, keyId: kmsKey)
            }
            if let aesKeyFile {
                guard let data = FileManager.default.contents(atPath: aesKeyFile) else { throw ClientSideError.io("cannot read the AES key file \(aesKeyFile)") }
                var bytes = Array(data)
                let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                if bytes.count != 32, text.count == 64, let decoded = [UInt8](hex: text) { bytes = decoded }
                guard bytes.count == 32 else {
                    throw ClientSideError.io("\(aesKeyFile) must hold a 32-byte AES-256 key, raw or as 64 hex digits")
                }
                return try AESKeyring(wrappingKey: SecretBytes(bytes))
            }
            guard let rsaKey, let pem = try? String(contentsOfFile: rsaKey, encoding: .utf8) else {
                throw ClientSideError.io("cannot read the RSA key file \(rsaKey ?? "") as PEM text")
            }
            return try RSAKeyring(pem: pem)
        }
    }

    static func location(_ uri: String) throws -> S3Location {
        guard let location = S3Location(uri: uri) else { throw ValidationError("'\(uri)' is not s3://bucket/key.") }
        return location
    }

    /// Runs `body` with an S3 client that is shut down afterwards, whatever happens.
    static func withS3<T>(_ connection: Connection, _ body: (S3ObjectClient) async throws -> T) async throws -> T {
        let s3 = try connection.s3Client()
        do {
            let result = try await body(s3)
            await s3.shutdown()
            return result
        } catch {
            await s3.shutdown()
            throw error
        }
    }

    /// Runs `body`, printing a ``ClientSideError`` as `s3emu cse: error: …` and exiting 1.
    static func reporting(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as ClientSideError {
            FileHandle.standardError.write(Data("s3emu cse: error: \(error)\n".utf8))
            throw ExitCode(1)
        } catch let error as KMSFault {
            FileHandle.standardError.write(Data("s3emu cse: error: \(error.type): \(error.message)\n".utf8))
            throw ExitCode(1)
        }
    }

    struct Put: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Encrypt a file (or - for standard input) and upload it.")

        @Argument(help: "The file to encrypt, or - for standard input.") var source: String
        @Argument(help: "s3://bucket/key") var destination: String
        @OptionGroup var connection: Connection
        @OptionGroup var key: KeyChoice
        @Option(help: "Format to write: v3 (key-committing, default) or v2.") var format: String = "v3"
        @Flag(help: "Put the envelope in <key>.instruction instead of the object's metadata.") var instructionFile = false
        @Option(help: "Plaintext MiB per part for multipart uploads (at least 5).") var partSize: Int = 8
        @Option(help: "Parts uploaded at once.") var concurrency: Int = 3
        @Flag(help: "No progress bar.") var quiet = false

        func run() async throws {
            let location = try CSECommand.location(destination)
            guard let version = ["v3": FormatVersion.v3, "v2": .v2][format.lowercased()] else { throw ValidationError("--format is v3 or v2.") }
            guard partSize >= 5 else { throw ValidationError("--part-size must be at least 5 (MiB), S3's minimum part size.") }
            var options = S3EncryptionClient.PutOptions()
            options.format = version
            options.context = try key.context()
            options.instructionFile = instructionFile
            options.partSize = partSize << 20
            options.concurrency = max(1, concurrency)
            try await CSECommand.reporting {
                let fd = source == "-" ? STDIN_FILENO : open(source, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { throw ClientSideError.io("cannot open \(source): \(String(cString: strerror(errno)))") }
                defer { if fd != STDIN_FILENO { close(fd) } }
                var info = stat()
                let size: Int64? = fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG ? Int64(info.st_size) : nil
                let keyring = try key.keyring(connection)
                let bar = ProgressBar(enabled: !quiet, verb: "encrypting and uploading")
                defer { bar.finish() }
                let result = try await CSECommand.withS3(connection) { s3 in
                    try await S3EncryptionClient(s3: s3, cryptor: EnvelopeCryptor(keyring: keyring))
                        .putObject(location, readingFrom: fd, size: size, options: options, progress: bar.update)
                }
                let how = result.parts == 0 ? "single PUT" : "\(result.parts) parts"
                let envelopeWhere = instructionFile ? ", envelope in \(location.key).instruction" : ""
                print("\(location): \(result.plaintextBytes) bytes, \(result.metadata.version.rawValue) \(result.metadata.wrapAlgorithm.rawValue), \(how)\(envelopeWhere)")
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download and decrypt an object into a file (or - for standard output).",
            discussion: "The output appears only after the whole object authenticated; on any error nothing is written.")

        @Argument(help: "s3://bucket/key") var source: String
        @Argument(help: "The file to write, or - for standard output.") var destination: String
        @OptionGroup var connection: Connection
        @OptionGroup var key: KeyChoice
        @Option(help: "Plaintext byte range A-B (inclusive). Not authenticated: GCM's tag covers the whole object.") var range: String?
        @Flag(help: "Allow legacy modes: V1 and AES/CBC content, and the kms, AESWrap and RSA-OAEP-SHA256 key wraps.") var legacy = false
        @Flag(help: "Refuse objects without key commitment (V1, V2).") var requireCommitment = false
        @Option(help: "Suffix of instruction files.") var instructionSuffix = ".instruction"
        @Flag(help: "No progress bar.") var quiet = false

        func run() async throws {
            let location = try CSECommand.location(source)
            var options = S3EncryptionClient.GetOptions()
            options.context = try key.context()
            options.instructionSuffix = instructionSuffix
            if let range {
                let parts = range.split(separator: "-", omittingEmptySubsequences: false)
                guard parts.count == 2, let first = Int64(parts[0]), let last = Int64(parts[1]), first >= 0, last >= first else {
                    throw ValidationError("--range is A-B with 0 <= A <= B.")
                }
                options.range = first...last
            }
            try await CSECommand.reporting {
                let policy = EnvelopeCryptor.ReadPolicy(allowLegacy: legacy, requireCommitment: requireCommitment)
                let keyring = try key.keyring(connection)
                let bar = ProgressBar(enabled: !quiet && destination != "-", verb: "downloading and decrypting")
                defer { bar.finish() }
                let result = try await CSECommand.withS3(connection) { s3 in
                    try await S3EncryptionClient(s3: s3, cryptor: EnvelopeCryptor(keyring: keyring, readPolicy: policy))
                        .getObject(location, to: destination, options: options, progress: bar.update)
                }
                if options.range != nil {
                    FileHandle.standardError.write(Data(
                        "s3emu cse: warning: the \(result.plaintextBytes) bytes of this range read were not authenticated (the GCM tag covers the whole object)\n".utf8))
                }
                if destination != "-" {
                    print("\(location): \(result.plaintextBytes) bytes, \(result.metadata.version.rawValue) \(result.metadata.wrapAlgorithm.rawValue)")
                }
            }
        }
    }

    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an object's client-side envelope (no key needed).")

        @Argument(help: "s3://bucket/key") var source: String
        @OptionGroup var connection: Connection
        @Option(help: "Suffix of instruction files.") var instructionSuffix = ".instruction"
        @Flag(help: "One JSON object instead of text.") var json = false

        func run() async throws {
            let location = try CSECommand.location(source)
            try await CSECommand.reporting {
                let (head, metadata, raw) = try await CSECommand.withS3(connection) { s3 in
                    let head = try await s3.headObject(location)
                    let client = S3EncryptionClient(s3: s3, cryptor: EnvelopeCryptor(keyring: NoKeyring()))
                    let (metadata, raw) = try await client.envelope(of: location, head: head, suffix: instructionSuffix)
                    return (head, metadata, raw)
                }
                let summary = EnvelopeSummary(metadata: metadata, rawKeys: raw)
                if json {
                    print(summary.json(storedBytes: head.contentLength))
                } else {
                    print(summary.text(location: location, storedBytes: head.contentLength))
                }
            }
        }
    }
}

/// Inspection needs no key; this keyring refuses everything.
private struct NoKeyring: Keyring {
    var kind: String { "no" }
    var wrapAlgorithm: KeyWrapAlgorithm { .kmsContext }
    func makeDataKey(format: FormatVersion, context: [String: String]) async throws(ClientSideError) -> WrappedDataKey {
        throw .io("no key given")
    }
    func unwrapDataKey(_ metadata: ContentMetadata, context: [String: String], allowLegacy: Bool) async throws(ClientSideError) -> SecretBytes {
        throw .io("no key given")
    }
}

/// A one-line progress bar on standard error, drawn only when it is a terminal.
final class ProgressBar: @unchecked Sendable {
    private let enabled: Bool
    private let verb: String
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false
    private let lock = NSLock()

    init(enabled: Bool, verb: String) {
        self.enabled = enabled && isatty(STDERR_FILENO) == 1
        self.verb = verb
    }

    var update: S3EncryptionClient.Progress {
        { [self] done, total in draw(done: done, total: total) }
    }

    private func draw(done: Int64, total: Int64?) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) > 0.1 || done == total else { return }
        lastDraw = now
        let seconds = max(now.timeIntervalSince(start), 0.001)
        let rate = Double(done) / seconds / 1_048_576
        var line = "\r\(verb): \(Self.mib(done))"
        if let total, total > 0 {
            let fraction = min(1, Double(done) / Double(total))
            let width = 30
            let filled = Int(fraction * Double(width))
            line += " / \(Self.mib(total)) [" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "] "
            line += String(format: "%3.0f%%", fraction * 100)
        }
        line += String(format: "  %.0f MiB/s ", rate)
        FileHandle.standardError.write(Data(line.utf8))
        drawn = true
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    private static func mib(_ bytes: Int64) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
}
