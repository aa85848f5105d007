import Foundation
import Testing

@testable import S3Wire

@Suite struct SigV4AuthenticatorTests {
    /// AWS's "GET Object" example, shared with `SigV4Tests`.
    static let getExample = SigV4Tests.headerExamples[0]
    static let getSignedHeaders = getExample.signedHeaders.joined(separator: ";")
    static let getSignature = getExample.signature
    static let getCanonicalRequest = getExample.canonicalRequest
    static let getStringToSign =
        "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"

    /// The GET Object example request, with the Authorization header (or the whole header list) adjustable.
    static func getObject(
        authorization: String? = nil, dropping: Set<String> = [], extra: [(String, String)] = []
    ) -> RequestHead {
        var headers: [(String, String)] = [
            ("Host", AWSExample.host), ("Range", "bytes=0-9"), ("x-amz-content-sha256", AWSExample.emptyHash),
            ("x-amz-date", AWSExample.timestamp),
            ("Authorization", authorization ?? AWSExample.authorization(signedHeaders: getSignedHeaders, signature: getSignature)),
        ]
        headers.removeAll { dropping.contains($0.0.lowercased()) }
        return RequestHead(method: "GET", target: "/test.txt", headers: headers + extra)
    }

    struct Example: Sendable, CustomTestStringConvertible {
        var name: String
        var head: RequestHead
        var payload: PayloadSigning
        var testDescription: String { name }
    }

