/// The S3 operations the emulator serves, chosen from method, addressing and query sub-resources.
public enum S3Operation: String, Sendable, CaseIterable {
    case listBuckets = "ListBuckets"
    case createBucket = "CreateBucket"
    case deleteBucket = "DeleteBucket"
    case headBucket = "HeadBucket"
    case getBucketLocation = "GetBucketLocation"
    case getBucketVersioning = "GetBucketVersioning"
    case listObjects = "ListObjects"
    case listObjectsV2 = "ListObjectsV2"
    case listObjectVersions = "ListObjectVersions"
    case listMultipartUploads = "ListMultipartUploads"
    case deleteObjects = "DeleteObjects"
    case postObject = "PostObject"
    case putObject = "PutObject"
    case copyObject = "CopyObject"
    case getObject = "GetObject"
    case headObject = "HeadObject"
    case deleteObject = "DeleteObject"
    case getObjectAttributes = "GetObjectAttributes"
    case getObjectTagging = "GetObjectTagging"
    case putObjectTagging = "PutObjectTagging"
    case deleteObjectTagging = "DeleteObjectTagging"
    case createMultipartUpload = "CreateMultipartUpload"
    case uploadPart = "UploadPart"
    case uploadPartCopy = "UploadPartCopy"
    case completeMultipartUpload = "CompleteMultipartUpload"
    case abortMultipartUpload = "AbortMultipartUpload"
    case listParts = "ListParts"
    case putBucketEncryption = "PutBucketEncryption"
    case getBucketEncryption = "GetBucketEncryption"
    case deleteBucketEncryption = "DeleteBucketEncryption"
    case putBucketPolicy = "PutBucketPolicy"
    case getBucketPolicy = "GetBucketPolicy"
    case deleteBucketPolicy = "DeleteBucketPolicy"

    /// Sub-resources S3 has that the emulator does not serve: asking for one answers 501 NotImplemented.
    public static let unsupportedSubresources: Set<String> = [
        "accelerate", "acl", "analytics", "cors", "intelligent-tiering", "inventory", "legal-hold", "lifecycle",
        "logging", "metrics", "notification", "object-lock", "ownershipControls", "policyStatus",
        "publicAccessBlock", "replication", "requestPayment", "restore", "retention", "select", "torrent", "website",
        "renameObject", "metadataTable", "session",
    ]

    /// Routes a request. Throws 501 for sub-resources that are not served and 405 for methods that do not apply.
    public static func route(_ head: RequestHead, address: S3Address) throws(S3Error) -> S3Operation {
        let m = head.method
        let has: (String) -> Bool = { head.hasQuery($0) }
        guard let bucket = address.bucket, !bucket.isEmpty else {
            if m == "GET" { return .listBuckets }
            throw S3Error.methodNotAllowed
        }
        if address.key == nil {
            // Bucket tagging and versioning changes are not served; reading versioning is.
            if has("tagging") || !unsupported(head).isEmpty || (m == "PUT" && has("versioning")) { throw S3Error.notImplemented() }
            if has("encryption") {
                switch m {
                case "PUT": return .putBucketEncryption
                case "GET": return .getBucketEncryption
                case "DELETE": return .deleteBucketEncryption
                default: throw S3Error.methodNotAllowed
                }
            }
            if has("policy") {
                switch m {
                case "PUT": return .putBucketPolicy
                case "GET": return .getBucketPolicy
                case "DELETE": return .deleteBucketPolicy
                default: throw S3Error.methodNotAllowed
                }
            }
            switch m {
            case "PUT": return .createBucket
            case "DELETE": return .deleteBucket
            case "HEAD": return .headBucket
            case "POST":
                if has("delete") { return .deleteObjects }
                return .postObject
            case "GET":
                if has("location") { return .getBucketLocation }
                if has("versioning") { return .getBucketVersioning }
                if has("versions") { return .listObjectVersions }
                if has("uploads") { return .listMultipartUploads }
                if head.queryValue("list-type") == "2" { return .listObjectsV2 }
                return .listObjects
            default: throw S3Error.methodNotAllowed
            }
        }
        if has("tagging") {
            switch m {
            case "GET": return .getObjectTagging
            case "PUT": return .putObjectTagging
            case "DELETE": return .deleteObjectTagging
            default: throw S3Error.methodNotAllowed
            }
        }
        if !unsupported(head).isEmpty { throw S3Error.notImplemented() }
        switch m {
        case "PUT":
            if has("uploadId") || has("partNumber") {
                return head.header("x-amz-copy-source") != nil ? .uploadPartCopy : .uploadPart
            }
            return head.header("x-amz-copy-source") != nil ? .copyObject : .putObject
        case "GET":
            if has("uploadId") { return .listParts }
            if has("attributes") { return .getObjectAttributes }
            return .getObject
        case "HEAD": return .headObject
        case "DELETE": return has("uploadId") ? .abortMultipartUpload : .deleteObject
        case "POST":
            if has("uploads") { return .createMultipartUpload }
            if has("uploadId") { return .completeMultipartUpload }
            if has("restore") || has("select") { throw S3Error.notImplemented() }
            throw S3Error.methodNotAllowed
        default: throw S3Error.methodNotAllowed
        }
    }

    static func unsupported(_ head: RequestHead) -> [String] {
        (head.query ?? []).map(\.0).filter { unsupportedSubresources.contains($0) }
    }
}
