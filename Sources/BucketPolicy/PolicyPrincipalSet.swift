/// The principals a statement's `Principal` (or `NotPrincipal`) element names.
///
/// Accepted forms: `"*"`; `{"AWS": "*"}`; `{"AWS": "123456789012"}` or `…:root` (the account: every identity in
/// it); `{"AWS": "arn:aws:iam::123456789012:user/alice"}` (role, assumed-role and CloudFront OAI ARNs alike:
/// that identity only); `{"CanonicalUser": id}`; `{"Service": name}` and `{"Federated": name}` (accepted,
/// but no emulated request comes from them). Each value may be a string or an array of strings.
/// S3 also checks that named identities exist; the emulator only checks their form.
public struct PolicyPrincipalSet: Sendable, Hashable {
    /// `"*"` or `{"AWS": "*"}`: everyone, anonymous callers included.
    public var everyone = false
    /// Account IDs named by ID or by root ARN.
    public var accounts: Set<String> = []
    /// Identity ARNs (users, roles, sessions), compared exactly.
    public var arns: Set<String> = []
    public var canonicalUsers: Set<String> = []
    public var services: Set<String> = []
    public var federated: Set<String> = []

    public init() {}

    /// Whether a request principal is one of the set.
    public func contains(_ principal: PolicyPrincipal) -> Bool {
        if everyone { return true }
        guard case .authenticated(let account, let arn, let canonical) = principal else { return false }
        if accounts.contains(account) || arns.contains(arn) { return true }
        if let canonical, canonicalUsers.contains(canonical) { return true }
        return false
    }

    /// Parses the JSON value of `Principal`/`NotPrincipal`; nil when S3 would answer "Invalid principal in policy".
    static func parse(_ value: Any) -> PolicyPrincipalSet? {
        var set = PolicyPrincipalSet()
        if let text = value as? String {
            guard text == "*" else { return nil }
            set.everyone = true
            return set
        }
        guard let members = value as? [String: Any], !members.isEmpty else { return nil }
        for (type, raw) in members {
            guard let names = JSONValues.strings(raw), !names.isEmpty, !names.contains(where: \.isEmpty) else {
                return nil
            }
            switch type {
            case "AWS":
                for name in names {
                    if name == "*" {
                        set.everyone = true
                    } else if let account = accountID(of: name) {
                        set.accounts.insert(account)
                    } else if isIdentityARN(name) {
                        set.arns.insert(name)
                    } else {
                        return nil
                    }
                }
            case "CanonicalUser":
                guard !names.contains(where: Wildcard.hasWildcard) else { return nil }
                set.canonicalUsers.formUnion(names)
            case "Service":
                guard !names.contains(where: Wildcard.hasWildcard) else { return nil }
                set.services.formUnion(names)
            case "Federated":
                set.federated.formUnion(names)
            default:
                return nil
            }
        }
        return set
    }

    /// The account of `123456789012` or `arn:<partition>:iam::123456789012:root`.
    static func accountID(of name: String) -> String? {
        if isAccountID(name) { return name }
        let parts = name.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[1].hasPrefix("aws"), parts[2] == "iam", parts[3].isEmpty,
            isAccountID(String(parts[4])), parts[5] == "root"
        else { return nil }
        return String(parts[4])
    }

    /// `arn:<partition>:iam::<account>:user/…|role/…` or `arn:<partition>:sts::<account>:assumed-role/…`, or a
    /// CloudFront origin access identity (`arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity …`).
    static func isIdentityARN(_ name: String) -> Bool {
        guard !Wildcard.hasWildcard(name) else { return false }
        let parts = name.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[1].hasPrefix("aws"), parts[3].isEmpty else { return false }
        let account = String(parts[4])
        let resource = parts[5]
        switch parts[2] {
        case "iam":
            if account == "cloudfront" { return resource.hasPrefix("user/CloudFront Origin Access Identity ") }
            return isAccountID(account)
                && (resource.hasPrefix("user/") || resource.hasPrefix("role/") || resource.hasPrefix("federated-user/"))
                && !resource.hasSuffix("/")
        case "sts":
            return isAccountID(account) && (resource.hasPrefix("assumed-role/") || resource.hasPrefix("federated-user/"))
        default:
            return false
        }
    }

    static func isAccountID(_ text: String) -> Bool {
        text.utf8.count == 12 && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}