    /// AWS's "PUT Object" example, sent to `target`.
    static func putExample(name: String, target: String) -> Example {
        Example(
            name: name,
            head: RequestHead(
                method: "PUT", target: target,
                headers: [
                    ("Host", AWSExample.host), ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
                    ("Authorization", AWSExample.authorization(
                        signedHeaders: "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                        signature: "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")),
                    ("x-amz-date", AWSExample.timestamp), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
                    ("x-amz-content-sha256", SigV4Tests.putPayloadHash),
                ]),
            payload: .sha256(SigV4Tests.putPayloadHash))
    }

    static let examples: [Example] = [
        Example(name: "GET Object", head: getObject(), payload: .sha256(AWSExample.emptyHash)),
        putExample(name: "PUT Object", target: "/test$file.text"),
        putExample(name: "PUT Object, path already percent-encoded", target: "/test%24file.text"),
        Example(
            name: "GET lifecycle",
            head: RequestHead(
                method: "GET", target: "/?lifecycle",
                headers: [
                    ("Host", AWSExample.host), ("x-amz-date", AWSExample.timestamp), ("x-amz-content-sha256", AWSExample.emptyHash),
                    ("Authorization", AWSExample.authorization(
                        signedHeaders: "host;x-amz-content-sha256;x-amz-date",
                        signature: "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")),
                ]),
            payload: .sha256(AWSExample.emptyHash)),
        Example(
            name: "list objects",
            head: RequestHead(
                method: "GET", target: "/?max-keys=2&prefix=J",
                headers: [
                    ("Host", AWSExample.host), ("x-amz-date", AWSExample.timestamp), ("x-amz-content-sha256", AWSExample.emptyHash),
                    ("Authorization",
                        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
                ]),
            payload: .sha256(AWSExample.emptyHash)),
    ]

    @Test(arguments: examples)
    func acceptsDocumentedHeaderSignatures(_ e: Example) throws {
        let auth = try AWSExample.authenticator().authenticate(e.head)
        #expect(auth.accessKey == AWSExample.accessKey)
        #expect(auth.payload == e.payload)
        #expect(auth.presigned == false)
        #expect(auth.chunkSigning == nil)
    }

    @Test func acceptsWithinTheSkewWindow() throws {
        for now in [AWSExample.epoch - 900, AWSExample.epoch + 900] {
            let auth = try AWSExample.authenticator(now: now).authenticate(Self.getObject())
            #expect(auth.accessKey == AWSExample.accessKey)
        }
    }

    @Test func streamingSeedYieldsChunkSigningContext() throws {
        let auth = try AWSExample.authenticator().authenticate(AWSExample.streamingHead)
        #expect(auth.accessKey == AWSExample.accessKey)
        #expect(auth.payload == .streamingSigned(trailer: false))
        #expect(auth.payload.isStreaming)
        let chunk = try #require(auth.chunkSigning)
        #expect(chunk.seedSignature == AWSExample.seedSignature)
        #expect(chunk.timestamp == AWSExample.timestamp)
        #expect(chunk.scope == AWSExample.scope)
        #expect(chunk.signingKey.bytes == AWSExample.signingKey.bytes)
    }

    static let presignedTarget =
        "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"

    static func presigned(_ target: String = presignedTarget) -> RequestHead {
        RequestHead(method: "GET", target: target, headers: [("Host", AWSExample.host)])
    }

    @Test func acceptsDocumentedPresignedURL() throws {
        for now in [AWSExample.epoch, AWSExample.epoch + 86400] {
            let auth = try AWSExample.authenticator(now: now).authenticate(Self.presigned())
            #expect(auth.accessKey == AWSExample.accessKey)
            #expect(auth.payload == .unsigned)
            #expect(auth.presigned)
            #expect(auth.chunkSigning == nil)
        }
    }

    @Test func anonymousWithoutSignature() throws {
        let auth = try AWSExample.authenticator().authenticate(RequestHead(method: "GET", target: "/b/k?x=1", headers: [("Host", "h")]))
        #expect(auth.accessKey == nil)
        #expect(auth.payload == .unsigned)
        #expect(auth.presigned == false)
    }

    // MARK: Errors

    @Test func wrongSecretIsSignatureDoesNotMatch() {
        let auth = SigV4Authenticator(service: "s3", now: { AWSExample.epoch }, secretForAccessKey: { _ in "not-the-secret" })
        let expected = S3Error.signatureDoesNotMatch(
            accessKey: AWSExample.accessKey, stringToSign: Self.getStringToSign, signature: Self.getSignature,
            canonicalRequest: Self.getCanonicalRequest)
        #expect(expected.status == 403)
        #expect(expected.code == "SignatureDoesNotMatch")
        #expect(throws: expected) { try auth.authenticate(Self.getObject()) }
    }

    @Test func tamperedRequestIsSignatureDoesNotMatch() {
        let head = Self.getObject(dropping: ["range"], extra: [("range", "bytes=0-10")])
        let error = #expect(throws: S3Error.self) { try AWSExample.authenticator().authenticate(head) }
        #expect(error?.status == 403)
        #expect(error?.code == "SignatureDoesNotMatch")
    }

    @Test func unknownAccessKeyIsInvalidAccessKeyId() {
        let head = Self.getObject(
            authorization: AWSExample.authorization(
                signedHeaders: Self.getSignedHeaders, signature: Self.getSignature,
                credential: "AKIDUNKNOWN/20130524/us-east-1/s3/aws4_request"))
        let expected = S3Error(
            status: 403, code: "InvalidAccessKeyId", message: "The AWS Access Key Id you provided does not exist in our records.",
            fields: [("AWSAccessKeyId", "AKIDUNKNOWN")])
        #expect(throws: expected) { try AWSExample.authenticator().authenticate(head) }
    }

    @Test(arguments: [
        (Int64(901), "2013-05-24T00:15:01.000Z"),
        (Int64(-901), "2013-05-23T23:44:59.000Z"),
        (Int64(86400), "2013-05-25T00:00:00.000Z"),
    ])
    func skewBeyondFifteenMinutesIsRequestTimeTooSkewed(_ offset: Int64, _ serverTime: String) {
        let expected = S3Error(
            status: 403, code: "RequestTimeTooSkewed", message: "The difference between the request time and the current time is too large.",
            fields: [("RequestTime", "20130524T000000Z"), ("ServerTime", serverTime), ("MaxAllowedSkewMilliseconds", "900000")])
        #expect(throws: expected) { try AWSExample.authenticator(now: AWSExample.epoch + offset).authenticate(Self.getObject()) }
    }

    @Test func missingContentSHA256IsInvalidRequest() {
        let expected = S3Error(status: 400, code: "InvalidRequest", message: "Missing required header for this request: x-amz-content-sha256")
        #expect(throws: expected) {
            try AWSExample.authenticator().authenticate(Self.getObject(dropping: ["x-amz-content-sha256"]))
        }
    }

    @Test func badContentSHA256IsInvalidArgument() {
        let head = Self.getObject(dropping: ["x-amz-content-sha256"], extra: [("x-amz-content-sha256", "nope")])
        let error = #expect(throws: S3Error.self) { try AWSExample.authenticator().authenticate(head) }
        #expect(error?.status == 400)
        #expect(error?.code == "InvalidArgument")
        #expect(error?.fields.map(\.0) == ["ArgumentName", "ArgumentValue"])
        #expect(error?.fields.map(\.1) == ["x-amz-content-sha256", "nope"])
    }

    @Test func payloadSigningValues() throws {
        #expect(try SigV4Authenticator.payloadSigning("UNSIGNED-PAYLOAD", service: "s3") == .unsigned)
        #expect(try SigV4Authenticator.payloadSigning("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", service: "s3") == .streamingSigned(trailer: false))
        #expect(
            try SigV4Authenticator.payloadSigning("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", service: "s3") == .streamingSigned(trailer: true))
        #expect(try SigV4Authenticator.payloadSigning("STREAMING-UNSIGNED-PAYLOAD-TRAILER", service: "s3") == .streamingUnsignedTrailer)
        #expect(
            try SigV4Authenticator.payloadSigning(AWSExample.emptyHash.uppercased(), service: "s3") == .sha256(AWSExample.emptyHash))
        #expect(try SigV4Authenticator.payloadSigning("", service: "kms") == .unsigned)
        #expect(throws: S3Error.self) { try SigV4Authenticator.payloadSigning("", service: "s3") }
        #expect(throws: S3Error.self) { try SigV4Authenticator.payloadSigning(String(AWSExample.emptyHash.dropLast()), service: "s3") }
        #expect(!PayloadSigning.unsigned.isStreaming)
        #expect(PayloadSigning.streamingUnsignedTrailer.isStreaming)
    }

