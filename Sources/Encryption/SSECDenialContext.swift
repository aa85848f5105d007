import S3Wire

/// Who is refused what when a bucket blocks SSE-C uploads (E-C17): the pieces of the AccessDenied message.
public struct SSECDenialContext: Sendable, Equatable {
    /// The caller's ARN (`arn:aws:iam::<acct>:user/<name>`, `…:root`); nil for an anonymous or cross-account caller,
    /// who gets the plain "Access Denied" [I].
    public var principalARN: String?
    /// The IAM action reported, e.g. `s3:PutObject` (`s3:CopyObject` for copies); see ``SSEOperation/blockedSSECAction``.
    public var action: String
    /// The object's ARN, `arn:aws:s3:::<bucket>/<key>`.
    public var objectARN: String

    /// A context from its three parts.
    public init(principalARN: String?, action: String, objectARN: String) {
        self.principalARN = principalARN
        self.action = action
        self.objectARN = objectARN
    }

    /// A context for `operation` on `bucket`/`key`, with the suggested action name and `arn:aws:s3:::bucket/key`.
    public init(principalARN: String?, operation: SSEOperation, bucket: String, key: String) {
        self.init(principalARN: principalARN, action: operation.blockedSSECAction, objectARN: "arn:aws:s3:::\(bucket)/\(key)")
    }

    /// The 403 AccessDenied to answer.
    public var error: S3Error {
        guard let principalARN else { return .accessDenied }
        return SSEErrors.customerKeyBlocked(principalARN: principalARN, action: action, objectARN: objectARN)
    }
}
