/// One authorization question put to a bucket policy: may `principal` perform `action` on `resource`?
public struct PolicyRequest: Sendable, Hashable {
    /// The `s3:` action checked, e.g. `s3:PutObject` (see ``S3PolicyAction``). Compared without regard to case.
    public var action: String
    /// The resource ARN: `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key` (the key as stored, not URL-encoded).
    public var resource: String
    /// Who sends the request.
    public var principal: PolicyPrincipal
    /// Condition keys and their values (see ``PolicyContextBuilder``). A key that is not in the dictionary is
    /// absent, which `Null` and the `…IfExists` operators tell apart from any value. Key names are compared
    /// without regard to case.
    public var context: [String: [String]]

    public init(action: String, resource: String, principal: PolicyPrincipal, context: [String: [String]] = [:]) {
        self.action = action
        self.resource = resource
        self.principal = principal
        self.context = context
    }

    /// `arn:aws:s3:::<bucket>`
    public static func bucketARN(_ bucket: String) -> String { "arn:aws:s3:::\(bucket)" }

    /// `arn:aws:s3:::<bucket>/<key>`
    public static func objectARN(bucket: String, key: String) -> String { "arn:aws:s3:::\(bucket)/\(key)" }
}
