/// What a bucket policy says about a request.
public enum PolicyDecision: Sendable, Hashable {
    /// At least one `Allow` statement applies and no `Deny` statement does.
    case allow
    /// The request is denied. ``PolicyEvaluator`` only answers `explicit: true` (a `Deny` statement applies);
    /// `explicit: false` is for callers that fold in their own default (no statement allows a non-owner).
    case deny(explicit: Bool)
    /// No statement applies: the policy neither allows nor denies; other access rules decide.
    case notApplicable

    /// Whether the decision is an explicit deny, which nothing (not even bucket ownership) overrides.
    public var isExplicitDeny: Bool { self == .deny(explicit: true) }
}
