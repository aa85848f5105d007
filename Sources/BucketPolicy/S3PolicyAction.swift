/// Which `s3:` action(s) each S3 operation checks against a bucket policy.
///
/// Operation names are the S3 API names (`PutObject`, `ListObjectsV2`, …, the raw values of `S3Operation`),
/// matched without regard to case. Per the Service Authorization Reference for Amazon S3:
/// multipart steps check `s3:PutObject` (Abort and ListParts have their own actions); HeadObject checks
/// `s3:GetObject`; HeadBucket and the object listings check `s3:ListBucket`; bucket encryption checks
/// `s3:GetEncryptionConfiguration`/`s3:PutEncryptionConfiguration` (Delete uses Put); CopyObject and UploadPartCopy
/// check `s3:PutObject` on the destination and `s3:GetObject` on the source. With a `versionId`, reads and deletes
/// of a version check the `…Version…` action. Extra actions implied by optional headers (`x-amz-acl` ⇒
/// `s3:PutObjectAcl`, `x-amz-tagging` ⇒ `s3:PutObjectTagging`) are not listed.
public enum S3PolicyAction {
    /// The checks of `operation`: nil for an operation the table does not know; empty for one no bucket policy
    /// governs (ListBuckets).
    ///
    /// - Parameter versioned: the request names a version (`versionId` query parameter; for the copy source,
    ///   a `?versionId=` in `x-amz-copy-source`).
    public static func `for`(operation: String, versioned: Bool = false) -> [S3PolicyCheck]? {
        let name = operation.lowercased()
        switch name {
        case "copyobject", "uploadpartcopy":
            return [
                S3PolicyCheck("s3:PutObject", on: .object),
                S3PolicyCheck(versioned ? "s3:GetObjectVersion" : "s3:GetObject", on: .copySource),
            ]
        case "listbuckets":
            return []
        default:
            break
        }
        if let (plain, version) = versionedObjectActions[name] {
            return [S3PolicyCheck(versioned ? version : plain, on: .object)]
        }
        if let action = objectActions[name] { return [S3PolicyCheck(action, on: .object)] }
        if let action = bucketActions[name] { return [S3PolicyCheck(action, on: .bucket)] }
        return nil
    }

    /// Object operations whose action changes when a version is named.
    static let versionedObjectActions: [String: (String, String)] = [
        "getobject": ("s3:GetObject", "s3:GetObjectVersion"),
        "headobject": ("s3:GetObject", "s3:GetObjectVersion"),
        "deleteobject": ("s3:DeleteObject", "s3:DeleteObjectVersion"),
        "getobjectattributes": ("s3:GetObjectAttributes", "s3:GetObjectVersionAttributes"),
        "getobjectacl": ("s3:GetObjectAcl", "s3:GetObjectVersionAcl"),
        "putobjectacl": ("s3:PutObjectAcl", "s3:PutObjectVersionAcl"),
        "getobjecttagging": ("s3:GetObjectTagging", "s3:GetObjectVersionTagging"),
        "putobjecttagging": ("s3:PutObjectTagging", "s3:PutObjectVersionTagging"),
        "deleteobjecttagging": ("s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging"),
    ]

    static let objectActions: [String: String] = [
        "putobject": "s3:PutObject",
        "postobject": "s3:PutObject",
        "createmultipartupload": "s3:PutObject",
        "uploadpart": "s3:PutObject",
        "completemultipartupload": "s3:PutObject",
        "abortmultipartupload": "s3:AbortMultipartUpload",
        "listparts": "s3:ListMultipartUploadParts",
        "deleteobjects": "s3:DeleteObject",
        "getobjectretention": "s3:GetObjectRetention",
        "putobjectretention": "s3:PutObjectRetention",
        "getobjectlegalhold": "s3:GetObjectLegalHold",
        "putobjectlegalhold": "s3:PutObjectLegalHold",
        "restoreobject": "s3:RestoreObject",
        "getobjecttorrent": "s3:GetObjectTorrent",
    ]

    static let bucketActions: [String: String] = [
        "createbucket": "s3:CreateBucket",
        "deletebucket": "s3:DeleteBucket",
        "headbucket": "s3:ListBucket",
        "listobjects": "s3:ListBucket",
        "listobjectsv2": "s3:ListBucket",
        "listobjectversions": "s3:ListBucketVersions",
        "listmultipartuploads": "s3:ListBucketMultipartUploads",
        "getbucketlocation": "s3:GetBucketLocation",
        "getbucketversioning": "s3:GetBucketVersioning",
        "putbucketversioning": "s3:PutBucketVersioning",
        "getbucketencryption": "s3:GetEncryptionConfiguration",
        "putbucketencryption": "s3:PutEncryptionConfiguration",
        "deletebucketencryption": "s3:PutEncryptionConfiguration",
        "getbucketpolicy": "s3:GetBucketPolicy",
        "putbucketpolicy": "s3:PutBucketPolicy",
        "deletebucketpolicy": "s3:DeleteBucketPolicy",
        "getbucketpolicystatus": "s3:GetBucketPolicyStatus",
        "getbucketacl": "s3:GetBucketAcl",
        "putbucketacl": "s3:PutBucketAcl",
        "getbuckettagging": "s3:GetBucketTagging",
        "putbuckettagging": "s3:PutBucketTagging",
        "deletebuckettagging": "s3:PutBucketTagging",
        "getbucketcors": "s3:GetBucketCORS",
        "putbucketcors": "s3:PutBucketCORS",
        "deletebucketcors": "s3:PutBucketCORS",
        "getbucketlifecycleconfiguration": "s3:GetLifecycleConfiguration",
        "putbucketlifecycleconfiguration": "s3:PutLifecycleConfiguration",
        "deletebucketlifecycle": "s3:PutLifecycleConfiguration",
        "getpublicaccessblock": "s3:GetBucketPublicAccessBlock",
        "putpublicaccessblock": "s3:PutBucketPublicAccessBlock",
        "deletepublicaccessblock": "s3:PutBucketPublicAccessBlock",
        "getbucketownershipcontrols": "s3:GetBucketOwnershipControls",
        "putbucketownershipcontrols": "s3:PutBucketOwnershipControls",
        "deletebucketownershipcontrols": "s3:PutBucketOwnershipControls",
        "getobjectlockconfiguration": "s3:GetBucketObjectLockConfiguration",
        "putobjectlockconfiguration": "s3:PutBucketObjectLockConfiguration",
        "getbucketwebsite": "s3:GetBucketWebsite",
        "putbucketwebsite": "s3:PutBucketWebsite",
        "deletebucketwebsite": "s3:DeleteBucketWebsite",
        "getbucketnotificationconfiguration": "s3:GetBucketNotification",
        "putbucketnotificationconfiguration": "s3:PutBucketNotification",
        "getbucketlogging": "s3:GetBucketLogging",
        "putbucketlogging": "s3:PutBucketLogging",
        "getbucketrequestpayment": "s3:GetBucketRequestPayment",
        "putbucketrequestpayment": "s3:PutBucketRequestPayment",
        "getbucketreplication": "s3:GetReplicationConfiguration",
        "putbucketreplication": "s3:PutReplicationConfiguration",
        "deletebucketreplication": "s3:PutReplicationConfiguration",
        "getbucketaccelerateconfiguration": "s3:GetAccelerateConfiguration",
        "putbucketaccelerateconfiguration": "s3:PutAccelerateConfiguration",
    ]
}
