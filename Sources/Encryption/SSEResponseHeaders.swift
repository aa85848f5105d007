/// The encryption headers of a successful response, per mode (§2.1) and operation (§2.2).
///
/// | Operation | SSE, KMS key ARN, bucket key | context | SSE-C algorithm + key MD5 |
/// |---|---|---|---|
/// | put, post, copy (destination), createMultipartUpload | ✔ | only if the request sent one | ✔ |
/// | uploadPart, uploadPartCopy (mode of the upload) | ✔ | — | ✔ |
/// | completeMultipartUpload | ✔ | — | — |
/// | get, head | ✔ | — | ✔ |
/// | getObjectAttributes, listParts | — | — | — |
///
/// The bucket-key header appears only when true (`true`, lower case). SSE-C responses carry no
/// `x-amz-server-side-encryption`.
public struct SSEResponseHeaders: Sendable, Equatable {
    /// Header name/value pairs, in the order S3 lists them.
    public var fields: [(name: String, value: String)]

    /// Headers from the stored facts of an object (or upload).
    ///
    /// - Parameters:
    ///   - kind: the object's encryption; nil for a legacy unencrypted object (no headers).
    ///   - kmsKeyARN: the resolved key ARN (SSE-KMS, DSSE-KMS).
    ///   - bucketKeyEnabled: SSE-KMS Bucket Key flag.
    ///   - contextHeader: the `x-amz-server-side-encryption-context` value the request sent (echoed on writes).
    ///   - customerKeyMD5: the SSE-C key MD5 as sent.
    public init(
        kind: SSEKind?, operation: SSEOperation, kmsKeyARN: String? = nil, bucketKeyEnabled: Bool = false,
        contextHeader: String? = nil, customerKeyMD5: String? = nil
    ) {
        fields = []
        guard let kind else { return }
        switch operation {
        case .getObjectAttributes, .listParts: return
        default: break
        }
        if let value = kind.headerValue { fields.append((SSEHeader.serverSideEncryption, value)) }
        if kind == .sseKMS || kind == .dsseKMS, let kmsKeyARN { fields.append((SSEHeader.kmsKeyID, kmsKeyARN)) }
        if kind != .sseC, operation.choosesEncryption, let contextHeader { fields.append((SSEHeader.context, contextHeader)) }
        if kind == .sseKMS, bucketKeyEnabled { fields.append((SSEHeader.bucketKeyEnabled, "true")) }
        if kind == .sseC, operation != .completeMultipartUpload, let customerKeyMD5 {
            fields.append((SSEHeader.customerAlgorithm, SSEAlgorithm.aes256.rawValue))
            fields.append((SSEHeader.responseCustomerKeyMD5, customerKeyMD5))
        }
    }

    /// Headers for a resolved mode; `kmsKeyARN` replaces the mode's key id (pass the ARN the key provider
    /// resolved, §1.5), else the key id is echoed as is.
    public init(mode: EncryptionMode?, operation: SSEOperation, kmsKeyARN: String? = nil) {
        switch mode {
        case nil:
            self.init(kind: nil, operation: operation)
        case .sseS3:
            self.init(kind: .sseS3, operation: operation)
        case .sseKMS(let keyId, _, let contextHeader, let bucketKey):
            self.init(
                kind: .sseKMS, operation: operation, kmsKeyARN: kmsKeyARN ?? keyId, bucketKeyEnabled: bucketKey,
                contextHeader: contextHeader)
        case .dsseKMS(let keyId, _, let contextHeader):
            self.init(kind: .dsseKMS, operation: operation, kmsKeyARN: kmsKeyARN ?? keyId, contextHeader: contextHeader)
        case .sseC(let headers):
            self.init(kind: .sseC, operation: operation, customerKeyMD5: headers.keyMD5)
        }
    }

    /// The value of a header (exact name).
    public func value(_ name: String) -> String? { fields.first { $0.name == name }?.value }

    /// Same fields in the same order.
    public static func == (a: SSEResponseHeaders, b: SSEResponseHeaders) -> Bool {
        a.fields.elementsEqual(b.fields) { $0.name == $1.name && $0.value == $1.value }
    }
}
