import S3Wire

/// A bucket's default-encryption configuration: the body of PutBucketEncryption and GetBucketEncryption (§5.1).
///
/// Exactly one rule is allowed. Parsing accepts children in any order, trims white space around values and
/// ignores unknown elements [I].
public struct BucketEncryptionConfiguration: Sendable, Equatable, Codable {
    /// The single rule.
    public var rule: BucketEncryptionRule

    /// A configuration holding `rule`.
    public init(rule: BucketEncryptionRule) { self.rule = rule }

    /// What GetBucketEncryption reports for a bucket that was never configured (or whose configuration was
    /// deleted): SSE-S3 with `BucketKeyEnabled=false`; SSE-C blocked when `blockSSECForNewBuckets` (current AWS,
    /// April 2026), without `BlockedEncryptionTypes` otherwise.
    public static func neverConfigured(blockSSECForNewBuckets: Bool) -> BucketEncryptionConfiguration {
        BucketEncryptionConfiguration(rule: .neverConfigured(blockSSEC: blockSSECForNewBuckets))
    }

    /// The configuration after PutBucketEncryption of `put` onto `self`: `put` replaces everything, except that
    /// a Put without `BlockedEncryptionTypes` keeps the current block (§5.1, one recorded case).
    public func applying(put: BucketEncryptionConfiguration) -> BucketEncryptionConfiguration {
        var next = put
        if next.rule.blockedEncryptionTypes == nil { next.rule.blockedEncryptionTypes = rule.blockedEncryptionTypes }
        return next
    }

    /// The configuration after DeleteBucketEncryption: the SSE-S3 default, keeping `BlockedEncryptionTypes` [I].
    public func deleted() -> BucketEncryptionConfiguration {
        BucketEncryptionConfiguration(rule: BucketEncryptionRule(blockedEncryptionTypes: rule.blockedEncryptionTypes))
    }

    // MARK: Parsing

    /// Parses a PutBucketEncryption body.
    ///
    /// Errors: not well-formed, wrong root, zero or several `Rule`s (E-B1); missing or unknown `SSEAlgorithm`,
    /// unknown `EncryptionType`, `NONE` mixed with another type, a non-boolean `BucketKeyEnabled`, a repeated
    /// single-valued element (E-B3) — all MalformedXML; `KMSMasterKeyID` with `AES256` (E-B2, InvalidArgument).
    /// A rule without `ApplyServerSideEncryptionByDefault` (AWS's unblock example) gets the SSE-S3 default [I];
    /// an empty `KMSMasterKeyID` counts as absent [I]; an empty `BlockedEncryptionTypes` reads as `NONE` [I].
    public static func parse<Bytes: Collection>(_ body: Bytes) throws(S3Error) -> BucketEncryptionConfiguration
    where Bytes.Element == UInt8 {
        let root: XMLNode
        do { root = try XMLNode.parse(body) } catch { throw SSEErrors.malformedXML }
        guard root.name == "ServerSideEncryptionConfiguration" else { throw SSEErrors.malformedXML }
        let rules = root.children("Rule")
        guard rules.count == 1 else { throw SSEErrors.malformedXML }
        let node = rules[0]

        var rule = BucketEncryptionRule()
        if let apply = try single(node, "ApplyServerSideEncryptionByDefault") {
            guard let text = try single(apply, "SSEAlgorithm").map({ trimmed($0.text) }),
                let algorithm = SSEAlgorithm(rawValue: text)
            else { throw SSEErrors.malformedXML }
            rule.algorithm = algorithm
            if let key = try single(apply, "KMSMasterKeyID").map({ trimmed($0.text) }), !key.isEmpty {
                guard algorithm.usesKMS else { throw SSEErrors.kmsMasterKeyIDNotApplicable }
                rule.kmsMasterKeyID = key
            }
        }
        if let flag = try single(node, "BucketKeyEnabled") {
            switch trimmed(flag.text) {
            case "true", "1": rule.bucketKeyEnabled = true
            case "false", "0": rule.bucketKeyEnabled = false
            default: throw SSEErrors.malformedXML
            }
        }
        if let blocked = try single(node, "BlockedEncryptionTypes") {
            var types: [BlockedEncryptionType] = []
            for child in blocked.children("EncryptionType") {
                guard let type = BlockedEncryptionType(rawValue: trimmed(child.text)) else { throw SSEErrors.malformedXML }
                if !types.contains(type) { types.append(type) }
            }
            if types.isEmpty { types = [.none] }
            if types.count > 1, types.contains(.none) { throw SSEErrors.malformedXML }
            rule.blockedEncryptionTypes = types
        }
        return BucketEncryptionConfiguration(rule: rule)
    }

    /// The only child named `name`, nil when absent; MalformedXML when repeated.
    private static func single(_ node: XMLNode, _ name: String) throws(S3Error) -> XMLNode? {
        let found = node.children(name)
        guard found.count <= 1 else { throw SSEErrors.malformedXML }
        return found.first
    }

    private static func trimmed(_ text: String) -> String {
        let ws: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        guard let first = text.firstIndex(where: { !ws($0) }), let last = text.lastIndex(where: { !ws($0) }) else { return "" }
        return String(text[first...last])
    }

    // MARK: Writing

    /// The GetBucketEncryption body: `ApplyServerSideEncryptionByDefault` (`SSEAlgorithm`, then `KMSMasterKeyID`
    /// verbatim when set), `BucketKeyEnabled` always, then `BlockedEncryptionTypes` when present.
    public func xml() -> String {
        var w = XMLWriter()
        w.open("ServerSideEncryptionConfiguration", namespace: true)
        w.open("Rule")
        w.open("ApplyServerSideEncryptionByDefault")
        w.element("SSEAlgorithm", rule.algorithm.rawValue)
        w.element("KMSMasterKeyID", ifPresent: rule.kmsMasterKeyID)
        w.close("ApplyServerSideEncryptionByDefault")
        w.element("BucketKeyEnabled", rule.bucketKeyEnabled ? "true" : "false")
        if let blocked = rule.blockedEncryptionTypes {
            w.open("BlockedEncryptionTypes")
            for type in blocked { w.element("EncryptionType", type.rawValue) }
            w.close("BlockedEncryptionTypes")
        }
        w.close("Rule")
        w.close("ServerSideEncryptionConfiguration")
        return w.document
    }
}
