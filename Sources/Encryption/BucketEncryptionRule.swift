/// The one rule of a bucket's default-encryption configuration (§5).
public struct BucketEncryptionRule: Sendable, Equatable, Codable {
    /// `SSEAlgorithm` of `ApplyServerSideEncryptionByDefault`: what objects written without SSE headers get.
    public var algorithm: SSEAlgorithm
    /// `KMSMasterKeyID` exactly as configured (key ID, key ARN or alias; not validated). Only with `aws:kms` or
    /// `aws:kms:dsse`; nil means the AWS managed key `aws/s3`.
    public var kmsMasterKeyID: String?
    /// `BucketKeyEnabled` (false when not configured).
    public var bucketKeyEnabled: Bool
    /// `BlockedEncryptionTypes`; nil when the element is absent.
    public var blockedEncryptionTypes: [BlockedEncryptionType]?

    /// A rule; the defaults are the never-configured SSE-S3 rule without `BlockedEncryptionTypes`.
    public init(
        algorithm: SSEAlgorithm = .aes256, kmsMasterKeyID: String? = nil, bucketKeyEnabled: Bool = false,
        blockedEncryptionTypes: [BlockedEncryptionType]? = nil
    ) {
        self.algorithm = algorithm
        self.kmsMasterKeyID = kmsMasterKeyID
        self.bucketKeyEnabled = bucketKeyEnabled
        self.blockedEncryptionTypes = blockedEncryptionTypes
    }

    /// Whether SSE-C uploads to the bucket are refused (E-C17).
    public var blocksSSEC: Bool { blockedEncryptionTypes?.contains(.sseC) ?? false }

    /// The rule of a bucket that was never configured: SSE-S3, no Bucket Key; SSE-C blocked when
    /// `blockSSEC` (buckets created since April 2026), else no `BlockedEncryptionTypes` (the older behaviour).
    public static func neverConfigured(blockSSEC: Bool) -> BucketEncryptionRule {
        BucketEncryptionRule(blockedEncryptionTypes: blockSSEC ? [.sseC] : nil)
    }
}
