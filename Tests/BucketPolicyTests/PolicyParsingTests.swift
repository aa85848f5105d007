import BucketPolicy
import Foundation
import S3Wire
import Testing

/// PutBucketPolicy body validation: 400 MalformedPolicy and its message.
@Suite struct PolicyParsingTests {
    typealias M = MalformedPolicyMessage

    static let errorCases: [(String, String, String)] = [
        ("empty body", "", M.notJSONObject),
        ("leading whitespace", " " + Fixture.statement(), M.notJSONObject),
        ("array document", "[" + Fixture.statement() + "]", M.notJSONObject),
        ("not JSON", #"{"Version": "2012-10-17", "Statement": [}"#, M.invalidJSON),
        ("trailing comma", #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",}]}"#, M.invalidJSON),
        ("no Statement", #"{"Version":"2012-10-17"}"#, M.missingStatement),
        ("empty Statement", #"{"Version":"2012-10-17","Statement":[]}"#, M.emptyStatement),
        ("Statement is a string", #"{"Statement":"x"}"#, M.syntax),
        ("bad Version", #"{"Version":"2020-01-01","Statement":[]}"#, M.invalidVersion),
        ("unknown top-level member", #"{"Version":"2012-10-17","Statment":[]}"#, M.syntax),
        ("bad Effect", Fixture.statement(effect: "Allw"), M.invalidEffect("Allw")),
        ("Effect is case-sensitive", Fixture.statement(effect: "allow"), M.invalidEffect("allow")),
        ("no Effect", #"{"Statement":{"Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}}"#, M.missingEffect),
        ("no Principal", #"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}}"#, M.missingPrincipal),
        ("Principal string other than *", Fixture.statement(principal: #""someone""#), M.invalidPrincipal),
        ("Principal with short account", Fixture.statement(principal: #"{"AWS":"arn:aws:iam::123:user/x"}"#), M.invalidPrincipal),
        ("Principal with wildcard ARN", Fixture.statement(principal: #"{"AWS":"arn:aws:iam::111122223333:user/*"}"#), M.invalidPrincipal),
        ("Principal of unknown type", Fixture.statement(principal: #"{"Users":"alice"}"#), M.invalidPrincipal),
        ("empty Principal object", Fixture.statement(principal: "{}"), M.invalidPrincipal),
        (
            "NotPrincipal with Allow",
            Fixture.statement(principal: #"{"AWS":"111122223333"}"#).replacingOccurrences(of: #""Principal""#, with: #""NotPrincipal""#),
            M.invalidPrincipal
        ),
        ("no Action", #"{"Statement":{"Effect":"Allow","Principal":"*","Resource":"arn:aws:s3:::bkt/*"}}"#, M.missingAction),
        ("action of another service", Fixture.statement(action: #""iam:PassRole""#), M.invalidAction),
        ("unknown s3 action", Fixture.statement(action: #""s3:Frobnicate""#), M.invalidAction),
        ("wildcard naming no action", Fixture.statement(action: #""s3:Frob*""#), M.invalidAction),
        ("empty action list", Fixture.statement(action: "[]"), M.invalidAction),
        ("no Resource", #"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}}"#, M.missingResource),
        ("resource of another bucket", Fixture.statement(resource: #""arn:aws:s3:::other-bucket/*""#), M.invalidResource),
        ("one resource of another bucket", Fixture.statement(resource: #"["arn:aws:s3:::bkt/*","arn:aws:s3:::other/*"]"#), M.invalidResource),
        ("resource *", Fixture.statement(resource: #""*""#), M.invalidResource),
        ("resource of another service", Fixture.statement(resource: #""arn:aws:sqs:us-east-1:111122223333:q""#), M.invalidResource),
        ("empty resource list", Fixture.statement(resource: "[]"), M.invalidResource),
        ("object action on bucket", Fixture.statement(action: #""s3:PutObject""#, resource: #""arn:aws:s3:::bkt""#), M.actionResourceMismatch),
        ("bucket action on objects", Fixture.statement(action: #""s3:ListBucket""#, resource: #""arn:aws:s3:::bkt/*""#), M.actionResourceMismatch),
        (
            "one action without its resource", Fixture.statement(action: #"["s3:GetObject","s3:ListBucket"]"#),
            M.actionResourceMismatch
        ),
        ("account action", Fixture.statement(action: #""s3:ListAllMyBuckets""#, resource: #""arn:aws:s3:::bkt""#), M.actionResourceMismatch),
        ("unknown condition operator", Fixture.statement(condition: #"{"StringEqualz":{"aws:SecureTransport":"true"}}"#), M.invalidConditionType("StringEqualz")),
        ("NullIfExists", Fixture.statement(condition: #"{"NullIfExists":{"aws:SecureTransport":"true"}}"#), M.invalidConditionType("NullIfExists")),
        ("unknown s3 condition key", Fixture.statement(condition: #"{"StringEquals":{"s3:x-amz-nonsense":"1"}}"#), M.invalidConditionKey),
        ("condition key of no service", Fixture.statement(condition: #"{"StringEquals":{"nonsense":"1"}}"#), M.invalidConditionKey),
        ("bad IP address", Fixture.statement(condition: #"{"IpAddress":{"aws:SourceIp":"300.1.1.1/8"}}"#), M.invalidIPAddress),
        ("condition operator value not an object", Fixture.statement(condition: #"{"StringEquals":"x"}"#), M.syntax),
        ("condition value null", Fixture.statement(condition: #"{"StringEquals":{"aws:username":null}}"#), M.syntax),
        ("unknown statement member", Fixture.statement().replacingOccurrences(of: #""Effect""#, with: #""Extra":1,"Effect""#), M.syntax),
        (
            "Principal and NotPrincipal", Fixture.statement(effect: "Deny").replacingOccurrences(of: #""Effect""#, with: #""NotPrincipal":"*","Effect""#),
            M.syntax
        ),
        ("Effect not a string", Fixture.statement().replacingOccurrences(of: #""Allow""#, with: "true"), M.syntax),
        (
            "too large",
            #"{"Id":"\#(String(repeating: "x", count: 20_500))","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}}"#,
            M.tooLarge
        ),
    ]

    @Test(arguments: errorCases)
    func rejects(_ name: String, _ json: String, _ message: String) {
        #expect(Fixture.parseError(json) == message, "\(name)")
    }

    static let validCases: [(String, String)] = [
        ("single statement object without Version", #"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}}"#),
        ("2008-10-17 with Id", #"{"Version":"2008-10-17","Id":"P1","Statement":[{"Sid":"1","Effect":"Deny","Principal":{"AWS":["*"]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::bkt/*"]}]}"#),
        ("s3:* on the bucket only", Fixture.statement(action: #""s3:*""#, resource: #""arn:aws:s3:::bkt""#)),
        ("s3:Get* on objects", Fixture.statement(action: #""s3:Get*""#)),
        ("bucket wildcard", Fixture.statement(resource: #""arn:aws:s3:::bk?/*""#)),
        ("all buckets", Fixture.statement(action: #""s3:ListBucket""#, resource: #""arn:aws:s3:::*""#)),
        ("mixed actions with both resources", Fixture.statement(action: #"["s3:GetObject","s3:ListBucket"]"#, resource: #"["arn:aws:s3:::bkt","arn:aws:s3:::bkt/*"]"#)),
        ("account, root, user, role principals", Fixture.statement(principal: #"{"AWS":["111122223333","arn:aws:iam::111122223333:root","arn:aws:iam::111122223333:user/path/alice","arn:aws:iam::111122223333:role/r"]}"#)),
        ("service principal", Fixture.statement(principal: #"{"Service":"logging.s3.amazonaws.com"}"#, action: #""s3:PutObject""#)),
        ("NotAction needs no resource match", Fixture.statement(effect: "Deny", action: "[]").replacingOccurrences(of: #""Action":[]"#, with: #""NotAction":"s3:ListBucket""#)),
        ("condition with numbers and booleans", Fixture.statement(condition: #"{"NumericLessThan":{"s3:max-keys":[10,20]},"Bool":{"aws:SecureTransport":true}}"#)),
        ("any aws: key", Fixture.statement(condition: #"{"StringEquals":{"aws:SomeFutureKey":"x"}}"#)),
        ("tag condition key", Fixture.statement(condition: #"{"StringEquals":{"s3:ExistingObjectTag/team":"x"}}"#)),
        ("pretty-printed", "{\n  \"Statement\": {\n    \"Effect\": \"Allow\",\n    \"Principal\": \"*\",\n    \"Action\": \"s3:GetObject\",\n    \"Resource\": \"arn:aws:s3:::bkt/*\"\n  }\n}"),
    ]

    @Test(arguments: validCases)
    func accepts(_ name: String, _ json: String) {
        #expect(Fixture.parseError(json) == nil, "\(name)")
    }

    @Test func errorIsMalformedPolicy() {
        #expect(throws: S3Error(status: 400, code: "MalformedPolicy", message: M.missingStatement)) {
            try PolicyDocument(json: "{}", bucket: Fixture.bucket)
        }
    }

    @Test func parsedElements() throws {
        let policy = try Fixture.policy(
            #"{"Version":"2012-10-17","Id":"P","Statement":{"Sid":"S","Effect":"Deny","Principal":{"AWS":["111122223333","arn:aws:iam::444455556666:user/eve"]},"#
                + #""Action":["S3:PutObject","s3:Get*"],"Resource":"arn:aws:s3:::bkt/*","#
                + #""Condition":{"ForAnyValue:StringLikeIfExists":{"S3:Prefix":["a*",5]}}}}"#)
        #expect(policy.id == "P")
        let statement = try #require(policy.statements.first)
        #expect(statement.sid == "S")
        #expect(statement.effect == .deny)
        #expect(statement.principals.accounts == ["111122223333"])
        #expect(statement.principals.arns == ["arn:aws:iam::444455556666:user/eve"])
        #expect(statement.actions == ["s3:putobject", "s3:get*"])
        #expect(statement.resources == ["arn:aws:s3:::bkt/*"])
        #expect(
            statement.conditions == [
                PolicyCondition(conditionOperator: .stringLike, qualifier: .forAnyValue, ifExists: true, key: "s3:prefix", values: ["a*", "5"])
            ])
    }
}
