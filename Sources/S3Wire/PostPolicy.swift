import Foundation

/// The policy document of a browser-form POST upload, and its evaluation against the form fields as S3 does it.
///
/// ```
/// policy      = base64(JSON {"expiration": ISO-8601, "conditions": [condition…]})
/// condition   = {"field": "value"}                      exact match (also "bucket")
///             | ["eq", "$field", "value"] | ["starts-with", "$field", "prefix"]
///             | ["content-length-range", min, max]
/// ```
/// Every form field except the signature fields, `policy`, `file` and `x-ignore-*` must be named by a condition.
public struct PostPolicy: Sendable {
    public var expiration: Int64
    public var conditions: [Condition]

    public enum Condition: Sendable, Equatable {
        case equals(field: String, value: String, text: String)
        case startsWith(field: String, prefix: String, text: String)
        case contentLengthRange(min: Int64, max: Int64)
    }

    static func invalid(_ message: String) -> S3Error {
        S3Error(status: 400, code: "InvalidPolicyDocument", message: "Invalid Policy: \(message)")
    }

    /// Parses the base64 policy.
    public init(base64 text: String) throws(S3Error) {
        guard let bytes = Base64.decode(text) else { throw Self.invalid("Invalid Base64 Encoding.") }
        guard let json = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { throw Self.invalid("Invalid JSON.") }
        guard let exp = json["expiration"] as? String, let expiration = HTTPDate.parseISO8601(exp) else {
            throw Self.invalid("Policy missing expiration.")
        }
        guard let raw = json["conditions"] as? [Any] else { throw Self.invalid("Policy missing conditions.") }
        var conditions: [Condition] = []
        for c in raw {
            if let dict = c as? [String: Any] {
                guard dict.count == 1, let (k, v) = dict.first, let s = Self.string(v) else { throw Self.invalid("Invalid Simple-Condition: value must be a string.") }
                conditions.append(.equals(field: k.lowercased(), value: s, text: "[\"eq\", \"$\(k)\", \"\(s)\"]"))
            } else if let arr = c as? [Any], let op = (arr.first as? String)?.lowercased() {
                switch op {
                case "eq", "starts-with":
                    guard arr.count == 3, var field = arr[1] as? String, let value = Self.string(arr[2]) else {
                        throw Self.invalid("Invalid Condition: wrong number of arguments.")
                    }
                    let text = "[\"\(op)\", \"\(field)\", \"\(value)\"]"
                    if field.hasPrefix("$") { field.removeFirst() }
                    conditions.append(
                        op == "eq"
                            ? .equals(field: field.lowercased(), value: value, text: text)
                            : .startsWith(field: field.lowercased(), prefix: value, text: text))
                case "content-length-range":
                    guard arr.count == 3, let lo = Self.int(arr[1]), let hi = Self.int(arr[2]) else {
                        throw Self.invalid("Invalid content-length-range condition.")
                    }
                    conditions.append(.contentLengthRange(min: lo, max: hi))
                default: throw Self.invalid("Invalid Condition: unknown operation \(op).")
                }
            } else {
                throw Self.invalid("Invalid Condition.")
            }
        }
        self.expiration = expiration
        self.conditions = conditions
    }

    static func string(_ v: Any) -> String? {
        if let s = v as? String { return s }
        if let n = v as? NSNumber { return n.stringValue }
        return nil
    }

    static func int(_ v: Any) -> Int64? {
        if let n = v as? NSNumber { return n.int64Value }
        if let s = v as? String { return Int64(s) }
        return nil
    }

    static let exempt: Set<String> = ["x-amz-signature", "signature", "awsaccesskeyid", "policy", "file", "x-amz-security-token-ignored"]

    /// Checks expiration, every condition and the coverage of fields. `fields` are lower-cased names with their
    /// values; `bucket` is the target bucket. Content length is checked later with `checkLength`.
    public func evaluate(fields: [String: String], bucket: String, now: Int64) throws(S3Error) {
        if now > expiration { throw S3Error.accessDenied("Invalid according to Policy: Policy expired.") }
        var all = fields
        all["bucket"] = bucket
        var covered = Set<String>(["bucket"])
        for c in conditions {
            switch c {
            case .equals(let field, let value, let text):
                covered.insert(field)
                guard all[field] == value else { throw S3Error.accessDenied("Invalid according to Policy: Policy Condition failed: \(text)") }
            case .startsWith(let field, let prefix, let text):
                covered.insert(field)
                let v = all[field] ?? ""
                let ok = field == "content-type"
                    ? v.split(separator: ",").allSatisfy { $0.trimmingASCIIWhitespace().hasPrefix(prefix) }
                    : v.hasPrefix(prefix)
                guard ok else { throw S3Error.accessDenied("Invalid according to Policy: Policy Condition failed: \(text)") }
            case .contentLengthRange: break
            }
        }
        let extra = fields.keys.filter { !covered.contains($0) && !Self.exempt.contains($0) && !$0.hasPrefix("x-ignore-") }.sorted()
        if !extra.isEmpty {
            throw S3Error.accessDenied("Invalid according to Policy: Extra input fields: \(extra.joined(separator: ", "))")
        }
    }

    /// Checks `content-length-range` against the uploaded size.
    public func checkLength(_ size: Int64) throws(S3Error) {
        for case .contentLengthRange(let lo, let hi) in conditions {
            if size > hi { throw S3Error.entityTooLarge(size: size, maximum: hi) }
            if size < lo { throw S3Error.entityTooSmall(size: size, minimum: lo) }
        }
    }

    /// The largest size the policy allows, to stop reading early.
    public var maxLength: Int64? {
        var m: Int64?
        for case .contentLengthRange(_, let hi) in conditions { m = min(m ?? hi, hi) }
        return m
    }
}
