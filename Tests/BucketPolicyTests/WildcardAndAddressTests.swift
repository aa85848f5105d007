import BucketPolicy
import Testing

/// Wildcard resources and IP blocks through the public API.
@Suite struct WildcardAndAddressTests {
    @Test(arguments: [
        ("arn:aws:s3:::bkt/*", "arn:aws:s3:::bkt/", true),
        ("arn:aws:s3:::bkt/*.jpg", "arn:aws:s3:::bkt/a/b.jpg", true),
        ("arn:aws:s3:::bkt/*.jpg", "arn:aws:s3:::bkt/a/b.jpeg", false),
        ("arn:aws:s3:::bkt/a*b*c", "arn:aws:s3:::bkt/aXXbYYc", true),
        ("arn:aws:s3:::bkt/a*b*c", "arn:aws:s3:::bkt/aXXbYY", false),
        ("arn:aws:s3:::bkt/??", "arn:aws:s3:::bkt/é1", true),
        ("arn:aws:s3:::bkt/**", "arn:aws:s3:::bkt/x", true),
        ("arn:aws:s3:::bkt/key", "arn:aws:s3:::bkt/key2", false),
    ])
    func resourcePatterns(_ pattern: String, _ resource: String, _ matches: Bool) throws {
        let policy = try Fixture.policy(Fixture.statement(resource: "\"\(pattern)\""))
        let request = PolicyRequest(action: "s3:GetObject", resource: resource, principal: .anonymous)
        #expect(PolicyEvaluator(document: policy).evaluate(request: request) == (matches ? .allow : .notApplicable))
    }

    @Test(arguments: [
        ("10.0.0.0/8", "10.255.1.2", true),
        ("10.0.0.0/8", "11.0.0.1", false),
        ("192.168.1.1", "192.168.1.1", true),
        ("192.168.1.0/25", "192.168.1.200", false),
        ("0.0.0.0/0", "8.8.8.8", true),
        ("2001:db8::/32", "2001:db8:ffff::1", true),
        ("::1", "::1", true),
        ("::ffff:192.0.2.0/120", "::ffff:192.0.2.77", true),
        ("2001:db8::/32", "10.0.0.1", false),
    ])
    func ipBlocks(_ block: String, _ address: String, _ inside: Bool) throws {
        let policy = try Fixture.policy(Fixture.statement(condition: #"{"IpAddress":{"aws:SourceIp":"\#(block)"}}"#))
        let request = PolicyRequest(
            action: "s3:GetObject", resource: Fixture.object(), principal: .anonymous, context: ["aws:SourceIp": [address]])
        #expect(PolicyEvaluator(document: policy).evaluate(request: request) == (inside ? .allow : .notApplicable))
    }
}
