import KeyCore
import S3Wire
import Testing

@testable import Encryption

@Suite struct EncryptionModeTests {
    static let aws = "alias/aws/s3"
    static let bucketKeyARN = "arn:aws:kms:us-east-1:111122223333:key/bucket"
    static let aes = BucketEncryptionRule()
    static let aesBK = BucketEncryptionRule(bucketKeyEnabled: true)
    static let kms = BucketEncryptionRule(algorithm: .kms)
    static let kmsKey = BucketEncryptionRule(algorithm: .kms, kmsMasterKeyID: bucketKeyARN)
    static let kmsKeyBK = BucketEncryptionRule(algorithm: .kms, kmsMasterKeyID: bucketKeyARN, bucketKeyEnabled: true)
    static let dsseKey = BucketEncryptionRule(algorithm: .kmsDSSE, kmsMasterKeyID: bucketKeyARN)
    /// A stale key id on an AES256 rule (not producible by PutBucketEncryption) is never used.
    static let aesStaleKey = BucketEncryptionRule(algorithm: .aes256, kmsMasterKeyID: "stale")

    static func kmsReq(_ keyId: String? = nil, bk: Bool? = nil, ctx: [String: String]? = nil) -> SSERequest {
        .sseKMS(keyId: keyId, context: ctx, contextHeader: ctx.map { _ in "hdr" }, bucketKeyEnabled: bk)
    }
    static func kmsMode(_ keyId: String, bk: Bool = false, ctx: [String: String]? = nil) -> EncryptionMode {
        .sseKMS(keyId: keyId, context: ctx, contextHeader: ctx.map { _ in "hdr" }, bucketKeyEnabled: bk)
    }

    /// (label, request, bucket-key header, rule, expected mode) — §1.3, §5.2.
    static let table: [(String, SSERequest, Bool?, BucketEncryptionRule, EncryptionMode)] = [
        ("no header, default bucket", .none, nil, aes, .sseS3),
        ("no header, AES256 + BucketKeyEnabled", .none, nil, aesBK, .sseS3),
        ("no header, aws:kms default without key", .none, nil, kms, kmsMode(aws)),
        ("no header, aws:kms default with key", .none, nil, kmsKey, kmsMode(bucketKeyARN)),
        ("no header, aws:kms default, bucket key on", .none, nil, kmsKeyBK, kmsMode(bucketKeyARN, bk: true)),
        ("no header, bucket key on, header false", .none, false, kmsKeyBK, kmsMode(bucketKeyARN, bk: false)),
        ("no header, bucket key off, header true", .none, true, kmsKey, kmsMode(bucketKeyARN, bk: true)),
        ("no header, dsse default", .none, true, dsseKey, .dsseKMS(keyId: bucketKeyARN, context: nil, contextHeader: nil)),
        ("AES256 wins over kms default", .sseS3, nil, kmsKeyBK, .sseS3),
        ("aws:kms, no key, AES256 default", kmsReq(), nil, aes, kmsMode(aws)),
        ("aws:kms, no key, stale AES256 key", kmsReq(), nil, aesStaleKey, kmsMode(aws)),
        ("aws:kms, no key, kms default key", kmsReq(), nil, kmsKey, kmsMode(bucketKeyARN)),
        ("aws:kms, own key, kms default key", kmsReq("alias/mine"), nil, kmsKey, kmsMode("alias/mine")),
        ("aws:kms inherits bucket key flag", kmsReq(), nil, kmsKeyBK, kmsMode(bucketKeyARN, bk: true)),
        ("aws:kms header false overrides", kmsReq(bk: false), nil, kmsKeyBK, kmsMode(bucketKeyARN, bk: false)),
        ("aws:kms header true", kmsReq(bk: true), nil, aes, kmsMode(aws, bk: true)),
        ("aws:kms AES256 default bucket key flag", kmsReq(), nil, aesBK, kmsMode(aws, bk: true)),
        ("aws:kms keeps context", kmsReq(ctx: ["a": "b"]), nil, kms, kmsMode(aws, ctx: ["a": "b"])),
        ("aws:kms, no key, dsse default key", kmsReq(), nil, dsseKey, kmsMode(bucketKeyARN)),
        ("dsse, no key, AES256 default", .dsseKMS(keyId: nil, context: nil, contextHeader: nil), nil, aes,
         .dsseKMS(keyId: aws, context: nil, contextHeader: nil)),
        ("dsse, no key, kms default key", .dsseKMS(keyId: nil, context: nil, contextHeader: nil), true, kmsKeyBK,
         .dsseKMS(keyId: bucketKeyARN, context: nil, contextHeader: nil)),
        ("dsse, own key + context", .dsseKMS(keyId: "k", context: ["x": "y"], contextHeader: "c"), nil, kmsKey,
         .dsseKMS(keyId: "k", context: ["x": "y"], contextHeader: "c")),
        ("SSE-C ignores kms default", .sseC(Keys.headers), nil, kmsKeyBK, .sseC(Keys.headers)),
        ("SSE-C, NONE blocked", .sseC(Keys.headers), nil, BucketEncryptionRule(blockedEncryptionTypes: [.none]), .sseC(Keys.headers)),
    ]

