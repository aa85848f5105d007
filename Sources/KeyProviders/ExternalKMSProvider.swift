import Foundation
import KeyCore
import Logging
import NIOSSL
import S3Wire

/// A ``KeyProvider`` backed by any AWS-KMS-compatible endpoint (AWS KMS itself, moto, LocalStack): SigV4-signed
/// JSON 1.1 `POST /` requests with `X-Amz-Target: TrentService.<Operation>`.
///
/// - `generateDataKey` is `GenerateDataKey` with `KeySpec: AES_256` and the encryption context;
/// - `decryptDataKey` is `Decrypt` (with `KeyId` when one is given, so the endpoint checks it);
/// - `describeKey` is `DescribeKey`, read as `KeyMetadata.Arn` and `KeyMetadata.KeyState`.
///
/// A `nil` key id means ``Configuration/defaultKeyId``, or `alias/aws/s3` when that is unset too.
///
/// Errors: the endpoint's own `__type` and message pass through as a ``KMSFault`` (namespaces before `#` and
/// anything after `:` dropped, `message` or `Message`). An endpoint that cannot be reached (refused, DNS, TLS) gives
/// `KeyUnavailableException`; no answer within ``Configuration/timeout`` gives `DependencyTimeoutException`; an answer
/// that is not JSON gives `KMSInternalException`.
public final class ExternalKMSProvider: KeyProvider {
    /// Where the endpoint is and how to sign for it. `description` never shows the secret key or session token.
    public struct Configuration: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
        /// `http://host:port` or `https://host[:port]`, optionally with a path (requests go to that path, else `/`).
        public var endpoint: String
        /// The SigV4 signing region, e.g. `us-east-1`.
        public var region: String
        public var accessKeyId: String
        /// Never printed.
        public var secretAccessKey: String
        /// The STS session token, for temporary credentials. Never printed.
        public var sessionToken: String?
        /// The key used when a caller names none; `nil` means `alias/aws/s3`.
        public var defaultKeyId: String?
        /// A PEM file of CA certificates trusted for an https endpoint, instead of the system store.
        public var caBundlePath: String?
        /// The longest one operation may take, connect and TLS handshake included.
        public var timeout: Duration

        public init(
            endpoint: String, region: String, accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil,
            defaultKeyId: String? = nil, caBundlePath: String? = nil, timeout: Duration = .seconds(10)
        ) {
            self.endpoint = endpoint
            self.region = region
            self.accessKeyId = accessKeyId
            self.secretAccessKey = secretAccessKey
            self.sessionToken = sessionToken
            self.defaultKeyId = defaultKeyId
            self.caBundlePath = caBundlePath
            self.timeout = timeout
        }

        public var description: String {
            var parts = [
                "endpoint: \(endpoint)", "region: \(region)", "accessKeyId: \(accessKeyId)", "secretAccessKey: <redacted>",
            ]
            if sessionToken != nil { parts.append("sessionToken: <redacted>") }
            parts.append("defaultKeyId: \(defaultKeyId ?? ExternalKMSProvider.awsManagedS3Key)")
            if let caBundlePath { parts.append("caBundlePath: \(caBundlePath)") }
            parts.append("timeout: \(timeout)")
            return "ExternalKMSProvider.Configuration(\(parts.joined(separator: ", ")))"
        }

