/// One test of a statement's `Condition` block: an operator applied to one condition key and its policy values.
///
/// `"Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}` is one `PolicyCondition`.
/// A statement applies only when all of its conditions hold (operators and keys are ANDed); the policy values
/// of one condition are ORed (for a negated operator: the request value must match none of them).
public struct PolicyCondition: Sendable, Hashable {
    /// The `ForAnyValue:` / `ForAllValues:` prefix, for keys with several values.
    public enum SetQualifier: String, Sendable, Hashable {
        case forAnyValue = "ForAnyValue"
        case forAllValues = "ForAllValues"
    }

    public var conditionOperator: ConditionOperator
    public var qualifier: SetQualifier?
    /// The `IfExists` suffix: the condition holds when the key is absent.
    public var ifExists: Bool
    /// The condition key, lowercased (key names are not case-sensitive).
    public var key: String
    /// The policy values, as strings (JSON booleans and numbers are written `true`, `false`, `12`).
    public var values: [String]

    public init(
        conditionOperator: ConditionOperator, qualifier: SetQualifier? = nil, ifExists: Bool = false, key: String,
        values: [String]
    ) {
        self.conditionOperator = conditionOperator
        self.qualifier = qualifier
        self.ifExists = ifExists
        self.key = key.lowercased()
        self.values = values
    }

    /// Splits an operator name as written in a policy (`ForAnyValue:StringLikeIfExists`) into its parts;
    /// nil when IAM does not define it (`Null` takes neither a qualifier nor `IfExists`).
    public static func parseOperatorName(_ name: String) -> (ConditionOperator, SetQualifier?, Bool)? {
        var rest = Substring(name)
        var qualifier: SetQualifier?
        for candidate in [SetQualifier.forAnyValue, .forAllValues] where rest.hasPrefix(candidate.rawValue + ":") {
            qualifier = candidate
            rest = rest.dropFirst(candidate.rawValue.count + 1)
        }
        var ifExists = false
        if rest.hasSuffix("IfExists") {
            ifExists = true
            rest = rest.dropLast("IfExists".count)
        }
        guard let op = ConditionOperator(rawValue: String(rest)) else { return nil }
        if op == .null && (ifExists || qualifier != nil) { return nil }
        return (op, qualifier, ifExists)
    }

    /// Whether the condition holds for a request whose condition keys are `context` (keys already lowercased).
    ///
    /// Rules (IAM condition operators reference):
    /// - `Null`: policy value `true` holds when the key is absent, `false` when it is present.
    /// - Absent key: `…IfExists` holds; `ForAllValues:` holds; `ForAnyValue:` fails; otherwise a negated
    ///   operator holds and a positive one fails.
    /// - Present key: a positive operator holds when a request value matches a policy value; a negated one when
    ///   no request value matches any policy value. `ForAnyValue:` needs one request value to pass, `ForAllValues:`
    ///   needs every request value to pass (each tested as above).
    public func evaluate(lowercasedContext context: [String: [String]]) -> Bool {
        let requestValues = context[key]
        let present = !(requestValues?.isEmpty ?? true)
        if conditionOperator == .null {
            return values.contains { value in
                switch value.lowercased() {
                case "true": return !present
                case "false": return present
                default: return false
                }
            }
        }
        guard let requestValues, present else {
            if ifExists { return true }
            switch qualifier {
            case .forAllValues: return true
            case .forAnyValue: return false
            case nil: return conditionOperator.isNegated
            }
        }
        let negated = conditionOperator.isNegated
        let matchesAny: (String) -> Bool = { request in
            values.contains { conditionOperator.positiveMatch(request: request, policy: $0) }
        }
        switch qualifier {
        case nil:
            let matched = requestValues.contains(where: matchesAny)
            return negated ? !matched : matched
        case .forAnyValue:
            return requestValues.contains { negated ? !matchesAny($0) : matchesAny($0) }
        case .forAllValues:
            return requestValues.allSatisfy { negated ? !matchesAny($0) : matchesAny($0) }
        }
    }
}
