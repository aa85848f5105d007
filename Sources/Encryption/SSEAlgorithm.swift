/// A value of `x-amz-server-side-encryption` (and of `SSEAlgorithm` in a bucket encryption rule).
///
/// Matching is case-sensitive: `aes256` is not `AES256` (E-S1).
public enum SSEAlgorithm: String, Sendable, CaseIterable, Hashable, Codable {
    /// SSE-S3.
    case aes256 = "AES256"
    /// SSE-KMS.
    case kms = "aws:kms"
    /// DSSE-KMS (dual-layer).
    case kmsDSSE = "aws:kms:dsse"

    /// Whether this algorithm uses a KMS key (`aws:kms` or `aws:kms:dsse`).
    public var usesKMS: Bool { self != .aes256 }
}
