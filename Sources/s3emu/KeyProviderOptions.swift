import ArgumentParser
import Foundation
import KeyCore
import KeyProviders

/// Which key provider the encryption modes use, and its settings (shared by `serve` and `keyprovider`).
struct KeyProviderOptions: ParsableArguments {
    static let env = ProcessInfo.processInfo.environment

    @Option(help: "Key provider: keymodule (default), pkcs11, kms-endpoint or static-file (env S3EMU_KEY_PROVIDER).")
    var keyProvider: String = env["S3EMU_KEY_PROVIDER"] ?? "keymodule"

    @Option(help: "PKCS#11 module library (env S3EMU_PKCS11_MODULE).")
    var pkcs11Module: String = env["S3EMU_PKCS11_MODULE"] ?? PKCS11KeyProvider.Configuration.defaultLibraryPath

    @Option(help: "PKCS#11 token label (env S3EMU_PKCS11_TOKEN).")
    var pkcs11Token: String?

    @Option(help: "File holding the PKCS#11 user PIN (or set S3EMU_PKCS11_PIN).")
    var pkcs11PinFile: String?

    @Option(help: "Label of the root key on the token; created non-extractable if missing.")
    var pkcs11KeyLabel: String = env["S3EMU_PKCS11_KEY_LABEL"] ?? "s3emu-root"

    @Option(help: "AWS-KMS-compatible endpoint URL (env S3EMU_KMS_ENDPOINT). Credentials: S3EMU_KMS_ENDPOINT_ACCESS_KEY / S3EMU_KMS_ENDPOINT_SECRET_KEY, else AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.")
    var kmsEndpoint: String?

    @Option(help: "Region of the KMS endpoint (env S3EMU_KMS_ENDPOINT_REGION).")
    var kmsEndpointRegion: String = env["S3EMU_KMS_ENDPOINT_REGION"] ?? env["AWS_DEFAULT_REGION"] ?? "us-east-1"

    @Option(help: "Default key id of the KMS endpoint (env S3EMU_KMS_ENDPOINT_KEY_ID; default alias/aws/s3).")
    var kmsEndpointKeyId: String?

    @Option(help: "CA bundle (PEM) to trust for an https KMS endpoint.")
    var kmsEndpointCaBundle: String?

    @Option(help: "Root key file of the static-file provider (32 raw bytes, 64 hex or base64; created if missing).")
    var staticKeyFile: String?

    /// Builds the provider; `moduleClient` serves the `keymodule` choice.
    func makeProvider(moduleClient: @autoclosure () -> KeyModuleClient) throws -> any KeyProvider {
        switch keyProvider {
        case "keymodule":
            return KeyModuleProvider(client: moduleClient())
        case "pkcs11":
            guard let token = pkcs11Token ?? Self.env["S3EMU_PKCS11_TOKEN"] else { throw ValidationError("--key-provider pkcs11 needs --pkcs11-token.") }
            let pin: SecretBytes
            if let file = pkcs11PinFile {
                guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("Cannot read \(file).") }
                pin = SecretBytes(Array(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).utf8))
            } else if let p = Self.env["S3EMU_PKCS11_PIN"] {
                pin = SecretBytes(Array(p.utf8))
            } else {
                throw ValidationError("--key-provider pkcs11 needs --pkcs11-pin-file or S3EMU_PKCS11_PIN.")
            }
            return try PKCS11KeyProvider(configuration: .init(libraryPath: pkcs11Module, tokenLabel: token, userPIN: pin, rootKeyLabel: pkcs11KeyLabel))
        case "kms-endpoint":
            guard let url = kmsEndpoint ?? Self.env["S3EMU_KMS_ENDPOINT"] else { throw ValidationError("--key-provider kms-endpoint needs --kms-endpoint.") }
            guard let access = Self.env["S3EMU_KMS_ENDPOINT_ACCESS_KEY"] ?? Self.env["AWS_ACCESS_KEY_ID"],
                let secret = Self.env["S3EMU_KMS_ENDPOINT_SECRET_KEY"] ?? Self.env["AWS_SECRET_ACCESS_KEY"]
            else { throw ValidationError("--key-provider kms-endpoint needs credentials (S3EMU_KMS_ENDPOINT_ACCESS_KEY / S3EMU_KMS_ENDPOINT_SECRET_KEY).") }
            return try ExternalKMSProvider(.init(
                endpoint: url, region: kmsEndpointRegion, accessKeyId: access, secretAccessKey: secret,
                sessionToken: Self.env["AWS_SESSION_TOKEN"], defaultKeyId: kmsEndpointKeyId ?? Self.env["S3EMU_KMS_ENDPOINT_KEY_ID"],
                caBundlePath: kmsEndpointCaBundle))
        case "static-file":
            guard let path = staticKeyFile ?? Self.env["S3EMU_STATIC_KEY_FILE"] else { throw ValidationError("--key-provider static-file needs --static-key-file.") }
            return try StaticKeyFileProvider(path: path, create: true)
        default:
            throw ValidationError("Unknown key provider \(keyProvider): use keymodule, pkcs11, kms-endpoint or static-file.")
        }
    }
}