    static let credentialMalformed =
        "The authorization header is malformed; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."

    @Test(arguments: [
        "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3",
        "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_requesx",
        "AKIAIOSFODNN7EXAMPLE/2013052/us-east-1/s3/aws4_request",
        "AKIAIOSFODNN7EXAMPLE",
        "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request/x",
    ])
    func malformedCredentialIsAuthorizationHeaderMalformed(_ credential: String) {
        let head = Self.getObject(
            authorization: AWSExample.authorization(signedHeaders: Self.getSignedHeaders, signature: Self.getSignature, credential: credential))
        let expected = S3Error(status: 400, code: "AuthorizationHeaderMalformed", message: Self.credentialMalformed)
        #expect(throws: expected) { try AWSExample.authenticator().authenticate(head) }
    }

    @Test func wrongServiceIsAuthorizationHeaderMalformed() {
        let head = Self.getObject(
            authorization: AWSExample.authorization(
                signedHeaders: Self.getSignedHeaders, signature: Self.getSignature,
                credential: "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/kms/aws4_request"))
        let expected = S3Error(
            status: 400, code: "AuthorizationHeaderMalformed",
            message: "The authorization header is malformed; incorrect service \"kms\". This endpoint belongs to \"s3\".")
        #expect(throws: expected) { try AWSExample.authenticator().authenticate(head) }
    }

    @Test func missingComponentIsAuthorizationHeaderMalformed() {
        let head = Self.getObject(
            authorization: "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host")
        let expected = S3Error(
            status: 400, code: "AuthorizationHeaderMalformed",
            message:
                "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature."
        )
        #expect(throws: expected) { try AWSExample.authenticator().authenticate(head) }
    }

