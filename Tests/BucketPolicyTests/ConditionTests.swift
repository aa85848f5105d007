import BucketPolicy
import Testing

/// Condition operators, absent keys, `IfExists` and the set qualifiers, evaluated through a whole policy.
@Suite struct ConditionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        /// The `Condition` block of a Deny statement on `s3:GetObject`.
        var condition: String
        var context: [String: [String]]
        /// Whether the statement applies (deny) or not.
        var applies: Bool
        var testDescription: String { name }
    }

    static let sse = "s3:x-amz-server-side-encryption"

    static let cases: [Case] = [
        // Null
        Case(name: "Null true, key absent", condition: #"{"Null":{"\#(sse)":"true"}}"#, context: [:], applies: true),
        Case(name: "Null true, key present", condition: #"{"Null":{"\#(sse)":"true"}}"#, context: [sse: ["AES256"]], applies: false),
        Case(name: "Null false, key absent", condition: #"{"Null":{"\#(sse)":"false"}}"#, context: [:], applies: false),
        Case(name: "Null false, key present", condition: #"{"Null":{"\#(sse)":"false"}}"#, context: [sse: ["AES256"]], applies: true),
        Case(name: "Null with JSON boolean", condition: #"{"Null":{"\#(sse)":true}}"#, context: [:], applies: true),
        // Bool aws:SecureTransport
        Case(
            name: "Bool false over HTTP", condition: #"{"Bool":{"aws:SecureTransport":"false"}}"#,
            context: PolicyContextBuilder.context(secureTransport: false), applies: true),
        Case(
            name: "Bool false over HTTPS", condition: #"{"Bool":{"aws:SecureTransport":"false"}}"#,
            context: PolicyContextBuilder.context(secureTransport: true), applies: false),
        Case(
            name: "Bool with JSON false over HTTP", condition: #"{"Bool":{"aws:SecureTransport":false}}"#,
            context: PolicyContextBuilder.context(secureTransport: false), applies: true),
        Case(
            name: "Bool true over HTTPS, key name in other case", condition: #"{"Bool":{"AWS:securetransport":"True"}}"#,
            context: PolicyContextBuilder.context(secureTransport: true), applies: true),
        Case(name: "Bool, key absent", condition: #"{"Bool":{"aws:SecureTransport":"false"}}"#, context: [:], applies: false),
        // StringEquals / StringNotEquals, absent key
        Case(name: "StringEquals match", condition: #"{"StringEquals":{"\#(sse)":"AES256"}}"#, context: [sse: ["AES256"]], applies: true),
        Case(name: "StringEquals is case-sensitive", condition: #"{"StringEquals":{"\#(sse)":"aes256"}}"#, context: [sse: ["AES256"]], applies: false),
        Case(name: "StringEquals, key absent", condition: #"{"StringEquals":{"\#(sse)":"AES256"}}"#, context: [:], applies: false),
        Case(name: "StringEquals, any of several values", condition: #"{"StringEquals":{"\#(sse)":["aws:kms","AES256"]}}"#, context: [sse: ["AES256"]], applies: true),
        Case(name: "StringNotEquals, key absent", condition: #"{"StringNotEquals":{"\#(sse)":"aws:kms"}}"#, context: [:], applies: true),
        Case(name: "StringNotEquals, equal", condition: #"{"StringNotEquals":{"\#(sse)":"aws:kms"}}"#, context: [sse: ["aws:kms"]], applies: false),
        Case(
            name: "StringNotEquals, none of several values", condition: #"{"StringNotEquals":{"\#(sse)":["aws:kms","aws:kms:dsse"]}}"#,
            context: [sse: ["AES256"]], applies: true),
        Case(
            name: "StringNotEquals, one of several values", condition: #"{"StringNotEquals":{"\#(sse)":["aws:kms","aws:kms:dsse"]}}"#,
            context: [sse: ["aws:kms:dsse"]], applies: false),
        // IgnoreCase
        Case(name: "StringEqualsIgnoreCase", condition: #"{"StringEqualsIgnoreCase":{"\#(sse)":"aes256"}}"#, context: [sse: ["AES256"]], applies: true),
        Case(name: "StringNotEqualsIgnoreCase", condition: #"{"StringNotEqualsIgnoreCase":{"\#(sse)":"aes256"}}"#, context: [sse: ["AES256"]], applies: false),
        // StringLike / StringNotLike
        Case(name: "StringLike *", condition: #"{"StringLike":{"s3:prefix":"home/*"}}"#, context: ["s3:prefix": ["home/alice/docs"]], applies: true),
        Case(name: "StringLike * no match", condition: #"{"StringLike":{"s3:prefix":"home/*"}}"#, context: ["s3:prefix": ["etc/"]], applies: false),
        Case(name: "StringLike ?", condition: #"{"StringLike":{"s3:prefix":"v?/"}}"#, context: ["s3:prefix": ["v2/"]], applies: true),
        Case(name: "StringLike ? is one character", condition: #"{"StringLike":{"s3:prefix":"v?/"}}"#, context: ["s3:prefix": ["v10/"]], applies: false),
        Case(name: "StringLike is case-sensitive", condition: #"{"StringLike":{"s3:prefix":"Home/*"}}"#, context: ["s3:prefix": ["home/x"]], applies: false),
        Case(name: "StringNotLike", condition: #"{"StringNotLike":{"s3:prefix":"home/*"}}"#, context: ["s3:prefix": ["etc/"]], applies: true),
        Case(name: "StringNotLike, key absent", condition: #"{"StringNotLike":{"s3:prefix":"home/*"}}"#, context: [:], applies: true),
        // IfExists
        Case(name: "StringEqualsIfExists, key absent", condition: #"{"StringEqualsIfExists":{"\#(sse)":"AES256"}}"#, context: [:], applies: true),
        Case(name: "StringEqualsIfExists, other value", condition: #"{"StringEqualsIfExists":{"\#(sse)":"AES256"}}"#, context: [sse: ["aws:kms"]], applies: false),
        Case(name: "StringNotEqualsIfExists, key absent", condition: #"{"StringNotEqualsIfExists":{"\#(sse)":"aws:kms"}}"#, context: [:], applies: true),
        Case(name: "StringNotEqualsIfExists, equal", condition: #"{"StringNotEqualsIfExists":{"\#(sse)":"aws:kms"}}"#, context: [sse: ["aws:kms"]], applies: false),
        // Set qualifiers
        Case(
            name: "ForAnyValue:StringEquals, one matches", condition: #"{"ForAnyValue:StringEquals":{"aws:TagKeys":["a","b"]}}"#,
            context: ["aws:TagKeys": ["z", "b"]], applies: true),
        Case(name: "ForAnyValue:StringEquals, key absent", condition: #"{"ForAnyValue:StringEquals":{"aws:TagKeys":"a"}}"#, context: [:], applies: false),
        Case(
            name: "ForAllValues:StringEquals, all match", condition: #"{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}"#,
            context: ["aws:TagKeys": ["a", "b"]], applies: true),
        Case(
            name: "ForAllValues:StringEquals, one does not match", condition: #"{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}"#,
            context: ["aws:TagKeys": ["a", "z"]], applies: false),
        Case(name: "ForAllValues:StringEquals, key absent", condition: #"{"ForAllValues:StringEquals":{"aws:TagKeys":"a"}}"#, context: [:], applies: true),
        Case(
            name: "ForAnyValue:StringNotLike, one value outside", condition: #"{"ForAnyValue:StringNotLike":{"aws:TagKeys":"a*"}}"#,
            context: ["aws:TagKeys": ["ab", "zz"]], applies: true),
        // Several operators and keys are ANDed
        Case(
            name: "two operators, both hold",
            condition: #"{"Bool":{"aws:SecureTransport":"true"},"StringEquals":{"\#(sse)":"AES256"}}"#,
            context: PolicyContextBuilder.context(secureTransport: true, serverSideEncryption: "AES256"), applies: true),
        Case(
            name: "two operators, one fails",
            condition: #"{"Bool":{"aws:SecureTransport":"true"},"StringEquals":{"\#(sse)":"AES256"}}"#,
            context: PolicyContextBuilder.context(secureTransport: true, serverSideEncryption: "aws:kms"), applies: false),
        // Numeric, IP, ARN, Date
        Case(name: "NumericLessThanEquals", condition: #"{"NumericLessThanEquals":{"s3:max-keys":"10"}}"#, context: ["s3:max-keys": ["10"]], applies: true),
        Case(name: "NumericGreaterThan", condition: #"{"NumericGreaterThan":{"s3:max-keys":10}}"#, context: ["s3:max-keys": ["10"]], applies: false),
        Case(name: "IpAddress in block", condition: #"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#, context: ["aws:SourceIp": ["203.0.113.9"]], applies: true),
        Case(name: "IpAddress outside block", condition: #"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#, context: ["aws:SourceIp": ["203.0.114.9"]], applies: false),
        Case(name: "NotIpAddress IPv6", condition: #"{"NotIpAddress":{"aws:SourceIp":"2001:db8::/32"}}"#, context: ["aws:SourceIp": ["2001:db9::1"]], applies: true),
        Case(
            name: "ArnLike", condition: #"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/*"}}"#,
            context: ["aws:PrincipalArn": ["arn:aws:iam::111122223333:role/admin"]], applies: true),
        Case(
            name: "DateGreaterThan", condition: #"{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}"#,
            context: ["aws:CurrentTime": ["2026-05-01T12:00:00Z"]], applies: true),
    ]

    @Test(arguments: cases)
    func condition(_ c: Case) throws {
        let policy = try Fixture.policy(Fixture.statement(effect: "Deny", condition: c.condition))
        let request = PolicyRequest(action: "s3:GetObject", resource: Fixture.object(), principal: Fixture.alice, context: c.context)
        let expected: PolicyDecision = c.applies ? .deny(explicit: true) : .notApplicable
        #expect(PolicyEvaluator(document: policy).evaluate(request: request) == expected)
    }

    @Test(arguments: [
        ("StringEquals", ConditionOperator.stringEquals, nil as PolicyCondition.SetQualifier?, false),
        ("StringNotEqualsIfExists", .stringNotEquals, nil, true),
        ("ForAnyValue:StringLike", .stringLike, .forAnyValue, false),
        ("ForAllValues:StringEqualsIgnoreCaseIfExists", .stringEqualsIgnoreCase, .forAllValues, true),
        ("Null", .null, nil, false),
    ])
    func operatorNames(_ name: String, _ op: ConditionOperator, _ qualifier: PolicyCondition.SetQualifier?, _ ifExists: Bool) {
        let parsed = PolicyCondition.parseOperatorName(name)
        #expect(parsed?.0 == op)
        #expect(parsed?.1 == qualifier)
        #expect(parsed?.2 == ifExists)
    }

    @Test(arguments: ["StringEqualz", "NullIfExists", "ForAnyValue:Null", "stringequals", "ForSomeValues:StringEquals", ""])
    func unknownOperatorNames(_ name: String) {
        #expect(PolicyCondition.parseOperatorName(name) == nil)
    }
}
