/// What the encryption headers of one request ask for, for the object it writes or reads.
///
/// Produced by ``SSERequestHeaders/parse(_:operation:blockedSSEC:)``. On writes it is the explicit choice that
/// ``EncryptionMode/choose(request:bucketKeyHeader:rule:denial:)`` resolves against the bucket default; on reads
/// and part requests only `.none` and `.sseC` occur.
public enum SSERequest: Sendable, Equatable {
    /// No encryption header: the bucket default applies to a write; a read carries no key.
    case none
    /// `x-amz-server-side-encryption: AES256`.
    case sseS3
    /// `x-amz-server-side-encryption: aws:kms`, with the optional key id (as sent), the decoded encryption context
    /// and its header as sent (echoed on the response), and the bucket-key header when present.
    case sseKMS(keyId: String?, context: [String: String]?, contextHeader: String?, bucketKeyEnabled: Bool?)
    /// `x-amz-server-side-encryption: aws:kms:dsse` (Bucket Keys do not apply).
    case dsseKMS(keyId: String?, context: [String: String]?, contextHeader: String?)
    /// The SSE-C trio.
    case sseC(SSECustomerKeyHeaders)

    /// The kind of encryption explicitly requested (nil for `.none`).
    public var kind: SSEKind? {
        switch self {
        case .none: nil
        case .sseS3: .sseS3
        case .sseKMS: .sseKMS
        case .dsseKMS: .dsseKMS
        case .sseC: .sseC
        }
    }

    /// The SSE-C trio, when this is `.sseC`.
    public var customerKey: SSECustomerKeyHeaders? {
        if case .sseC(let headers) = self { return headers }
        return nil
    }
}
