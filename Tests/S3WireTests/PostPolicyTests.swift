import Foundation
import Testing

@testable import S3Wire

/// The browser-form POST example of the S3 documentation (sigv4-post-example: bucket `sigv4examplebucket`,
/// policy signed on 2015-12-29 with the example credentials).
enum PostExample {
    static let policy =
        "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9"
    static let signature = "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e"
    /// base64(HMAC-SHA1(secret, policy)): the same policy signed the legacy way.
    static let v2Signature = "QyigO3Da7gYxPW1IXllc6C7gI74="
    static let credential = "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"
    /// 2015-12-29T00:00:00Z and the policy expiration 2015-12-30T12:00:00Z.
    static let signedAt: Int64 = 1_451_347_200
    static let expiration: Int64 = 1_451_476_800
    static let bucket = "sigv4examplebucket"

    /// The form fields of the example (names lower-cased), before the file.
    static var fields: [String: String] {
        [
            "key": "user/user1/${filename}",
            "acl": "public-read",
            "success_action_redirect": "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html",
            "content-type": "image/jpeg",
            "x-amz-meta-uuid": "14365123651274",
            "x-amz-server-side-encryption": "AES256",
            "x-amz-credential": credential,
            "x-amz-algorithm": "AWS4-HMAC-SHA256",
            "x-amz-date": "20151229T000000Z",
            "x-amz-meta-tag": "",
            "policy": policy,
            "x-amz-signature": signature,
        ]
    }
}

@Suite struct PostPolicyTests {
    static func denied(_ message: String) -> S3Error { S3Error(status: 403, code: "AccessDenied", message: message) }
    static func invalid(_ message: String) -> S3Error { S3Error(status: 400, code: "InvalidPolicyDocument", message: "Invalid Policy: " + message) }
    static func encode(_ json: String) -> String { Base64.encode(Array(json.utf8)) }

