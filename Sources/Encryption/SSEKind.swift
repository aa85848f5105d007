/// The four ways an object can be encrypted at rest, without their parameters.
public enum SSEKind: String, Sendable, CaseIterable, Hashable, Codable {
    /// Amazon S3 managed keys (`AES256`).
    case sseS3
    /// AWS KMS keys (`aws:kms`).
    case sseKMS
    /// Dual-layer AWS KMS (`aws:kms:dsse`).
    case dsseKMS
    /// Customer-provided keys.
    case sseC

    /// The `x-amz-server-side-encryption` value S3 reports for this kind (nil for SSE-C, which reports none).
    public var headerValue: String? {
        switch self {
        case .sseS3: SSEAlgorithm.aes256.rawValue
        case .sseKMS: SSEAlgorithm.kms.rawValue
        case .dsseKMS: SSEAlgorithm.kmsDSSE.rawValue
        case .sseC: nil
        }
    }

    /// Whether objects of this kind get a random ETag instead of the plaintext MD5 (§4.1).
    public var hasRandomETag: Bool { self != .sseS3 }

    /// Whether requests on objects of this kind must use TLS and SigV4 (§1.7, E-K7/E-K8).
    public var requiresKMSTransport: Bool { self == .sseKMS || self == .dsseKMS }
}
