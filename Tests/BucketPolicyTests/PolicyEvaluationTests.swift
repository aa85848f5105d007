import Foundation
import BucketPolicy
import Testing

/// Statement matching: actions, resources, principals, `Not…` forms and the combination of effects.
@Suite struct PolicyEvaluationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var policy: String
        var action: String
        var resource: String = Fixture.object()
        var principal: PolicyPrincipal = Fixture.alice
        var expected: PolicyDecision
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        // Action wildcards, case-insensitive names.
        Case(name: "s3:* names any action", policy: Fixture.statement(action: #""s3:*""#), action: "s3:DeleteObject", expected: .allow),
        Case(name: "* names any action", policy: Fixture.statement(action: #""*""#), action: "s3:PutObject", expected: .allow),
        Case(name: "s3:Get* names GetObject", policy: Fixture.statement(action: #""s3:Get*""#), action: "s3:GetObject", expected: .allow),
        Case(
            name: "s3:Get* does not name PutObject", policy: Fixture.statement(action: #""s3:Get*""#), action: "s3:PutObject",
            expected: .notApplicable),
        Case(
            name: "action names are case-insensitive", policy: Fixture.statement(action: #""S3:getobject""#),
            action: "s3:GetObject", expected: .allow),
        Case(
            name: "s3:?etObject names GetObject", policy: Fixture.statement(action: #""s3:?etObject""#), action: "s3:GetObject",
            expected: .allow),
        Case(
            name: "action array", policy: Fixture.statement(action: #"["s3:PutObject","s3:GetObject"]"#),
            action: "s3:GetObject", expected: .allow),
        // Only-Allow policy and other actions.
        Case(
            name: "Allow-only policy does not apply to other actions", policy: Fixture.statement(), action: "s3:PutObject",
            expected: .notApplicable),
        // Resource wildcards, case-sensitive.
        Case(
            name: "bkt/* names a nested key", policy: Fixture.statement(), action: "s3:GetObject",
            resource: Fixture.object("a/b/c.txt"), expected: .allow),
        Case(
            name: "bkt/logs/* does not name other prefixes",
            policy: Fixture.statement(resource: #""arn:aws:s3:::bkt/logs/*""#), action: "s3:GetObject",
            resource: Fixture.object("data/x"), expected: .notApplicable),
        Case(
            name: "? matches one character", policy: Fixture.statement(resource: #""arn:aws:s3:::bkt/file?.txt""#),
            action: "s3:GetObject", resource: Fixture.object("file1.txt"), expected: .allow),
        Case(
            name: "? does not match two characters", policy: Fixture.statement(resource: #""arn:aws:s3:::bkt/file?.txt""#),
            action: "s3:GetObject", resource: Fixture.object("file12.txt"), expected: .notApplicable),
        Case(
            name: "resource ARNs are case-sensitive", policy: Fixture.statement(resource: #""arn:aws:s3:::bkt/Key""#),
            action: "s3:GetObject", resource: Fixture.object("key"), expected: .notApplicable),
        Case(
            name: "bucket ARN does not name objects",
            policy: Fixture.statement(action: #""s3:*""#, resource: #""arn:aws:s3:::bkt""#), action: "s3:GetObject",
            expected: .notApplicable),
        Case(
            name: "arn:aws:s3:::bkt* names bucket and objects",
            policy: Fixture.statement(action: #""s3:*""#, resource: #""arn:aws:s3:::bkt*""#), action: "s3:ListBucket",
            resource: Fixture.bucketARN, expected: .allow),
        // Explicit deny beats allow, in either order.
        Case(
            name: "Deny after Allow wins",
            policy: #"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::bkt/*"},"#
                + #"{"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::bkt/*"}]}"#,
            action: "s3:DeleteObject", expected: .deny(explicit: true)),
        Case(
            name: "Deny before Allow wins",
            policy: #"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::bkt/*"},"#
                + #"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::bkt/*"}]}"#,
            action: "s3:DeleteObject", expected: .deny(explicit: true)),
        Case(
            name: "Allow applies where Deny does not",
            policy: #"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::bkt/*"},"#
                + #"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::bkt/*"}]}"#,
            action: "s3:GetObject", expected: .allow),
        // Principals.
        Case(
            name: "account principal names its users", policy: Fixture.statement(principal: #"{"AWS":"111122223333"}"#),
            action: "s3:GetObject", expected: .allow),
        Case(
            name: "account root ARN names its users",
            policy: Fixture.statement(principal: #"{"AWS":"arn:aws:iam::111122223333:root"}"#), action: "s3:GetObject",
            principal: Fixture.bob, expected: .allow),
        Case(
            name: "account principal does not name other accounts",
            policy: Fixture.statement(principal: #"{"AWS":"111122223333"}"#), action: "s3:GetObject",
            principal: Fixture.stranger, expected: .notApplicable),
        Case(
            name: "user principal names that user only",
            policy: Fixture.statement(principal: #"{"AWS":["arn:aws:iam::111122223333:user/alice"]}"#),
            action: "s3:GetObject", principal: Fixture.bob, expected: .notApplicable),
        Case(
            name: "{AWS:*} names anonymous callers", policy: Fixture.statement(principal: #"{"AWS":"*"}"#),
            action: "s3:GetObject", principal: .anonymous, expected: .allow),
        Case(
            name: "account principal does not name anonymous callers",
            policy: Fixture.statement(principal: #"{"AWS":"111122223333"}"#), action: "s3:GetObject", principal: .anonymous,
            expected: .notApplicable),
        Case(
            name: "canonical user principal",
            policy: Fixture.statement(principal: #"{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}"#),
            action: "s3:GetObject",
            principal: .authenticated(
                accountID: Fixture.other, arn: "arn:aws:iam::444455556666:root",
                canonicalUserID: "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"),
            expected: .allow),
        // Not… forms.
        Case(
            name: "NotAction applies to other actions",
            policy: Fixture.statement(effect: "Deny", action: "[]").replacingOccurrences(
                of: #""Action":[]"#, with: #""NotAction":"s3:GetObject""#),
            action: "s3:PutObject", expected: .deny(explicit: true)),
        Case(
            name: "NotAction does not apply to its actions",
            policy: Fixture.statement(effect: "Deny", action: "[]").replacingOccurrences(
                of: #""Action":[]"#, with: #""NotAction":"s3:GetObject""#),
            action: "s3:GetObject", expected: .notApplicable),
        Case(
            name: "NotResource applies to other keys",
            policy: Fixture.statement(effect: "Deny", action: #""s3:*""#).replacingOccurrences(
                of: #""Resource":"arn:aws:s3:::bkt/*""#, with: #""NotResource":"arn:aws:s3:::bkt/public/*""#),
            action: "s3:GetObject", resource: Fixture.object("private/x"), expected: .deny(explicit: true)),
        Case(
            name: "NotResource spares its keys",
            policy: Fixture.statement(effect: "Deny", action: #""s3:*""#).replacingOccurrences(
                of: #""Resource":"arn:aws:s3:::bkt/*""#, with: #""NotResource":"arn:aws:s3:::bkt/public/*""#),
            action: "s3:GetObject", resource: Fixture.object("public/x"), expected: .notApplicable),
        Case(
            name: "NotPrincipal denies everyone else",
            policy: Fixture.statement(effect: "Deny", principal: #"{"AWS":"arn:aws:iam::111122223333:user/alice"}"#)
                .replacingOccurrences(of: #""Principal""#, with: #""NotPrincipal""#),
            action: "s3:GetObject", principal: Fixture.bob, expected: .deny(explicit: true)),
        Case(
            name: "NotPrincipal spares its principals",
            policy: Fixture.statement(effect: "Deny", principal: #"{"AWS":"arn:aws:iam::111122223333:user/alice"}"#)
                .replacingOccurrences(of: #""Principal""#, with: #""NotPrincipal""#),
            action: "s3:GetObject", principal: Fixture.alice, expected: .notApplicable),
    ]

    @Test(arguments: cases)
    func decision(_ c: Case) throws {
        let policy = try Fixture.policy(c.policy)
        let request = PolicyRequest(
            action: c.action, resource: c.resource, principal: c.principal,
            context: PolicyContextBuilder.context(secureTransport: true))
        #expect(PolicyEvaluator(document: policy).evaluate(request: request) == c.expected)
    }

    @Test func copyChecksBothResourcesAndReportsTheDeniedOne() throws {
        let policy = try Fixture.policy(
            #"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/secret/*"},"#
                + #"{"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::bkt/*"}]}"#)
        let evaluator = PolicyEvaluator(document: policy)
        let put = PolicyRequest(action: "s3:PutObject", resource: Fixture.object("copy"), principal: Fixture.alice)
        let getSecret = PolicyRequest(action: "s3:GetObject", resource: Fixture.object("secret/a"), principal: Fixture.alice)
        let getPlain = PolicyRequest(action: "s3:GetObject", resource: Fixture.object("plain/a"), principal: Fixture.alice)

        let denied = evaluator.evaluate(requests: [put, getSecret])
        #expect(denied.decision == .deny(explicit: true))
        #expect(denied.deciding == getSecret)
        let allowed = evaluator.evaluate(requests: [put, getPlain])
        #expect(allowed.decision == .allow)
        #expect(allowed.deciding == nil)
        let partly = evaluator.evaluate(requests: [put, PolicyRequest(action: "s3:DeleteObject", resource: Fixture.object(), principal: Fixture.alice)])
        #expect(partly.decision == .notApplicable)
    }

    @Test func contextKeyNamesAreCaseInsensitive() throws {
        let policy = try Fixture.policy(
            Fixture.statement(effect: "Deny", condition: #"{"StringEquals":{"S3:X-AMZ-Server-Side-Encryption":"AES256"}}"#))
        let request = PolicyRequest(
            action: "s3:GetObject", resource: Fixture.object(), principal: .anonymous,
            context: ["s3:x-amz-server-side-encryption": ["AES256"]])
        #expect(PolicyEvaluator(document: policy).evaluate(request: request) == .deny(explicit: true))
    }
}