    @Test func modeChoiceTable() throws {
        for (label, request, header, rule, expected) in Self.table {
            let mode = try EncryptionMode.choose(request: request, bucketKeyHeader: header, rule: rule)
            #expect(mode == expected, "\(label)")
        }
    }

    @Test func accessors() {
        let mode = Self.kmsMode("k", bk: true, ctx: ["a": "b"])
        #expect(mode.kind == .sseKMS && mode.kmsKeyId == "k" && mode.context == ["a": "b"] && mode.bucketKeyEnabled)
        let dsse = EncryptionMode.dsseKMS(keyId: "d", context: nil, contextHeader: nil)
        #expect(dsse.kind == .dsseKMS && dsse.kmsKeyId == "d" && !dsse.bucketKeyEnabled)
        #expect(EncryptionMode.sseS3.kmsKeyId == nil && EncryptionMode.sseC(Keys.headers).kind == .sseC)
        #expect(SSERequest.none.kind == nil && SSERequest.sseC(Keys.headers).kind == .sseC)
    }

    /// From parsed headers: the bucket-key header of a request without an SSE header reaches the default.
    @Test func choiceFromParsedHeaders() throws {
        let parsed = try parse([(bucketKeyHeader, "false")], .put)
        #expect(try EncryptionMode.choose(parsed, rule: Self.kmsKeyBK) == Self.kmsMode(Self.bucketKeyARN, bk: false))
        let copy = try parse(Keys.sourceTrio(), .copy)
        #expect(try EncryptionMode.choose(copy, rule: Self.aes) == .sseS3, "nothing is inherited from an SSE-C source")
    }

    /// E-C17: SSE-C write to a bucket that blocks SSE-C.
    @Test func blockedSSEC() {
        let rule = BucketEncryptionRule.neverConfigured(blockSSEC: true)
        let principal = "arn:aws:iam::111122223333:user/alice"
        for (operation, action) in [(SSEOperation.put, "s3:PutObject"), (.post, "s3:PutObject"), (.copy, "s3:CopyObject"),
            (.createMultipartUpload, "s3:PutObject")]
        {
            let denial = SSECDenialContext(principalARN: principal, operation: operation, bucket: "b", key: "dir/k")
            let expected = Ref.ec17(principal: principal, action: action, object: "arn:aws:s3:::b/dir/k")
            expectS3Error(expected, "\(operation)") { () throws(S3Error) in
                _ = try EncryptionMode.choose(request: .sseC(Keys.headers), rule: rule, denial: denial)
            }
            expectS3Error(expected, "\(operation) via parse") { () throws(S3Error) in
                _ = try parse(Keys.trio(), operation, blocked: denial)
            }
        }
        expectS3Error(S3Error(status: 403, code: "AccessDenied", message: "Access Denied"), "anonymous") { () throws(S3Error) in
            let denial = SSECDenialContext(principalARN: nil, action: "s3:PutObject", objectARN: "arn:aws:s3:::b/k")
            _ = try EncryptionMode.choose(request: .sseC(Keys.headers), rule: rule, denial: denial)
        }
        expectS3Error(S3Error(status: 403, code: "AccessDenied", message: "Access Denied"), "no context") { () throws(S3Error) in
            _ = try EncryptionMode.choose(request: .sseC(Keys.headers), rule: rule)
        }
        // Other modes are not blocked.
        #expect((try? EncryptionMode.choose(request: .none, rule: rule)) == .sseS3)
        #expect((try? EncryptionMode.choose(request: Self.kmsReq(), rule: rule)) == Self.kmsMode(Self.aws))
    }

    /// The full E-C17 message, byte for byte, for the reference's example shape.
    @Test func blockedMessageText() {
        let error = SSEErrors.customerKeyBlocked(
            principalARN: "arn:aws:iam::111122223333:root", action: "s3:PutObject", objectARN: "arn:aws:s3:::bkt/obj")
        #expect(error.status == 403 && error.code == "AccessDenied" && error.fields.isEmpty)
        #expect(
            error.message
                == #"User: arn:aws:iam::111122223333:root is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::bkt/obj" because this bucket has blocked upload requests that specify Server Side Encryption with Customer provided keys (SSE-C). Please specify a different server-side encryption type"#
        )
    }
}
