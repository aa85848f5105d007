import S3Wire

extension S3Error {
    /// 400 `MalformedPolicy`, S3's answer to a PutBucketPolicy body it refuses. `message` is one of
    /// ``MalformedPolicyMessage``.
    public static func malformedPolicy(_ message: String) -> S3Error {
        S3Error(status: 400, code: "MalformedPolicy", message: message)
    }
}
