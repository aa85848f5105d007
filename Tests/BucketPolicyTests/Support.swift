import BucketPolicy
import S3Wire
import Testing

/// Shared fixtures of the bucket-policy tests.
enum Fixture {
    static let bucket = "bkt"
    static let owner = "111122223333"
    static let other = "444455556666"
    static let requiredKey = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    static let otherKey = "arn:aws:kms:us-east-1:111122223333:key/ffffffff-0000-1111-2222-333333333333"
    static let awsManagedKey = "arn:aws:kms:us-east-1:111122223333:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"

    static let alice = PolicyPrincipal.authenticated(accountID: owner, arn: "arn:aws:iam::111122223333:user/alice")
    static let bob = PolicyPrincipal.authenticated(accountID: owner, arn: "arn:aws:iam::111122223333:user/bob")
    static let stranger = PolicyPrincipal.authenticated(accountID: other, arn: "arn:aws:iam::444455556666:user/eve")

    /// The typical deny policy of the reference (§8.2), with a concrete key ARN.
    static let typicalDenyPolicy = """
        {"Version":"2012-10-17","Statement":[
         {"Sid":"DenyHttp","Effect":"Deny","Principal":"*","Action":"s3:*",
          "Resource":["arn:aws:s3:::bkt","arn:aws:s3:::bkt/*"],
          "Condition":{"Bool":{"aws:SecureTransport":"false"}}},
         {"Sid":"DenyWrongAlgo","Effect":"Deny","Principal":"*","Action":"s3:PutObject",
          "Resource":"arn:aws:s3:::bkt/*",
          "Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}},
         {"Sid":"DenyNoHeader","Effect":"Deny","Principal":"*","Action":"s3:PutObject",
          "Resource":"arn:aws:s3:::bkt/*",
          "Condition":{"Null":{"s3:x-amz-server-side-encryption":"true"}}},
         {"Sid":"DenyOtherKey","Effect":"Deny","Principal":"*","Action":"s3:PutObject",
          "Resource":"arn:aws:s3:::bkt/*",
          "Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"\(requiredKey)"}}}]}
        """

    static func policy(_ json: String, bucket: String = bucket) throws -> PolicyDocument {
        try PolicyDocument(json: json, bucket: bucket)
    }

    /// A one-statement policy for `bkt`.
    static func statement(
        effect: String = "Allow", principal: String = #""*""#, action: String = #""s3:GetObject""#,
        resource: String = #""arn:aws:s3:::bkt/*""#, condition: String? = nil
    ) -> String {
        var body = #"{"Effect":"\#(effect)","Principal":\#(principal),"Action":\#(action),"Resource":\#(resource)"#
        if let condition { body += #","Condition":\#(condition)"# }
        return #"{"Version":"2012-10-17","Statement":[\#(body)}]}"#
    }

    static func object(_ key: String = "key") -> String { PolicyRequest.objectARN(bucket: bucket, key: key) }
    static let bucketARN = PolicyRequest.bucketARN(bucket)

    /// The message a parse failure carries (nil when parsing succeeds).
    static func parseError(_ json: String, bucket: String = bucket) -> String? {
        do {
            _ = try PolicyDocument(json: json, bucket: bucket)
            return nil
        } catch {
            #expect(error.code == "MalformedPolicy")
            #expect(error.status == 400)
            return error.message
        }
    }
}
