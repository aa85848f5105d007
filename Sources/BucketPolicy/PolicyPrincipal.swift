/// Who sends a request, as a bucket policy sees it.
public enum PolicyPrincipal: Sendable, Hashable {
    /// An unsigned request (or a presigned URL of nobody): only `"Principal": "*"` / `{"AWS": "*"}` names it.
    case anonymous
    /// A signed request of an IAM identity.
    ///
    /// - `accountID`: the 12-digit account the identity belongs to.
    /// - `arn`: the identity's ARN (`arn:aws:iam::123456789012:user/alice`, or `…:root` for the account itself).
    /// - `canonicalUserID`: the account's canonical user ID, matched by `{"CanonicalUser": …}` principals.
    case authenticated(accountID: String, arn: String, canonicalUserID: String? = nil)

    /// The account the principal belongs to; nil when anonymous.
    public var accountID: String? {
        if case .authenticated(let account, _, _) = self { return account }
        return nil
    }

    /// The principal's ARN; nil when anonymous.
    public var arn: String? {
        if case .authenticated(_, let arn, _) = self { return arn }
        return nil
    }
}
