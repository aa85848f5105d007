import S3Wire

extension PolicyStatement {
    /// The members a statement may have.
    static let members: Set<String> = [
        "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition",
    ]

    /// The only ARN prefix a bucket-policy resource may have (the emulator serves the `aws` partition).
    static let resourcePrefix = "arn:aws:s3:::"

    /// Parses and validates one element of `Statement` for a policy of `bucket`.
    ///
    /// Checks, in order: the statement is an object with known members and no element given in both forms;
    /// `Sid`; `Effect`; `Principal`/`NotPrincipal` (`NotPrincipal` only with `Deny`); `Action`/`NotAction`;
    /// `Resource`/`NotResource`; `Condition`; then that each action applies to a resource of the statement.
    static func parse(_ value: Any, bucket: String) throws(S3Error) -> PolicyStatement {
        typealias M = MalformedPolicyMessage
        guard let object = value as? [String: Any] else { throw .malformedPolicy(M.syntax) }
        guard object.keys.allSatisfy(members.contains) else { throw .malformedPolicy(M.syntax) }
        for (plain, negated) in [("Principal", "NotPrincipal"), ("Action", "NotAction"), ("Resource", "NotResource")]
        where object[plain] != nil && object[negated] != nil {
            throw .malformedPolicy(M.syntax)
        }

        var sid: String?
        if let raw = object["Sid"] {
            guard let text = raw as? String else { throw .malformedPolicy(M.syntax) }
            sid = text
        }

        guard let rawEffect = object["Effect"] else { throw .malformedPolicy(M.missingEffect) }
        guard let effectText = rawEffect as? String else { throw .malformedPolicy(M.syntax) }
        guard let effect = PolicyEffect(rawValue: effectText) else { throw .malformedPolicy(M.invalidEffect(effectText)) }

        let isNotPrincipal = object["NotPrincipal"] != nil
        guard let rawPrincipal = object["Principal"] ?? object["NotPrincipal"] else {
            throw .malformedPolicy(M.missingPrincipal)
        }
        guard let principals = PolicyPrincipalSet.parse(rawPrincipal), !(isNotPrincipal && effect == .allow) else {
            throw .malformedPolicy(M.invalidPrincipal)
        }

        let isNotAction = object["NotAction"] != nil
        guard let rawActions = object["Action"] ?? object["NotAction"] else { throw .malformedPolicy(M.missingAction) }
        guard let actionList = JSONValues.strings(rawActions) else { throw .malformedPolicy(M.syntax) }
        let actions = actionList.map { $0 == "*" ? "s3:*" : $0.lowercased() }
        guard !actions.isEmpty else { throw .malformedPolicy(M.invalidAction) }
        for action in actions where !action.hasPrefix("s3:") || S3ActionCatalog.kinds(matching: action).isEmpty {
            throw .malformedPolicy(M.invalidAction)
        }

        let isNotResource = object["NotResource"] != nil
        guard let rawResources = object["Resource"] ?? object["NotResource"] else {
            throw .malformedPolicy(M.missingResource)
        }
        guard let resources = JSONValues.strings(rawResources) else { throw .malformedPolicy(M.syntax) }
        guard !resources.isEmpty, resources.allSatisfy({ isValidResource($0, bucket: bucket) }) else {
            throw .malformedPolicy(M.invalidResource)
        }

        var conditions: [PolicyCondition] = []
        if let rawCondition = object["Condition"] {
            conditions = try parseConditions(rawCondition)
        }

        if !isNotAction && !isNotResource {
            let resourceKinds = resources.reduce(into: Set<S3ActionCatalog.Kind>()) { $0.formUnion(kinds(ofResource: $1)) }
            for action in actions where S3ActionCatalog.kinds(matching: action).isDisjoint(with: resourceKinds) {
                throw .malformedPolicy(M.actionResourceMismatch)
            }
        }

        return PolicyStatement(
            sid: sid, effect: effect, principals: principals, isNotPrincipal: isNotPrincipal, actions: actions,
            isNotAction: isNotAction, resources: resources, isNotResource: isNotResource, conditions: conditions)
    }

    /// Whether `resource` is an S3 ARN whose bucket part (before the first `/`, wildcards allowed) can name `bucket`.
    static func isValidResource(_ resource: String, bucket: String) -> Bool {
        guard resource.hasPrefix(resourcePrefix) else { return false }
        let rest = resource.dropFirst(resourcePrefix.count)
        guard let bucketPart = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first,
            !bucketPart.isEmpty
        else { return false }
        return Wildcard.matches(String(bucketPart), bucket)
    }

    /// The resource types a valid resource pattern can match: an object ARN has a `/` after the bucket; a
    /// wildcard in a pattern without `/` can stand for a `/` too.
    static func kinds(ofResource resource: String) -> Set<S3ActionCatalog.Kind> {
        let rest = resource.dropFirst(resourcePrefix.count)
        if rest.contains("/") { return [.object] }
        if Wildcard.hasWildcard(String(rest)) { return [.bucket, .object] }
        return [.bucket]
    }

    /// Parses a `Condition` block: `{operator: {key: value-or-values}}`.
    static func parseConditions(_ value: Any) throws(S3Error) -> [PolicyCondition] {
        typealias M = MalformedPolicyMessage
        guard let operators = value as? [String: Any] else { throw .malformedPolicy(M.syntax) }
        var conditions: [PolicyCondition] = []
        for name in operators.keys.sorted() {
            guard let (op, qualifier, ifExists) = PolicyCondition.parseOperatorName(name) else {
                throw .malformedPolicy(M.invalidConditionType(name))
            }
            guard let keys = operators[name] as? [String: Any] else { throw .malformedPolicy(M.syntax) }
            for key in keys.keys.sorted() {
                let lowered = key.lowercased()
                guard S3ConditionKeys.isValid(lowered) else { throw .malformedPolicy(M.invalidConditionKey) }
                guard let values = JSONValues.scalars(keys[key]!) else { throw .malformedPolicy(M.syntax) }
                if op == .ipAddress || op == .notIpAddress, values.contains(where: { IPAddressRange($0) == nil }) {
                    throw .malformedPolicy(M.invalidIPAddress)
                }
                conditions.append(
                    PolicyCondition(
                        conditionOperator: op, qualifier: qualifier, ifExists: ifExists, key: lowered, values: values))
            }
        }
        return conditions
    }
}
