/// One bucket-policy check an S3 operation makes: an `s3:` action on one of the request's resources.
public struct S3PolicyCheck: Sendable, Hashable {
    /// Which resource of the request the action is checked on.
    public enum Target: Sendable, Hashable {
        /// `arn:aws:s3:::bucket`
        case bucket
        /// `arn:aws:s3:::bucket/key` (for DeleteObjects: each key of the body)
        case object
        /// The copy source (`x-amz-copy-source`) of CopyObject / UploadPartCopy: `arn:aws:s3:::srcbucket/srckey`,
        /// checked against the source bucket's policy.
        case copySource
    }

    /// The action, e.g. `s3:PutObject`.
    public var action: String
    public var target: Target

    public init(_ action: String, on target: Target) {
        self.action = action
        self.target = target
    }
}
