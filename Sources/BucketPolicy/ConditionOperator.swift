import Foundation

/// An IAM condition operator, without its `ForAnyValue:`/`ForAllValues:` qualifier or `IfExists` suffix.
///
/// Each negated operator (`StringNotEquals`, `NotIpAddress`, …) is stored with the positive test it negates;
/// ``PolicyCondition`` applies the negation, the set qualifiers and the absent-key rules.
public enum ConditionOperator: String, Sendable, Hashable, CaseIterable {
    case stringEquals = "StringEquals"
    case stringNotEquals = "StringNotEquals"
    case stringEqualsIgnoreCase = "StringEqualsIgnoreCase"
    case stringNotEqualsIgnoreCase = "StringNotEqualsIgnoreCase"
    case stringLike = "StringLike"
    case stringNotLike = "StringNotLike"
    case numericEquals = "NumericEquals"
    case numericNotEquals = "NumericNotEquals"
    case numericLessThan = "NumericLessThan"
    case numericLessThanEquals = "NumericLessThanEquals"
    case numericGreaterThan = "NumericGreaterThan"
    case numericGreaterThanEquals = "NumericGreaterThanEquals"
    case dateEquals = "DateEquals"
    case dateNotEquals = "DateNotEquals"
    case dateLessThan = "DateLessThan"
    case dateLessThanEquals = "DateLessThanEquals"
    case dateGreaterThan = "DateGreaterThan"
    case dateGreaterThanEquals = "DateGreaterThanEquals"
    case bool = "Bool"
    case binaryEquals = "BinaryEquals"
    case ipAddress = "IpAddress"
    case notIpAddress = "NotIpAddress"
    case arnEquals = "ArnEquals"
    case arnLike = "ArnLike"
    case arnNotEquals = "ArnNotEquals"
    case arnNotLike = "ArnNotLike"
    /// Tests whether the key is present (`"true"`: absent, `"false"`: present), never its value.
    case null = "Null"

    /// Whether the operator is true when its positive test fails for every policy value (and when the key is absent).
    public var isNegated: Bool {
        switch self {
        case .stringNotEquals, .stringNotEqualsIgnoreCase, .stringNotLike, .numericNotEquals, .dateNotEquals,
            .notIpAddress, .arnNotEquals, .arnNotLike:
            return true
        default:
            return false
        }
    }

    /// The positive test of one request value against one policy value (for negated operators, the test negated).
    /// Values that do not parse as the operator's type (numbers, dates, addresses) never match.
    func positiveMatch(request: String, policy: String) -> Bool {
        switch self {
        case .stringEquals, .stringNotEquals, .binaryEquals:
            return request == policy
        case .stringEqualsIgnoreCase, .stringNotEqualsIgnoreCase:
            return request.lowercased() == policy.lowercased()
        case .stringLike, .stringNotLike, .arnEquals, .arnLike, .arnNotEquals, .arnNotLike:
            return Wildcard.matches(policy, request)
        case .bool:
            return request.lowercased() == policy.lowercased()
        case .numericEquals, .numericNotEquals, .numericLessThan, .numericLessThanEquals, .numericGreaterThan,
            .numericGreaterThanEquals:
            guard let r = Double(request), let p = Double(policy) else { return false }
            return compare(r, p)
        case .dateEquals, .dateNotEquals, .dateLessThan, .dateLessThanEquals, .dateGreaterThan, .dateGreaterThanEquals:
            guard let r = Self.parseDate(request), let p = Self.parseDate(policy) else { return false }
            return compare(r, p)
        case .ipAddress, .notIpAddress:
            return IPAddressRange(policy)?.contains(request) ?? false
        case .null:
            return false
        }
    }

    private func compare(_ r: Double, _ p: Double) -> Bool {
        switch self {
        case .numericLessThan, .dateLessThan: return r < p
        case .numericLessThanEquals, .dateLessThanEquals: return r <= p
        case .numericGreaterThan, .dateGreaterThan: return r > p
        case .numericGreaterThanEquals, .dateGreaterThanEquals: return r >= p
        default: return r == p
        }
    }

    /// Seconds since the epoch of an epoch number or an ISO 8601 date/time (`2026-01-31T12:00:00Z`, `2026-01-31`).
    static func parseDate(_ text: String) -> Double? {
        if let epoch = Double(text) { return epoch }
        let formatter = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [
            [.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds], [.withFullDate],
        ] {
            formatter.formatOptions = options
            if let date = formatter.date(from: text) { return date.timeIntervalSince1970 }
        }
        return nil
    }
}
