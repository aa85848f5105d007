import Foundation
import S3Wire

/// The validated encryption headers of one request: the target object's request, the copy-source SSE-C trio and
/// the bucket-key header.
///
/// Parsing is pure and follows `docs/s3-sse-semantics.md` §3.4. Transport checks (E-C1, E-K7, E-K8) come first
/// and live in ``SSETransport``; callers of reads load the object before parsing, so NoSuchKey wins over E-S2.
public struct SSERequestHeaders: Sendable, Equatable {
    /// What the request asks for the object it writes (destination of a copy) or reads.
    public var request: SSERequest
    /// The copy-source SSE-C trio (CopyObject, UploadPartCopy), when sent.
    public var copySource: SSECustomerKeyHeaders?
    /// `x-amz-server-side-encryption-bucket-key-enabled` as sent, on operations that choose encryption. It
    /// overrides the bucket rule's `BucketKeyEnabled` even when the mode comes from the bucket default (§1.3 step 5).
    public var bucketKeyEnabled: Bool?

    /// Headers from their parts (tests, stored state).
    public init(request: SSERequest, copySource: SSECustomerKeyHeaders? = nil, bucketKeyEnabled: Bool? = nil) {
        self.request = request
        self.copySource = copySource
        self.bucketKeyEnabled = bucketKeyEnabled
    }

    /// Parses and validates the encryption headers of `head` for `operation`.
    ///
    /// Order (§3.4 step 3 for writes, step 4 syntax for reads):
    /// 1. SSE/KMS headers on an operation that does not take them (E-S2): `x-amz-server-side-encryption` on
    ///    UploadPart(Copy), CompleteMultipartUpload and reads; on reads also the KMS key id, context and
    ///    bucket-key headers. ListParts ignores them.
    /// 2. Unknown `x-amz-server-side-encryption` value (E-S1).
    /// 3. SSE-C headers together with `x-amz-server-side-encryption` (E-C2).
    /// 4. SSE-C headers when `blockedSSEC` is given, i.e. the bucket blocks SSE-C (E-C17), on data writes only.
    /// 5. KMS key id, then context, without `aws:kms`/`aws:kms:dsse` (E-K1).
    /// 6. Context format (E-K2).
    /// 7. Target SSE-C trio: E-C4, E-C3, E-C5, E-C6, E-C7, then E-C8 on writes.
    /// 8. Copy-source SSE-C trio (CopyObject, UploadPartCopy): E-C4, E-C3, E-C5, E-C6, E-C7 (no length check:
    ///    a wrong-length copy-source key is reported as the wrong key, E-C15).
    ///
    /// An empty KMS key id header counts as absent.
    public static func parse(
        _ head: RequestHead, operation: SSEOperation, blockedSSEC: SSECDenialContext? = nil
    ) throws(S3Error) -> SSERequestHeaders {
        let sseValue = head.header(SSEHeader.serverSideEncryption)
        let hasCustomerKey = SSECustomerKeyHeaders.anyPresent(head, names: SSEHeader.customerTrio)

        if operation.isObjectRead {
            let kmsHeaders = [SSEHeader.serverSideEncryption, SSEHeader.kmsKeyID, SSEHeader.context, SSEHeader.bucketKeyEnabled]
            if kmsHeaders.contains(where: { head.header($0) != nil }) { throw SSEErrors.sseHeaderNotSupported }
        } else if operation.rejectsSSEHeader, sseValue != nil {
            throw SSEErrors.sseHeaderNotSupported
        }

        var algorithm: SSEAlgorithm?
        if operation.choosesEncryption, let sseValue {
            guard let parsed = SSEAlgorithm(rawValue: sseValue) else { throw SSEErrors.unsupportedEncryptionMethod(sseValue) }
            if hasCustomerKey { throw SSEErrors.customerKeyWithSSEHeader(sseValue) }
            algorithm = parsed
        }

        if hasCustomerKey, operation.writesObjectData, let blockedSSEC { throw blockedSSEC.error }

        var keyId: String?
        var contextHeader: String?
        var context: [String: String]?
        var bucketKey: Bool?
        if operation.choosesEncryption {
            keyId = head.header(SSEHeader.kmsKeyID).flatMap { $0.isEmpty ? nil : $0 }
            contextHeader = head.header(SSEHeader.context)
            if algorithm?.usesKMS != true {
                if keyId != nil { throw SSEErrors.kmsHeaderWithoutKMS(SSEHeader.kmsKeyID) }
                if contextHeader != nil { throw SSEErrors.kmsHeaderWithoutKMS(SSEHeader.context) }
            }
            if let contextHeader { context = try parseContext(contextHeader) }
            bucketKey = head.header(SSEHeader.bucketKeyEnabled).map(parseBool)
        }

        let customer = try SSECustomerKeyHeaders.parse(
            head, names: SSEHeader.customerTrio, checkLength: operation.checksCustomerKeyLength)
        let request: SSERequest
        if let customer {
            request = .sseC(customer)
        } else {
            switch algorithm {
            case nil: request = .none
            case .aes256: request = .sseS3
            case .kms: request = .sseKMS(keyId: keyId, context: context, contextHeader: contextHeader, bucketKeyEnabled: bucketKey)
            case .kmsDSSE: request = .dsseKMS(keyId: keyId, context: context, contextHeader: contextHeader)
            }
        }

        var copySource: SSECustomerKeyHeaders?
        if operation.hasCopySource {
            copySource = try SSECustomerKeyHeaders.parse(head, names: SSEHeader.copySourceTrio, checkLength: false)
        }
        return SSERequestHeaders(request: request, copySource: copySource, bucketKeyEnabled: bucketKey)
    }

    /// Decodes `x-amz-server-side-encryption-context`: strict base64 of a UTF-8 JSON object whose values are all
    /// strings; anything else is E-K2.
    public static func parseContext(_ header: String) throws(S3Error) -> [String: String] {
        guard let bytes = Base64.decode(header), String(validating: bytes, as: UTF8.self) != nil,
            let map = try? JSONDecoder().decode([String: String].self, from: Data(bytes))
        else { throw SSEErrors.invalidEncryptionContext }
        return map
    }

    /// `true` (any case) is true; every other value is false, as S3's boolean headers read [I].
    static func parseBool(_ text: String) -> Bool {
        text.lowercased() == "true"
    }
}
