import Testing

@testable import S3Wire

/// The request signer against AWS's published Signature Version 4 test suite
/// (docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html: credentials AKIDEXAMPLE, 2015-08-30T12:36:00Z,
/// us-east-1, service "service"), a KMS request cross-checked with botocore, and the emulator's own verifier.
@Suite struct SigV4SignerTests {
    enum Suite {
        static let accessKey = "AKIDEXAMPLE"
        static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
        /// 20150830T123600Z.
        static let time: Int64 = 1_440_938_160
        static let host = "example.amazonaws.com"
        static let scope = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
        static let sessionToken =
            "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="

        static func signer(token: String? = nil) -> SigV4Signer {
            SigV4Signer(accessKeyId: accessKey, secretAccessKey: secret, sessionToken: token, region: "us-east-1", service: "service")
        }
    }

    struct Vector: Sendable, CustomTestStringConvertible {
        var name: String
        var method: String
        var query: [(String, String)] = []
        var headers: [(String, String)] = []
        var body: String = ""
        var token: String?
        var canonicalRequest: String
        var canonicalRequestHash: String
        var signedHeaders: String
        var signature: String
        var testDescription: String { name }
    }

    static let vectors: [Vector] = [
        Vector(
            name: "get-vanilla", method: "GET",
            canonicalRequest: """
                GET
                /

                host:example.amazonaws.com
                x-amz-date:20150830T123600Z

                host;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """,
            canonicalRequestHash: "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63", signedHeaders: "host;x-amz-date",
            signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        Vector(
            name: "post-vanilla", method: "POST",
            canonicalRequest: """
                POST
                /

                host:example.amazonaws.com
                x-amz-date:20150830T123600Z

                host;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """,
            canonicalRequestHash: "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87", signedHeaders: "host;x-amz-date",
            signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
        Vector(
            name: "post-vanilla-query", method: "POST", query: [("Param1", "value1")],
            canonicalRequest: """
                POST
                /
                Param1=value1
                host:example.amazonaws.com
                x-amz-date:20150830T123600Z

                host;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """,
            canonicalRequestHash: "9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd", signedHeaders: "host;x-amz-date",
            signature: "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"),
        Vector(
            name: "post-x-www-form-urlencoded", method: "POST", headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: "Param1=value1",
            canonicalRequest: """
                POST
                /

                content-type:application/x-www-form-urlencoded
                host:example.amazonaws.com
                x-amz-date:20150830T123600Z

                content-type;host;x-amz-date
                9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e
                """,
            canonicalRequestHash: "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281", signedHeaders: "content-type;host;x-amz-date",
            signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"),
        Vector(
            name: "post-sts-header-before", method: "POST", token: Suite.sessionToken,
            canonicalRequest: """
                POST
                /

                host:example.amazonaws.com
                x-amz-date:20150830T123600Z
                x-amz-security-token:\(Suite.sessionToken)

                host;x-amz-date;x-amz-security-token
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """,
            canonicalRequestHash: "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6",
            signedHeaders: "host;x-amz-date;x-amz-security-token",
            signature: "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"),
    ]

    @Test(arguments: vectors)
    func awsTestSuite(_ v: Vector) {
        let signed = Suite.signer(token: v.token).sign(
            method: v.method, path: "/", query: v.query, headers: [("Host", Suite.host)] + v.headers, body: Array(v.body.utf8),
            timestamp: Suite.time)
        #expect(signed.canonicalRequest == v.canonicalRequest)
        #expect(signed.stringToSign == "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n" + v.canonicalRequestHash)
        #expect(signed.signedHeaders == v.signedHeaders)
        #expect(signed.signature == v.signature)
        #expect(
            signed.authorization == "AWS4-HMAC-SHA256 Credential=\(Suite.scope), SignedHeaders=\(v.signedHeaders), Signature=\(v.signature)")
        #expect(signed.headers.contains { $0 == ("x-amz-date", "20150830T123600Z") })
        #expect(signed.headers.contains { $0 == ("authorization", signed.authorization) })
        #expect(signed.headers.contains { $0.0 == "x-amz-security-token" } == (v.token != nil))
    }

    /// A KMS GenerateDataKey request as botocore 1.43.11's `SigV4Auth` signs it (same headers, body, time and
    /// credentials; the expected signatures were produced by botocore, not by this code).
    @Test(arguments: [
        (nil, "content-type;host;x-amz-date;x-amz-target", "51c4690cb3dee8b9fa6779f8eb2e7c7623eeea8cfc9269547627d625a0d56736"),
        ("session-token-example", "content-type;host;x-amz-date;x-amz-security-token;x-amz-target",
         "3dffc04afbe09441fb026a95026a4936bb88ec9879ae06a0f9e944c4a83f2b19"),
    ] as [(String?, String, String)])
    func kmsRequestMatchesBotocore(_ token: String?, _ signedHeaders: String, _ signature: String) {
        let body = #"{"KeyId": "alias/aws/s3", "KeySpec": "AES_256", "EncryptionContext": {"aws:s3:arn": "arn:aws:s3:::b/k"}}"#
        let signer = SigV4Signer(accessKeyId: Suite.accessKey, secretAccessKey: Suite.secret, sessionToken: token, region: "eu-west-1", service: "kms")
        let signed = signer.sign(
            method: "POST", path: "/",
            headers: [
                ("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "TrentService.GenerateDataKey"), ("Host", "127.0.0.1:4566"),
            ],
            body: Array(body.utf8), timestamp: Suite.time)
        #expect(signed.signedHeaders == signedHeaders)
        #expect(signed.signature == signature)
        #expect(signed.authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-1/kms/aws4_request, "))
    }

    /// What the signer produces, the emulator's own verifier accepts (an S3 request, which signs the payload hash).
    @Test func theAuthenticatorAcceptsSignedRequests() throws {
        let signer = SigV4Signer(
            accessKeyId: AWSExample.accessKey, secretAccessKey: AWSExample.secret, region: "us-east-1", service: "s3", signsContentSHA256: true)
        let body = Array("hello".utf8)
        let signed = signer.sign(
            method: "PUT", path: "/bucket/a%20key", query: [("x-id", "PutObject")], headers: [("host", "localhost:9000")], body: body,
            timestamp: AWSExample.epoch)
        #expect(signed.signedHeaders == "host;x-amz-content-sha256;x-amz-date")
        let head = RequestHead(method: "PUT", target: "/bucket/a%20key?x-id=PutObject", headers: signed.headers)
        let auth = try AWSExample.authenticator().authenticate(head)
        #expect(auth.accessKey == AWSExample.accessKey)
        #expect(auth.payload == .sha256(SigV4.sha256Hex(body)))
    }

    @Test func descriptionRedactsTheSecrets() {
        let text = "\(Suite.signer(token: "the-token"))"
        #expect(!text.contains(Suite.secret))
        #expect(!text.contains("the-token"))
        #expect(text.contains(Suite.accessKey))
    }
}
