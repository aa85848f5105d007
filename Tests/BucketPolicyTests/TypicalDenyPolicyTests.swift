import BucketPolicy
import Testing

/// The reference's typical deny policy (§8.2) against requests with and without SSE headers, over HTTP and HTTPS.
@Suite struct TypicalDenyPolicyTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var action = "s3:PutObject"
        var resource = Fixture.object()
        var https = true
        var sse: String?
        var keyID: String?
        /// The statements that apply (by Sid).
        var denying: Set<String>

        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "PUT over HTTPS without SSE header", denying: ["DenyWrongAlgo", "DenyNoHeader", "DenyOtherKey"]),
        Case(name: "PUT over HTTPS with AES256", sse: "AES256", denying: ["DenyWrongAlgo", "DenyOtherKey"]),
        Case(name: "PUT aws:kms without key id: aws/s3 key compared", sse: "aws:kms", denying: ["DenyOtherKey"]),
        Case(name: "PUT aws:kms with the required key", sse: "aws:kms", keyID: Fixture.requiredKey, denying: []),
        Case(name: "PUT aws:kms with another key", sse: "aws:kms", keyID: Fixture.otherKey, denying: ["DenyOtherKey"]),
        Case(name: "PUT aws:kms:dsse with the required key", sse: "aws:kms:dsse", keyID: Fixture.requiredKey, denying: ["DenyWrongAlgo"]),
        Case(
            name: "PUT over HTTP with the required key", https: false, sse: "aws:kms", keyID: Fixture.requiredKey,
            denying: ["DenyHttp"]),
        Case(
            name: "PUT over HTTP without header", https: false,
            denying: ["DenyHttp", "DenyWrongAlgo", "DenyNoHeader", "DenyOtherKey"]),
        Case(name: "GET over HTTPS", action: "s3:GetObject", denying: []),
        Case(name: "GET over HTTP", action: "s3:GetObject", https: false, denying: ["DenyHttp"]),
        Case(name: "ListBucket over HTTPS", action: "s3:ListBucket", resource: Fixture.bucketARN, denying: []),
        Case(name: "ListBucket over HTTP", action: "s3:ListBucket", resource: Fixture.bucketARN, https: false, denying: ["DenyHttp"]),
        Case(
            name: "UploadPart (s3:PutObject) without SSE headers is denied too",
            denying: ["DenyWrongAlgo", "DenyNoHeader", "DenyOtherKey"]),
        Case(
            name: "PUT to another bucket: no statement applies", resource: "arn:aws:s3:::elsewhere/key", https: false,
            denying: []),
    ]

    @Test(arguments: cases)
    func statementsAndDecision(_ c: Case) throws {
        let policy = try Fixture.policy(Fixture.typicalDenyPolicy)
        let context = PolicyContextBuilder.context(
            secureTransport: c.https, serverSideEncryption: c.sse, kmsKeyID: c.keyID,
            awsManagedKeyARN: Fixture.awsManagedKey)
        for principal in [PolicyPrincipal.anonymous, Fixture.alice, Fixture.stranger] {
            let request = PolicyRequest(action: c.action, resource: c.resource, principal: principal, context: context)
            let lowered = Dictionary(uniqueKeysWithValues: context.map { ($0.key.lowercased(), $0.value) })
            let applying = Set(
                policy.statements.filter { $0.applies(to: request, lowercasedContext: lowered) }.compactMap(\.sid))
            #expect(applying == c.denying)
            let expected: PolicyDecision = c.denying.isEmpty ? .notApplicable : .deny(explicit: true)
            #expect(PolicyEvaluator(document: policy).evaluate(request: request) == expected)
        }
    }

    @Test func parsesFourStatementsInOrder() throws {
        let policy = try Fixture.policy(Fixture.typicalDenyPolicy)
        #expect(policy.version == "2012-10-17")
        #expect(policy.statements.map(\.sid) == ["DenyHttp", "DenyWrongAlgo", "DenyNoHeader", "DenyOtherKey"])
        #expect(policy.statements.allSatisfy { $0.effect == .deny && $0.principals.everyone })
    }
}
