/// Evaluates a bucket policy for one request.
///
/// Rules: every statement is tested; if any `Deny` statement applies the answer is an explicit deny, whatever
/// `Allow` statements say; otherwise an applying `Allow` statement allows; otherwise the policy does not apply.
/// The policy binds the bucket owner too: the server must refuse an explicit deny even for the owner's own
/// requests, and must do so before validating request headers (reference §3.4).
///
/// Emulator simplification: an account principal (`{"AWS": "123456789012"}`) names every identity of that account,
/// for `Allow` as for `Deny` (S3 would ask the account's IAM policies for `Allow`).
public struct PolicyEvaluator: Sendable {
    public let document: PolicyDocument

    public init(document: PolicyDocument) {
        self.document = document
    }

    /// The policy's decision for `request`.
    public func evaluate(request: PolicyRequest) -> PolicyDecision {
        var context: [String: [String]] = [:]
        for (key, values) in request.context { context[key.lowercased(), default: []].append(contentsOf: values) }
        var allowed = false
        for statement in document.statements where statement.applies(to: request, lowercasedContext: context) {
            switch statement.effect {
            case .deny: return .deny(explicit: true)
            case .allow: allowed = true
            }
        }
        return allowed ? .allow : .notApplicable
    }

    /// The decision for several checks of one operation (CopyObject checks the destination and the source):
    /// the first explicit deny wins, then all must be allowed for `.allow`; returns the deciding request too
    /// (the denied one, or the first one not allowed) so that the caller can word the error.
    public func evaluate(requests: [PolicyRequest]) -> (decision: PolicyDecision, deciding: PolicyRequest?) {
        let decisions = requests.map { ($0, evaluate(request: $0)) }
        if let denied = decisions.first(where: { $0.1.isExplicitDeny }) { return (denied.1, denied.0) }
        if let other = decisions.first(where: { $0.1 != .allow }) { return (other.1, other.0) }
        return (decisions.isEmpty ? .notApplicable : .allow, nil)
    }
}
