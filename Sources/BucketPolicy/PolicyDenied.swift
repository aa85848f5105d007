import S3Wire

/// The 403 `AccessDenied` answer to a request a bucket policy explicitly denies.
///
/// Callers outside the bucket owner's account (and anonymous callers) get the bare "Access Denied"; callers of
/// the owner's account get the detailed form naming the identity, the action and the resource.
public enum PolicyDenied {
    /// The `Message` of the error.
    ///
    /// - Parameters:
    ///   - principal: who sent the request.
    ///   - bucketOwnerAccountID: the account that owns the bucket.
    ///   - action: the denied `s3:` action (e.g. `s3:PutObject`).
    ///   - resource: the denied resource ARN (e.g. `arn:aws:s3:::bkt/key`).
    public static func message(
        principal: PolicyPrincipal, bucketOwnerAccountID: String, action: String, resource: String
    ) -> String {
        guard case .authenticated(let account, let arn, _) = principal, account == bucketOwnerAccountID else {
            return S3Error.accessDenied.message
        }
        return "User: \(arn) is not authorized to perform: \(action) on resource: \"\(resource)\""
            + " with an explicit deny in a resource-based policy"
    }

    /// The full error (403 `AccessDenied`).
    public static func error(
        principal: PolicyPrincipal, bucketOwnerAccountID: String, action: String, resource: String
    ) -> S3Error {
        S3Error.accessDenied(
            message(principal: principal, bucketOwnerAccountID: bucketOwnerAccountID, action: action, resource: resource))
    }

    /// The error for the deciding request of a deny from ``PolicyEvaluator``.
    public static func error(for request: PolicyRequest, bucketOwnerAccountID: String) -> S3Error {
        error(
            principal: request.principal, bucketOwnerAccountID: bucketOwnerAccountID, action: request.action,
            resource: request.resource)
    }
}
