/// One statement of a bucket policy.
public struct PolicyStatement: Sendable, Hashable {
    public var sid: String?
    public var effect: PolicyEffect
    /// The principals of `Principal`, or of `NotPrincipal` when ``isNotPrincipal``.
    public var principals: PolicyPrincipalSet
    /// `NotPrincipal`: the statement applies to everyone except ``principals`` (only with `Deny`).
    public var isNotPrincipal: Bool
    /// Action patterns, lowercased (`s3:get*`); `*` is kept as `*`.
    public var actions: [String]
    /// `NotAction`: the statement applies to every action except ``actions``.
    public var isNotAction: Bool
    /// Resource ARN patterns with `*`/`?` wildcards, case-sensitive.
    public var resources: [String]
    /// `NotResource`: the statement applies to every resource except ``resources``.
    public var isNotResource: Bool
    /// All must hold for the statement to apply.
    public var conditions: [PolicyCondition]

    public init(
        sid: String? = nil, effect: PolicyEffect, principals: PolicyPrincipalSet, isNotPrincipal: Bool = false,
        actions: [String], isNotAction: Bool = false, resources: [String], isNotResource: Bool = false,
        conditions: [PolicyCondition] = []
    ) {
        self.sid = sid
        self.effect = effect
        self.principals = principals
        self.isNotPrincipal = isNotPrincipal
        self.actions = actions.map { $0.lowercased() }
        self.isNotAction = isNotAction
        self.resources = resources
        self.isNotResource = isNotResource
        self.conditions = conditions
    }

    /// Whether the statement applies to a request: principal, action and resource match (or, for the `Not…`
    /// forms, do not match) and every condition holds. `lowercasedContext` has its keys lowercased.
    public func applies(to request: PolicyRequest, lowercasedContext: [String: [String]]) -> Bool {
        guard matchesPrincipal(request.principal), matchesAction(request.action), matchesResource(request.resource)
        else { return false }
        return conditions.allSatisfy { $0.evaluate(lowercasedContext: lowercasedContext) }
    }

    func matchesPrincipal(_ principal: PolicyPrincipal) -> Bool {
        principals.contains(principal) != isNotPrincipal
    }

    func matchesAction(_ action: String) -> Bool {
        let name = action.lowercased()
        let named = actions.contains { $0 == "*" || Wildcard.matches($0, name) }
        return named != isNotAction
    }

    func matchesResource(_ resource: String) -> Bool {
        let named = resources.contains { Wildcard.matches($0, resource) }
        return named != isNotResource
    }
}
