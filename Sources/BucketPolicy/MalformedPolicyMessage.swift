/// The `Message` texts of the 400 `MalformedPolicy` answers to PutBucketPolicy.
///
/// Evidence per text (see the target's report): [R] seen in real S3 answers quoted in public issues,
/// [P] what peer emulators that check themselves against S3 send, [I] our own choice.
public enum MalformedPolicyMessage {
    /// [R] The body is empty or its first byte is not `{` (no leading whitespace allowed).
    public static let notJSONObject = "Policies must be valid JSON and the first byte must be '{'"
    /// [P] The body starts with `{` but is not valid JSON.
    public static let invalidJSON = "This policy contains invalid Json"
    /// [I] The policy exceeds the 20 KB bucket-policy limit (whitespace outside strings not counted).
    public static let tooLarge = "Policies must be less than 20 KB in size"
    /// [I] A member has the wrong JSON type or is unknown, or an element is given twice (e.g. `Principal` and `NotPrincipal`).
    public static let syntax = "Invalid policy syntax."
    /// [P] `Version` is neither `2012-10-17` nor `2008-10-17`.
    public static let invalidVersion = "The policy must contain a valid version string"
    /// [P] No `Statement` member.
    public static let missingStatement = "Missing required field Statement"
    /// [P] `Statement` is an empty array.
    public static let emptyStatement = "Could not parse the policy: Statement is empty!"
    /// [P] A statement has no `Effect`.
    public static let missingEffect = "Missing required field Effect"
    /// [P] `Effect` is neither `Allow` nor `Deny` (case-sensitive).
    public static func invalidEffect(_ effect: String) -> String { "Invalid effect: \(effect)" }
    /// [R] A statement has neither `Principal` nor `NotPrincipal`.
    public static let missingPrincipal = "Missing required field Principal"
    /// [R] A principal S3 cannot resolve (also used [I] for `NotPrincipal` with `Allow`).
    public static let invalidPrincipal = "Invalid principal in policy"
    /// [P] A statement has neither `Action` nor `NotAction`.
    public static let missingAction = "Missing required field Action"
    /// [P] An action that is not an `s3:` action S3 defines.
    public static let invalidAction = "Policy has invalid action"
    /// [P] A statement has neither `Resource` nor `NotResource`.
    public static let missingResource = "Missing required field Resource"
    /// [R] A resource that is not an S3 ARN of the policy's bucket or of its objects.
    public static let invalidResource = "Policy has invalid resource"
    /// [P] An action whose resource type (bucket or object) none of the statement's resources has.
    public static let actionResourceMismatch = "Action does not apply to any resource(s) in statement"
    /// [P] A condition operator IAM does not define.
    public static func invalidConditionType(_ op: String) -> String { "Invalid Condition type : \(op)" }
    /// [R] A condition key that is neither a global `aws:` key nor an `s3:` key S3 defines.
    public static let invalidConditionKey = "Policy has an invalid condition key"
    /// [P] An `IpAddress`/`NotIpAddress` value that is not an IPv4/IPv6 address or CIDR block.
    public static let invalidIPAddress = "Invalid IP address in Conditions"
}
