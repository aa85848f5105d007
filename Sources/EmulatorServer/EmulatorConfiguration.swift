import Foundation
import KeyProviders

/// Settings of a running emulator.
public struct EmulatorConfiguration: Sendable {
    /// Where buckets, objects, certificates and `endpoints.json` live.
    public var dataDirectory: URL
    /// Listen address of both listeners.
    public var host: String = "127.0.0.1"
    /// Plain HTTP port (0 picks a free one).
    public var httpPort: Int = 9000
    /// HTTPS port (0 picks a free one; nil turns HTTPS off).
    public var httpsPort: Int? = 9443
    /// Access key → secret key.
    public var credentials: [String: String]
    public var region: String = "us-east-1"
    /// Accept unsigned requests.
    public var allowAnonymous = false
    /// PEM certificate chain and key to serve instead of the generated ones.
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    /// Host suffixes for virtual-hosted-style addressing.
    public var baseDomains = ["s3.localhost", "localhost"]

    /// The key module's socket (the KMS API and the default key provider talk to it).
    public var keyModuleSocket: String?
    /// How to start and supervise the module; nil when it was started separately.
    public var keyModuleLaunch: KeyModuleLaunch?
    /// The key provider the encryption modes use (the key module's by default).
    public var keyProvider: (any KeyProvider)?
    /// Accept `POST /_s3emu/clock` to move the key module's clock forward (tests of rotation and deletion).
    public var allowClockControl = false

    /// Account id in ARNs (KMS keys, policy principals).
    public var accountId = "123456789012"
    /// Encrypt objects written without an encryption header with SSE-S3, as S3 does since 2023 (false restores the
    /// older unencrypted default for buckets without a default-encryption rule).
    public var defaultEncryption = true
    /// Accept SSE-C over plain HTTP (behind a TLS-terminating proxy).
    public var allowSSECOverHTTP = false
    /// New buckets block SSE-C writes, as S3 does since April 2026 (false: the older behaviour).
    public var blockSSECOnNewBuckets = true
    /// Shut down gracefully on SIGTERM and SIGINT. An emulator embedded in a test process leaves the signals to the
    /// host and stops when its task is cancelled.
    public var handlesSignals = true

    public static let defaultAccessKey = "s3emu-access-key"
    public static let defaultSecretKey = "s3emu-secret-key-for-local-testing-only"

    public init(dataDirectory: URL, credentials: [String: String] = [defaultAccessKey: defaultSecretKey]) {
        self.dataDirectory = dataDirectory
        self.credentials = credentials
    }
}