    @Test func parsesTheDocumentedPolicy() throws {
        let p = try PostPolicy(base64: PostExample.policy)
        #expect(p.expiration == PostExample.expiration)
        #expect(
            p.conditions == [
                .equals(field: "bucket", value: "sigv4examplebucket", text: #"["eq", "$bucket", "sigv4examplebucket"]"#),
                .startsWith(field: "key", prefix: "user/user1/", text: #"["starts-with", "$key", "user/user1/"]"#),
                .equals(field: "acl", value: "public-read", text: #"["eq", "$acl", "public-read"]"#),
                .equals(
                    field: "success_action_redirect", value: "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html",
                    text: #"["eq", "$success_action_redirect", "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html"]"#),
                .startsWith(field: "content-type", prefix: "image/", text: #"["starts-with", "$Content-Type", "image/"]"#),
                .equals(field: "x-amz-meta-uuid", value: "14365123651274", text: #"["eq", "$x-amz-meta-uuid", "14365123651274"]"#),
                .equals(field: "x-amz-server-side-encryption", value: "AES256", text: #"["eq", "$x-amz-server-side-encryption", "AES256"]"#),
                .startsWith(field: "x-amz-meta-tag", prefix: "", text: #"["starts-with", "$x-amz-meta-tag", ""]"#),
                .equals(field: "x-amz-credential", value: PostExample.credential, text: #"["eq", "$x-amz-credential", "\#(PostExample.credential)"]"#),
                .equals(field: "x-amz-algorithm", value: "AWS4-HMAC-SHA256", text: #"["eq", "$x-amz-algorithm", "AWS4-HMAC-SHA256"]"#),
                .equals(field: "x-amz-date", value: "20151229T000000Z", text: #"["eq", "$x-amz-date", "20151229T000000Z"]"#),
            ])
        #expect(p.maxLength == nil)
    }

    @Test func documentedFormSatisfiesThePolicy() throws {
        let p = try PostPolicy(base64: PostExample.policy)
        try p.evaluate(fields: PostExample.fields, bucket: PostExample.bucket, now: PostExample.signedAt)
        try p.evaluate(fields: PostExample.fields, bucket: PostExample.bucket, now: PostExample.expiration)
        var ignored = PostExample.fields
        ignored["x-ignore-anything"] = "1"
        ignored["file"] = ""
        try p.evaluate(fields: ignored, bucket: PostExample.bucket, now: PostExample.signedAt)
    }

    @Test func evaluationFailures() throws {
        let p = try PostPolicy(base64: PostExample.policy)
        let now = PostExample.signedAt
        #expect(throws: Self.denied("Invalid according to Policy: Policy expired.")) {
            try p.evaluate(fields: PostExample.fields, bucket: PostExample.bucket, now: PostExample.expiration + 1)
        }
        #expect(throws: Self.denied(#"Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "sigv4examplebucket"]"#)) {
            try p.evaluate(fields: PostExample.fields, bucket: "other", now: now)
        }
        var key = PostExample.fields
        key["key"] = "user/user2/x"
        #expect(throws: Self.denied(#"Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "user/user1/"]"#)) {
            try p.evaluate(fields: key, bucket: PostExample.bucket, now: now)
        }
        var missing = PostExample.fields
        missing["acl"] = nil
        #expect(throws: Self.denied(#"Invalid according to Policy: Policy Condition failed: ["eq", "$acl", "public-read"]"#)) {
            try p.evaluate(fields: missing, bucket: PostExample.bucket, now: now)
        }
        var type = PostExample.fields
        type["content-type"] = "image/png, text/plain"
        #expect(throws: Self.denied(#"Invalid according to Policy: Policy Condition failed: ["starts-with", "$Content-Type", "image/"]"#)) {
            try p.evaluate(fields: type, bucket: PostExample.bucket, now: now)
        }
        type["content-type"] = "image/png, image/gif"
        try p.evaluate(fields: type, bucket: PostExample.bucket, now: now)
        var extra = PostExample.fields
        extra["x-amz-meta-zzz"] = "1"
        extra["cache-control"] = "no-cache"
        #expect(throws: Self.denied("Invalid according to Policy: Extra input fields: cache-control, x-amz-meta-zzz")) {
            try p.evaluate(fields: extra, bucket: PostExample.bucket, now: now)
        }
    }

    @Test func contentLengthRange() throws {
        let p = try PostPolicy(
            base64: Self.encode(#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", 10, 100], ["content-length-range", "5", "50"]]}"#))
        #expect(p.conditions == [.contentLengthRange(min: 10, max: 100), .contentLengthRange(min: 5, max: 50)])
        #expect(p.maxLength == 50)
        try p.checkLength(10)
        try p.checkLength(50)
        #expect(throws: S3Error.entityTooSmall(size: 9, minimum: 10)) { try p.checkLength(9) }
        #expect(throws: S3Error.entityTooLarge(size: 51, maximum: 50)) { try p.checkLength(51) }
        #expect(throws: S3Error.entityTooLarge(size: 101, maximum: 100)) { try p.checkLength(101) }
    }

    @Test(arguments: [
        ("not base64!", "Invalid Base64 Encoding."),
        (encode("[1, 2]"), "Invalid JSON."),
        (encode("{nope"), "Invalid JSON."),
        (encode(#"{"conditions": []}"#), "Policy missing expiration."),
        (encode(#"{"expiration": "tomorrow", "conditions": []}"#), "Policy missing expiration."),
        (encode(#"{"expiration": "2030-01-01T00:00:00Z"}"#), "Policy missing conditions."),
        (encode(#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["regex", "$key", "."]]}"#), "Invalid Condition: unknown operation regex."),
        (encode(#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["eq", "$key"]]}"#), "Invalid Condition: wrong number of arguments."),
        (encode(#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", "a", 5]]}"#), "Invalid content-length-range condition."),
        (encode(#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [{"a": "1", "b": "2"}]}"#), "Invalid Simple-Condition: value must be a string."),
        (encode(#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [{"a": ["x"]}]}"#), "Invalid Simple-Condition: value must be a string."),
        (encode(#"{"expiration": "2030-01-01T00:00:00Z", "conditions": ["bucket"]}"#), "Invalid Condition."),
    ])
    func invalidPolicies(_ base64: String, _ message: String) {
        #expect(throws: Self.invalid(message)) { try PostPolicy(base64: base64) }
    }
}