    @Test func credentialDateDifferentFromXAmzDate() {
        let head = Self.getObject(
            authorization: AWSExample.authorization(
                signedHeaders: Self.getSignedHeaders, signature: Self.getSignature,
                credential: "AKIAIOSFODNN7EXAMPLE/20130523/us-east-1/s3/aws4_request"))
        let expected = S3Error(
            status: 400, code: "AuthorizationHeaderMalformed",
            message: "The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date.")
        #expect(throws: expected) { try AWSExample.authenticator().authenticate(head) }
    }

    @Test func missingDateIsAccessDenied() {
        let expected = S3Error(status: 403, code: "AccessDenied", message: "AWS authentication requires a valid Date or x-amz-date header")
        #expect(throws: expected) { try AWSExample.authenticator().authenticate(Self.getObject(dropping: ["x-amz-date"])) }
    }

    @Test func unsignedHostIsAccessDenied() {
        let head = Self.getObject(
            authorization: AWSExample.authorization(signedHeaders: "range;x-amz-content-sha256;x-amz-date", signature: Self.getSignature))
        let expected = S3Error(
            status: 403, code: "AccessDenied", message: "There were headers present in the request which were not signed",
            fields: [("HeadersNotSigned", "host")])
        #expect(throws: expected) { try AWSExample.authenticator().authenticate(head) }
    }

    @Test func unsupportedAuthorizationType() {
        let head = Self.getObject(authorization: "Bearer abc")
        let expected = S3Error(
            status: 400, code: "InvalidArgument", message: "Unsupported Authorization Type",
            fields: [("ArgumentName", "Authorization"), ("ArgumentValue", "Bearer abc")])
        #expect(throws: expected) { try AWSExample.authenticator().authenticate(head) }
    }

    // MARK: Presigned errors

    @Test func expiredPresignedURLIsAccessDenied() {
        let expected = S3Error(
            status: 403, code: "AccessDenied", message: "Request has expired",
            fields: [
                ("X-Amz-Expires", "86400"), ("Expires", "2013-05-25T00:00:00.000Z"), ("ServerTime", "2013-05-25T00:00:01.000Z"),
            ])
        #expect(throws: expected) { try AWSExample.authenticator(now: AWSExample.epoch + 86401).authenticate(Self.presigned()) }
    }

    @Test func presignedURLNotValidYet() {
        let expected = S3Error(status: 403, code: "AccessDenied", message: "Request is not valid yet")
        #expect(throws: expected) { try AWSExample.authenticator(now: AWSExample.epoch - 901).authenticate(Self.presigned()) }
    }

    @Test func presignedWrongSignature() {
        let target = Self.presignedTarget.replacingOccurrences(of: "aeeed9bb", with: "aeeed9bc")
        let error = #expect(throws: S3Error.self) { try AWSExample.authenticator().authenticate(Self.presigned(target)) }
        #expect(error?.code == "SignatureDoesNotMatch")
        #expect(error?.status == 403)
        #expect(error?.fields.first { $0.0 == "StringToSign" }?.1
            == "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04")
    }

    @Test(arguments: [
        ("X-Amz-Expires=86400", "X-Amz-Expires=604801", "X-Amz-Expires must be less than a week (in seconds) that is 604800"),
        ("X-Amz-Expires=86400", "X-Amz-Expires=-1", "X-Amz-Expires must be non-negative"),
        ("X-Amz-Expires=86400", "X-Amz-Expires=soon", "X-Amz-Expires should be a number"),
        ("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA1", "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\""),
        ("X-Amz-Date=20130524T000000Z", "X-Amz-Date=2013-05-24", "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""),
    ])
    func presignedParameterErrors(_ original: String, _ replacement: String, _ message: String) {
        let target = Self.presignedTarget.replacingOccurrences(of: original, with: replacement)
        let expected = S3Error(status: 400, code: "AuthorizationQueryParametersError", message: message)
        #expect(throws: expected) { try AWSExample.authenticator().authenticate(Self.presigned(target)) }
    }

    @Test func presignedUnknownKey() {
        let target = Self.presignedTarget.replacingOccurrences(of: "AKIAIOSFODNN7EXAMPLE", with: "AKIDOTHER")
        #expect(throws: S3Error.invalidAccessKeyID.with(("AWSAccessKeyId", "AKIDOTHER"))) {
            try AWSExample.authenticator().authenticate(Self.presigned(target))
        }
    }

    @Test func errorWithAppendsFields() {
        let e = S3Error.accessDenied.with(("A", "1"), ("B", "2"))
        #expect(e.fields.map(\.0) == ["A", "B"])
        #expect(e.fields.map(\.1) == ["1", "2"])
        #expect(e.code == "AccessDenied")
    }
}

