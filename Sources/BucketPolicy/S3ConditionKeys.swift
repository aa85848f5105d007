/// Which condition keys a bucket policy may use: any global `aws:` key (S3 does not check those, and AWS adds
/// new ones), and the `s3:` keys S3 defines. Key names are compared without regard to case.
enum S3ConditionKeys {
    /// Lowercased `s3:` keys taken as a whole.
    static let exact: Set<String> = [
        "s3:accesspointnetworkorigin", "s3:authtype", "s3:dataaccesspointaccount", "s3:dataaccesspointarn",
        "s3:delimiter", "s3:if-match", "s3:if-none-match", "s3:locationconstraint", "s3:max-keys",
        "s3:object-lock-legal-hold", "s3:object-lock-mode", "s3:object-lock-remaining-retention-days",
        "s3:object-lock-retain-until-date", "s3:objectcreationoperation", "s3:prefix", "s3:requestobjecttagkeys",
        "s3:resourceaccount", "s3:signatureage", "s3:signatureversion", "s3:tlsversion", "s3:versionid",
        "s3:x-amz-acl", "s3:x-amz-content-sha256", "s3:x-amz-copy-source", "s3:x-amz-grant-full-control",
        "s3:x-amz-grant-read", "s3:x-amz-grant-read-acp", "s3:x-amz-grant-write", "s3:x-amz-grant-write-acp",
        "s3:x-amz-metadata-directive", "s3:x-amz-object-ownership", "s3:x-amz-server-side-encryption",
        "s3:x-amz-server-side-encryption-aws-kms-key-id", "s3:x-amz-server-side-encryption-customer-algorithm",
        "s3:x-amz-storage-class", "s3:x-amz-website-redirect-location",
    ]

    /// Lowercased `s3:` key families that take a suffix (`s3:ExistingObjectTag/<tag-key>`).
    static let prefixed: [String] = ["s3:existingobjecttag/", "s3:requestobjecttag/"]

    /// Whether a (lowercased) condition key is one a bucket policy may use.
    static func isValid(_ key: String) -> Bool {
        if key.hasPrefix("aws:") { return key.count > 4 }
        if exact.contains(key) { return true }
        return prefixed.contains { key.hasPrefix($0) && key.count > $0.count }
    }
}