        public var debugDescription: String { description }
    }

    /// The key a `nil` key id means when no default is configured.
    public static let awsManagedS3Key = "alias/aws/s3"

    public var name: String { "kms-endpoint" }

    /// The configuration this provider was made with.
    public let configuration: Configuration
    private let client: KMSHTTPClient
    private let signer: SigV4Signer
    private let path: String
    private let logger: Logger

    /// Checks the configuration (URL, CA bundle) and prepares the connection; nothing is sent until the first call.
    /// Throws `ValidationException` for an unusable endpoint URL and `KeyUnavailableException` for an unreadable CA
    /// bundle.
    public init(_ configuration: Configuration, logger: Logger = Logger(label: "s3emu.kms-endpoint")) throws(KMSFault) {
        guard let url = URL(string: configuration.endpoint), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            var host = url.host, !host.isEmpty
        else {
            throw .validation("The KMS endpoint '\(configuration.endpoint)' is not an http:// or https:// URL with a host.")
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let https = scheme == "https"
        let port = url.port ?? (https ? 443 : 80)
        guard (1...65535).contains(port) else { throw .validation("The KMS endpoint '\(configuration.endpoint)' has an invalid port.") }
        var tls: NIOSSLContext?
        if https {
            var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
            if let ca = configuration.caBundlePath {
                do {
                    tlsConfiguration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
                } catch {
                    throw .unavailable("Cannot load the CA bundle \(ca) for the KMS endpoint \(configuration.endpoint): \(error)")
                }
            }
            do {
                tls = try NIOSSLContext(configuration: tlsConfiguration)
            } catch {
                throw .unavailable("Cannot set up TLS for the KMS endpoint \(configuration.endpoint): \(error)")
            }
        } else if configuration.caBundlePath != nil {
            logger.warning("A CA bundle is configured for a plain http KMS endpoint; it is not used.")
        }
        self.configuration = configuration
        client = KMSHTTPClient(host: host, port: port, tls: tls)
        signer = SigV4Signer(
            accessKeyId: configuration.accessKeyId, secretAccessKey: configuration.secretAccessKey, sessionToken: configuration.sessionToken,
            region: configuration.region, service: "kms")
        path = url.path.isEmpty ? "/" : url.path
        self.logger = logger
    }

    deinit { client.shutdown() }

    /// How many connections the provider has opened so far (for tests of connection reuse).
    var connectionsOpened: Int { client.connectionsOpened }

    /// Closes the pooled connections. Optional: they are closed when the provider goes away anyway. Later calls
    /// still work, without connection reuse.
    public func shutdown() { client.shutdown() }

    // MARK: KeyProvider

    public func generateDataKey(keyId: String?, context: [String: String], caller: String) async throws(KMSFault) -> DataKey {
        var body: [String: Any] = ["KeyId": resolve(keyId), "KeySpec": "AES_256"]
        if !context.isEmpty { body["EncryptionContext"] = context }
        let answer = try await call("GenerateDataKey", body)
        let plaintext = try Self.member { () throws(KMSFault) in try answer.requiredBlob("Plaintext") }
        let sealed = try Self.member { () throws(KMSFault) in try answer.requiredBlob("CiphertextBlob") }
        let arn = try Self.member { () throws(KMSFault) in try answer.requiredString("KeyId") }
        guard plaintext.count == 32 else {
            throw .internalError("The KMS endpoint returned a \(plaintext.count)-byte data key for KeySpec AES_256.")
        }
        let version = (try? answer.string("KeyMaterialId")) ?? nil
        return DataKey(plaintext: SecretBytes(plaintext), sealed: sealed, keyId: arn, keyVersion: version)
    }

    public func decryptDataKey(_ sealed: [UInt8], keyId: String?, context: [String: String], caller: String) async throws(KMSFault) -> SecretBytes {
        var body: [String: Any] = ["CiphertextBlob": Data(sealed).base64EncodedString()]
        if let keyId { body["KeyId"] = keyId }
        if !context.isEmpty { body["EncryptionContext"] = context }
        let answer = try await call("Decrypt", body)
        return SecretBytes(try Self.member { () throws(KMSFault) in try answer.requiredBlob("Plaintext") })
    }

    public func describeKey(_ keyId: String?, caller: String) async throws(KMSFault) -> KeyDescription {
        let answer = try await call("DescribeKey", ["KeyId": resolve(keyId)])
        guard let metadata = answer["KeyMetadata"] as? [String: Any] else {
            throw .internalError("The KMS endpoint's DescribeKey answer has no KeyMetadata.")
        }
        let fields = JSONObject(metadata)
        let arn = try Self.member { () throws(KMSFault) in try fields.requiredString("Arn") }
        let state = try Self.member { () throws(KMSFault) in try fields.requiredString("KeyState") }
        return KeyDescription(keyId: arn, state: state)
    }

    // MARK: Any operation

    /// Runs any KMS operation (`CreateKey`, `Encrypt`, …) with a JSON body and returns the decoded answer
    /// (`{}` for operations without output). Errors as described on the type.
    public func call(_ operation: String, _ body: [String: Any]) async throws(KMSFault) -> JSONObject {
        let payload: [UInt8]
        do {
            payload = Array(try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes]))
        } catch {
            throw .serialization("The \(operation) request body cannot be written as JSON.")
        }
        let signed = signer.sign(
            method: "POST", path: path,
            headers: [
                ("Content-Type", "application/x-amz-json-1.1"), ("Host", client.hostHeader), ("X-Amz-Target", "TrentService.\(operation)"),
            ],
            body: payload, timestamp: Int64(Date().timeIntervalSince1970))
        let headers = signed.headers.filter { $0.0.lowercased() != "host" } + [("User-Agent", "s3emu-kms-endpoint-provider")]
        let response: KMSHTTPClient.Response
        do {
            response = try await client.send(path: path, headers: headers, body: payload, timeout: configuration.timeout)
        } catch {
            let mapped = fault(for: error)
            logger.debug("KMS \(operation) failed", metadata: ["error": "\(mapped.type)"])
            throw mapped
        }
        if (200..<300).contains(response.status) {
            guard let object = Self.jsonObject(response.body) else {
                throw .internalError(
                    "The KMS endpoint \(configuration.endpoint) answered \(operation) with HTTP \(response.status) and a body that is not a JSON object.")
            }
            return object
        }
        let endpointFault = Self.fault(status: response.status, headers: response.headers, body: response.body, endpoint: configuration.endpoint)
        logger.debug("KMS \(operation) failed", metadata: ["status": "\(response.status)", "error": "\(endpointFault.type)"])
        throw endpointFault
    }

    // MARK: Helpers

    private func resolve(_ keyId: String?) -> String { keyId ?? configuration.defaultKeyId ?? Self.awsManagedS3Key }

    private func fault(for failure: KMSHTTPClient.Failure) -> KMSFault {
        switch failure {
        case .unreachable(let why):
            .unavailable("The KMS endpoint \(configuration.endpoint) is not reachable: \(why)")
        case .timeout:
            KMSFault("DependencyTimeoutException", "The KMS endpoint \(configuration.endpoint) did not answer within \(configuration.timeout).")
        case .broken(let why):
            .unavailable("The KMS endpoint \(configuration.endpoint) did not answer: \(why)")
        case .invalidAnswer(let why):
            .internalError("The KMS endpoint \(configuration.endpoint) sent an invalid answer: \(why)")
        }
    }

    /// An answer's member, a malformed one reported as the endpoint's fault rather than the caller's.
    private static func member<T>(_ read: () throws(KMSFault) -> T) throws(KMSFault) -> T {
        do {
            return try read()
        } catch {
            throw .internalError("The KMS endpoint sent an unexpected answer: \(error.message)")
        }
    }

    /// A JSON object body; an empty body (or moto's `null` for operations without output) is `{}`. `nil` when the
    /// body is anything else.
    static func jsonObject(_ body: [UInt8]) -> JSONObject? {
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return JSONObject() }
        guard let any = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) else { return nil }
        if any is NSNull { return JSONObject() }
        guard let dict = any as? [String: Any] else { return nil }
        return JSONObject(dict)
    }

    /// The ``KMSFault`` an error answer stands for: its `__type` (or `X-Amzn-ErrorType` header) reduced to the bare
    /// code, and its `message` (or `Message`). A body that is not JSON, or JSON without a type, is `KMSInternalException`.
    static func fault(status: Int, headers: [(String, String)], body: [UInt8], endpoint: String) -> KMSFault {
        let object = jsonObject(body)
        let typeText = (object?["__type"] as? String) ?? headers.first { $0.0.lowercased() == "x-amzn-errortype" }?.1
        guard let typeText, case let code = errorCode(typeText), !code.isEmpty else {
            let kind = object == nil ? "a body that is not JSON" : "no error type"
            return .internalError("The KMS endpoint \(endpoint) answered with HTTP \(status) and \(kind).")
        }
        let message = (object?["message"] as? String) ?? (object?["Message"] as? String) ?? ""
        return KMSFault(code, message)
    }

    /// `com.amazonaws.kms#NotFoundException` → `NotFoundException`; `NotFoundException:http://…` → `NotFoundException`.
    static func errorCode(_ type: String) -> String {
        var code = Substring(type)
        if let colon = code.firstIndex(of: ":") { code = code[..<colon] }
        if let hash = code.lastIndex(of: "#") { code = code[code.index(after: hash)...] }
        return String(code.trimmingASCIIWhitespace())
    }
}
