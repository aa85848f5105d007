/// The S3 operations whose encryption headers this module understands, as seen by header validation.
///
/// For `copy` and `uploadPartCopy` the SSE headers describe the **destination**; the copy-source SSE-C trio
/// describes the source.
public enum SSEOperation: String, Sendable, CaseIterable, Hashable {
    /// PutObject.
    case put
    /// POST Object (browser form upload; the form fields are passed as headers).
    case post
    /// CopyObject (headers apply to the destination).
    case copy
    /// CreateMultipartUpload.
    case createMultipartUpload
    /// UploadPart.
    case uploadPart
    /// UploadPartCopy.
    case uploadPartCopy
    /// CompleteMultipartUpload.
    case completeMultipartUpload
    /// GetObject (also SelectObjectContent).
    case get
    /// HeadObject.
    case head
    /// GetObjectAttributes.
    case getObjectAttributes
    /// ListParts.
    case listParts

    /// Operations that choose the encryption of a new object: `x-amz-server-side-encryption` and the KMS headers
    /// are accepted (§1.2).
    public var choosesEncryption: Bool {
        switch self {
        case .put, .post, .copy, .createMultipartUpload: true
        default: false
        }
    }

    /// Operations that answer 400 (E-S2) to `x-amz-server-side-encryption` (§1.2, §1.4).
    public var rejectsSSEHeader: Bool {
        switch self {
        case .uploadPart, .uploadPartCopy, .completeMultipartUpload, .get, .head, .getObjectAttributes: true
        default: false
        }
    }

    /// Reads of an object: they also reject the KMS key id, context and bucket-key headers (E-S2, §1.4).
    public var isObjectRead: Bool {
        switch self {
        case .get, .head, .getObjectAttributes: true
        default: false
        }
    }

    /// Operations that write object data, and so check the SSE-C key length (E-C8) and can be refused by a
    /// bucket that blocks SSE-C (E-C17). CompleteMultipartUpload validates a trio it is sent like UploadPart
    /// (§7 emulator rule) but writes no new data.
    public var writesObjectData: Bool {
        switch self {
        case .put, .post, .copy, .createMultipartUpload, .uploadPart, .uploadPartCopy: true
        default: false
        }
    }

    /// Whether a decoded SSE-C key of the wrong length is refused at parse time (E-C8). Reads compare the key
    /// first and answer E-C11 instead (§3.4 step 4).
    public var checksCustomerKeyLength: Bool { writesObjectData || self == .completeMultipartUpload }

    /// Operations that take the copy-source SSE-C trio.
    public var hasCopySource: Bool { self == .copy || self == .uploadPartCopy }

    /// The IAM action suggested for the E-C17 message: `s3:CopyObject` for copies, `s3:PutObject` for the
    /// other writes (POST, multipart parts included). [I] for everything but PutObject and CopyObject.
    public var blockedSSECAction: String { self == .copy ? "s3:CopyObject" : "s3:PutObject" }
}
