import BucketPolicy
import S3Wire
import Testing

/// The operation → action table.
@Suite struct S3PolicyActionTests {
    static let single: [(String, Bool, String, S3PolicyCheck.Target)] = [
        ("PutObject", false, "s3:PutObject", .object),
        ("PostObject", false, "s3:PutObject", .object),
        ("GetObject", false, "s3:GetObject", .object),
        ("GetObject", true, "s3:GetObjectVersion", .object),
        ("HeadObject", false, "s3:GetObject", .object),
        ("DeleteObject", false, "s3:DeleteObject", .object),
        ("DeleteObject", true, "s3:DeleteObjectVersion", .object),
        ("DeleteObjects", false, "s3:DeleteObject", .object),
        ("CreateMultipartUpload", false, "s3:PutObject", .object),
        ("UploadPart", false, "s3:PutObject", .object),
        ("CompleteMultipartUpload", false, "s3:PutObject", .object),
        ("AbortMultipartUpload", false, "s3:AbortMultipartUpload", .object),
        ("ListParts", false, "s3:ListMultipartUploadParts", .object),
        ("GetObjectTagging", false, "s3:GetObjectTagging", .object),
        ("PutObjectTagging", true, "s3:PutObjectVersionTagging", .object),
        ("GetObjectAttributes", false, "s3:GetObjectAttributes", .object),
        ("ListObjects", false, "s3:ListBucket", .bucket),
        ("ListObjectsV2", false, "s3:ListBucket", .bucket),
        ("HeadBucket", false, "s3:ListBucket", .bucket),
        ("ListObjectVersions", false, "s3:ListBucketVersions", .bucket),
        ("ListMultipartUploads", false, "s3:ListBucketMultipartUploads", .bucket),
        ("GetBucketEncryption", false, "s3:GetEncryptionConfiguration", .bucket),
        ("PutBucketEncryption", false, "s3:PutEncryptionConfiguration", .bucket),
        ("DeleteBucketEncryption", false, "s3:PutEncryptionConfiguration", .bucket),
        ("PutBucketPolicy", false, "s3:PutBucketPolicy", .bucket),
        ("GetBucketPolicy", false, "s3:GetBucketPolicy", .bucket),
        ("DeleteBucketPolicy", false, "s3:DeleteBucketPolicy", .bucket),
        ("GetBucketLocation", false, "s3:GetBucketLocation", .bucket),
        ("GetBucketVersioning", false, "s3:GetBucketVersioning", .bucket),
        ("CreateBucket", false, "s3:CreateBucket", .bucket),
        ("DeleteBucket", false, "s3:DeleteBucket", .bucket),
        ("putobject", false, "s3:PutObject", .object),
    ]

    @Test(arguments: single)
    func singleCheck(_ operation: String, _ versioned: Bool, _ action: String, _ target: S3PolicyCheck.Target) {
        #expect(S3PolicyAction.for(operation: operation, versioned: versioned) == [S3PolicyCheck(action, on: target)])
    }

    @Test(arguments: ["CopyObject", "UploadPartCopy"])
    func copyChecksDestinationAndSource(_ operation: String) {
        #expect(
            S3PolicyAction.for(operation: operation)
                == [S3PolicyCheck("s3:PutObject", on: .object), S3PolicyCheck("s3:GetObject", on: .copySource)])
        #expect(S3PolicyAction.for(operation: operation, versioned: true)?.last == S3PolicyCheck("s3:GetObjectVersion", on: .copySource))
    }

    @Test func listBucketsIsNotGovernedAndUnknownIsNil() {
        #expect(S3PolicyAction.for(operation: "ListBuckets") == [])
        #expect(S3PolicyAction.for(operation: "FrobnicateBucket") == nil)
    }

    @Test(arguments: S3Operation.allCases)
    func everyServedOperationIsMapped(_ operation: S3Operation) throws {
        let checks = try #require(S3PolicyAction.for(operation: operation.rawValue))
        // Every mapped action is one a policy can name, so the table and the validator agree.
        for check in checks {
            let resource = check.target == .bucket ? #""arn:aws:s3:::bkt""# : #""arn:aws:s3:::bkt/*""#
            #expect(Fixture.parseError(Fixture.statement(action: "\"\(check.action)\"", resource: resource)) == nil, "\(check.action)")
        }
    }
}