/// `s3emu keyprovider check | bench`: try a key provider's round trip, or measure its rate.
struct KeyProviderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keyprovider", abstract: "Check or measure a key provider (the keys the encryption modes use).",
        subcommands: [Check.self, Bench.self])

    struct Target: ParsableArguments {
        @OptionGroup var provider: KeyProviderOptions

        @Option(help: "Data directory of a running serve, to find the key module's socket (env S3EMU_DATA_DIR).")
        var dataDir: String = ProcessInfo.processInfo.environment["S3EMU_DATA_DIR"] ?? "./s3emu-data"

        @Option(help: "The key module's socket (default: the one named in DATA_DIR/endpoints.json).")
        var keymoduleSocket: String?

        @Option(help: "Key id to use (default: the provider's default key).")
        var keyId: String?

        func socketPath() -> String {
            if let keymoduleSocket { return keymoduleSocket }
            let dir = URL(fileURLWithPath: dataDir)
            if let data = FileManager.default.contents(atPath: dir.appendingPathComponent("endpoints.json").path),
                let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let s = o["key_module_socket"] as? String {
                return s
            }
            return KeyModuleSocketPath.choose(moduleDirectory: dir.appendingPathComponent("keymodule").standardizedFileURL.path)
        }

        func make() throws -> any KeyProvider { try provider.makeProvider(moduleClient: KeyModuleClient(socketPath: socketPath())) }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Describe the key, then seal and unseal a data key with a context.")
        @OptionGroup var target: Target

        func run() async throws {
            let p = try target.make()
            do throws(KMSFault) {
                let d = try await p.describeKey(target.keyId, caller: "keyprovider-check")
                print("provider: \(p.name)\nkey:      \(d.keyId) (\(d.state))")
                let context = ["s3emu:check": UUID().uuidString]
                let key = try await p.generateDataKey(keyId: target.keyId, context: context, caller: "keyprovider-check")
                let back = try await p.decryptDataKey(key.sealed, keyId: nil, context: context, caller: "keyprovider-check")
                guard back == key.plaintext else { throw KMSFault.internalError("the unsealed data key differs") }
                print("data key: sealed \(key.sealed.count) bytes, unsealed and matched")
                let refused: KMSFault? = await {
                    do throws(KMSFault) {
                        _ = try await p.decryptDataKey(key.sealed, keyId: nil, context: ["s3emu:check": "other"], caller: "keyprovider-check")
                        return nil
                    } catch { return error }
                }()
                guard refused?.type == "InvalidCiphertextException" else {
                    throw KMSFault.internalError("a wrong encryption context was not refused as InvalidCiphertextException")
                }
                print("context:  a different context is refused (InvalidCiphertextException)")
                print("OK")
            } catch {
                FileHandle.standardError.write(Data("key provider check failed: \(error.type): \(error.message)\n".utf8))
                throw ExitCode(1)
            }
        }
    }

    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Measure data-key generate and decrypt rates (prints JSON).")
        @OptionGroup var target: Target
        @Option(help: "Seconds per operation.") var seconds: Double = 3
        @Option(help: "Requests in flight.") var inFlight: Int = 8

        func run() async throws {
            let p = try target.make()
            let context = ["aws:s3:arn": "arn:aws:s3:::bench/object"]
            let sample = try await p.generateDataKey(keyId: target.keyId, context: context, caller: "bench")
            let keyId = target.keyId
            func measure(_ op: @escaping @Sendable () async throws -> Void) async throws -> Double {
                let end = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
                let start = ContinuousClock.now
                let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<inFlight {
                        group.addTask {
                            var n = 0
                            while ContinuousClock.now < end { try await op(); n += 1 }
                            return n
                        }
                    }
                    return try await group.reduce(0, +)
                }
                let elapsed = ContinuousClock.now - start
                return Double(counts) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            }
            let generate = try await measure { _ = try await p.generateDataKey(keyId: keyId, context: context, caller: "bench") }
            let sealed = sample.sealed
            let decrypt = try await measure { _ = try await p.decryptDataKey(sealed, keyId: nil, context: context, caller: "bench") }
            print("{\"provider\":\"\(p.name)\",\"in_flight\":\(inFlight),\"generate_per_s\":\(Int(generate)),\"decrypt_per_s\":\(Int(decrypt))}")
        }
    }
}