/// `SigV4Authenticator.authenticatePostForm` against the documented browser-form POST example (`PostExample`).
@Suite struct SigV4AuthenticatorPostFormTests {
    static let authenticator = AWSExample.authenticator(now: PostExample.signedAt)

    @Test func documentedSigV4Form() throws {
        #expect(try Self.authenticator.authenticatePostForm(PostExample.fields) == AWSExample.accessKey)
    }

    @Test func legacyV2Form() throws {
        let fields = ["policy": PostExample.policy, "awsaccesskeyid": AWSExample.accessKey, "signature": PostExample.v2Signature]
        #expect(try Self.authenticator.authenticatePostForm(fields) == AWSExample.accessKey)
        var wrong = fields
        wrong["signature"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAA="
        let error = #expect(throws: S3Error.self) { try Self.authenticator.authenticatePostForm(wrong) }
        #expect(error?.code == "SignatureDoesNotMatch")
    }

    @Test func unsignedForm() throws {
        #expect(try Self.authenticator.authenticatePostForm(["key": "k"]) == nil)
    }

    @Test func wrongSignature() {
        var fields = PostExample.fields
        fields["x-amz-signature"] = String(repeating: "0", count: 64)
        let expected = S3Error(
            status: 403, code: "SignatureDoesNotMatch",
            message: "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
            fields: [("AWSAccessKeyId", AWSExample.accessKey), ("StringToSign", PostExample.policy), ("SignatureProvided", String(repeating: "0", count: 64))])
        #expect(throws: expected) { try Self.authenticator.authenticatePostForm(fields) }
    }

    @Test func missingOrBadFields() {
        var noPolicy = PostExample.fields
        noPolicy["policy"] = nil
        #expect(throws: S3Error.invalidArgument(
            "Bucket POST must contain a field named 'policy'.  If it is specified, please check the order of the fields.", name: "policy")
        ) { try Self.authenticator.authenticatePostForm(noPolicy) }

        var algorithm = PostExample.fields
        algorithm["x-amz-algorithm"] = "AWS4-HMAC-SHA1"
        let e1 = #expect(throws: S3Error.self) { try Self.authenticator.authenticatePostForm(algorithm) }
        #expect(e1?.code == "InvalidArgument")

        var credential = PostExample.fields
        credential["x-amz-credential"] = nil
        #expect(throws: S3Error.invalidArgument(
            "Bucket POST must contain a field named 'x-amz-credential'.  If it is specified, please check the order of the fields.",
            name: "x-amz-credential")
        ) { try Self.authenticator.authenticatePostForm(credential) }

        var unknown = PostExample.fields
        unknown["x-amz-credential"] = "AKIDOTHER/20151229/us-east-1/s3/aws4_request"
        #expect(throws: S3Error.invalidAccessKeyID.with(("AWSAccessKeyId", "AKIDOTHER"))) {
            try Self.authenticator.authenticatePostForm(unknown)
        }

        var malformed = PostExample.fields
        malformed["x-amz-credential"] = "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1"
        let e2 = #expect(throws: S3Error.self) { try Self.authenticator.authenticatePostForm(malformed) }
        #expect(e2?.code == "InvalidArgument")
        #expect(e2?.fields.map(\.0) == ["ArgumentName", "ArgumentValue"])
    }
}
