/// The `s3:` actions a bucket policy may name, each with the resource type it applies to.
///
/// `PutBucketPolicy` refuses an action outside this list ("Policy has invalid action") and a statement whose
/// action applies to none of its resources ("Action does not apply to any resource(s) in statement").
/// Names follow the Service Authorization Reference for Amazon S3; they are compared without regard to case.
enum S3ActionCatalog {
    /// What an action's `Resource` must be for the action to apply.
    enum Kind: Sendable, Hashable {
        /// `arn:aws:s3:::bucket`
        case bucket
        /// `arn:aws:s3:::bucket/key`
        case object
        /// Another resource type (account, access point, job, …): never applies in a bucket policy.
        case other
    }

    /// Lowercased `s3:name` → kind.
    static let actions: [String: Kind] = {
        var table: [String: Kind] = [:]
        for name in objectActions { table["s3:" + name.lowercased()] = .object }
        for name in bucketActions { table["s3:" + name.lowercased()] = .bucket }
        for name in otherActions { table["s3:" + name.lowercased()] = .other }
        return table
    }()

    /// The kinds of the known actions a (lowercased) action pattern names; empty when it names none.
    static func kinds(matching pattern: String) -> Set<Kind> {
        if let exact = actions[pattern] { return [exact] }
        guard Wildcard.hasWildcard(pattern) else { return [] }
        var kinds = Set<Kind>()
        for (name, kind) in actions where Wildcard.matches(pattern, name) { kinds.insert(kind) }
        return kinds
    }

    static let objectActions = [
        "AbortMultipartUpload", "BypassGovernanceRetention", "DeleteObject", "DeleteObjectTagging", "DeleteObjectVersion",
        "DeleteObjectVersionTagging", "GetObject", "GetObjectAcl", "GetObjectAttributes", "GetObjectLegalHold",
        "GetObjectRetention", "GetObjectTagging", "GetObjectTorrent", "GetObjectVersion", "GetObjectVersionAcl",
        "GetObjectVersionAttributes", "GetObjectVersionForReplication", "GetObjectVersionTagging",
        "GetObjectVersionTorrent", "InitiateReplication", "ListMultipartUploadParts", "ObjectOwnerOverrideToBucketOwner",
        "PutObject", "PutObjectAcl", "PutObjectLegalHold", "PutObjectRetention", "PutObjectTagging",
        "PutObjectVersionAcl", "PutObjectVersionTagging", "ReplicateDelete", "ReplicateObject", "ReplicateTags",
        "RestoreObject",
    ]

    static let bucketActions = [
        "CreateBucket", "CreateBucketMetadataTableConfiguration", "DeleteBucket", "DeleteBucketMetadataTableConfiguration",
        "DeleteBucketPolicy", "DeleteBucketWebsite", "GetAccelerateConfiguration", "GetAnalyticsConfiguration",
        "GetBucketAcl", "GetBucketCORS", "GetBucketLocation", "GetBucketLogging", "GetBucketMetadataTableConfiguration",
        "GetBucketNotification", "GetBucketObjectLockConfiguration", "GetBucketOwnershipControls", "GetBucketPolicy",
        "GetBucketPolicyStatus", "GetBucketPublicAccessBlock", "GetBucketRequestPayment", "GetBucketTagging",
        "GetBucketVersioning", "GetBucketWebsite", "GetEncryptionConfiguration", "GetIntelligentTieringConfiguration",
        "GetInventoryConfiguration", "GetLifecycleConfiguration", "GetMetricsConfiguration",
        "GetReplicationConfiguration", "ListBucket", "ListBucketMultipartUploads", "ListBucketVersions",
        "PutAccelerateConfiguration", "PutAnalyticsConfiguration", "PutBucketAcl", "PutBucketCORS", "PutBucketLogging",
        "PutBucketNotification", "PutBucketObjectLockConfiguration", "PutBucketOwnershipControls", "PutBucketPolicy",
        "PutBucketPublicAccessBlock", "PutBucketRequestPayment", "PutBucketTagging", "PutBucketVersioning",
        "PutBucketWebsite", "PutEncryptionConfiguration", "PutIntelligentTieringConfiguration",
        "PutInventoryConfiguration", "PutLifecycleConfiguration", "PutMetricsConfiguration",
        "PutReplicationConfiguration",
    ]

    static let otherActions = [
        "ListAllMyBuckets", "GetAccountPublicAccessBlock", "PutAccountPublicAccessBlock", "CreateAccessPoint",
        "DeleteAccessPoint", "GetAccessPoint", "ListAccessPoints", "GetAccessPointPolicy", "PutAccessPointPolicy",
        "DeleteAccessPointPolicy", "CreateJob", "DescribeJob", "ListJobs", "UpdateJobPriority", "UpdateJobStatus",
        "GetStorageLensConfiguration", "PutStorageLensConfiguration", "ListStorageLensConfigurations", "CreateSession",
    ]
}
