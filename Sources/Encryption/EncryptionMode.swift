import S3Wire

/// The encryption a new object gets, resolved from the request and the bucket default (§1.3, §5.2).
///
/// KMS key ids are as sent or configured (key ID, key ARN, alias name or alias ARN); turning them into a key ARN
/// is the key provider's job, and responses carry that ARN (§1.5).
public enum EncryptionMode: Sendable, Equatable {
    /// SSE-S3 (`AES256`).
    case sseS3
    /// SSE-KMS with the key to use (``awsManagedKeyAlias`` when neither request nor bucket names one), the
    /// request's encryption context (decoded, and its header as sent for the echo) and the Bucket Key flag.
    case sseKMS(keyId: String, context: [String: String]?, contextHeader: String?, bucketKeyEnabled: Bool)
    /// DSSE-KMS with the key to use and the request's encryption context.
    case dsseKMS(keyId: String, context: [String: String]?, contextHeader: String?)
    /// SSE-C with the request's validated trio.
    case sseC(SSECustomerKeyHeaders)

    /// The account's AWS managed key for S3, used when no key is named.
    public static let awsManagedKeyAlias = "alias/aws/s3"

    /// The kind, without parameters.
    public var kind: SSEKind {
        switch self {
        case .sseS3: .sseS3
        case .sseKMS: .sseKMS
        case .dsseKMS: .dsseKMS
        case .sseC: .sseC
        }
    }

    /// The KMS key id (SSE-KMS, DSSE-KMS).
    public var kmsKeyId: String? {
        switch self {
        case .sseKMS(let keyId, _, _, _), .dsseKMS(let keyId, _, _): keyId
        default: nil
        }
    }

    /// The request's encryption context (SSE-KMS, DSSE-KMS), as the caller gave it (S3 adds `aws:s3:arn` only
    /// towards KMS, §1.6).
    public var context: [String: String]? {
        switch self {
        case .sseKMS(_, let context, _, _), .dsseKMS(_, let context, _): context
        default: nil
        }
    }

    /// Whether an S3 Bucket Key is used (SSE-KMS only).
    public var bucketKeyEnabled: Bool {
        if case .sseKMS(_, _, _, let enabled) = self { return enabled }
        return false
    }

    /// Chooses the mode of a new object (PutObject, POST, CopyObject destination, CreateMultipartUpload).
    ///
    /// - An SSE-C request is SSE-C, unless the bucket blocks SSE-C: E-C17 from `denial` (plain "Access Denied"
    ///   when `denial` is nil). The bucket default never applies to it.
    /// - An explicit `AES256`/`aws:kms`/`aws:kms:dsse` wins over the default. A KMS request without a key id uses
    ///   the bucket's `KMSMasterKeyID` when the default is `aws:kms` or `aws:kms:dsse` [I], else
    ///   ``awsManagedKeyAlias``.
    /// - No header: the bucket rule (algorithm and key).
    /// - Bucket Key (SSE-KMS only): the request's header (`bucketKeyHeader`, or the one inside `.sseKMS`) when
    ///   sent, else the rule's `BucketKeyEnabled`.
    public static func choose(
        request: SSERequest, bucketKeyHeader: Bool? = nil, rule: BucketEncryptionRule, denial: SSECDenialContext? = nil
    ) throws(S3Error) -> EncryptionMode {
        let bucketKey = { (explicit: Bool?) -> Bool in explicit ?? bucketKeyHeader ?? rule.bucketKeyEnabled }
        let ruleKey = rule.algorithm.usesKMS ? rule.kmsMasterKeyID : nil
        switch request {
        case .sseC(let headers):
            if rule.blocksSSEC { throw denial?.error ?? S3Error.accessDenied }
            return .sseC(headers)
        case .sseS3:
            return .sseS3
        case .sseKMS(let keyId, let context, let contextHeader, let explicit):
            return .sseKMS(
                keyId: keyId ?? ruleKey ?? awsManagedKeyAlias, context: context, contextHeader: contextHeader,
                bucketKeyEnabled: bucketKey(explicit))
        case .dsseKMS(let keyId, let context, let contextHeader):
            return .dsseKMS(keyId: keyId ?? ruleKey ?? awsManagedKeyAlias, context: context, contextHeader: contextHeader)
        case .none:
            switch rule.algorithm {
            case .aes256:
                return .sseS3
            case .kms:
                return .sseKMS(keyId: ruleKey ?? awsManagedKeyAlias, context: nil, contextHeader: nil, bucketKeyEnabled: bucketKey(nil))
            case .kmsDSSE:
                return .dsseKMS(keyId: ruleKey ?? awsManagedKeyAlias, context: nil, contextHeader: nil)
            }
        }
    }

    /// ``choose(request:bucketKeyHeader:rule:denial:)`` for parsed headers.
    public static func choose(
        _ headers: SSERequestHeaders, rule: BucketEncryptionRule, denial: SSECDenialContext? = nil
    ) throws(S3Error) -> EncryptionMode {
        try choose(request: headers.request, bucketKeyHeader: headers.bucketKeyEnabled, rule: rule, denial: denial)
    }
}
