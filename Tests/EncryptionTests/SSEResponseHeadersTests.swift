import KeyCore
import Testing

@testable import Encryption

@Suite struct SSEResponseHeadersTests {
    static let arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    static let ctx = b64JSON("{\"a\":\"b\"}")
    static let sse = ("x-amz-server-side-encryption", "")
    static let keyID = "x-amz-server-side-encryption-aws-kms-key-id"
    static let context = "x-amz-server-side-encryption-context"
    static let bucketKey = "x-amz-server-side-encryption-bucket-key-enabled"
    static let alg = "x-amz-server-side-encryption-customer-algorithm"
    static let md5 = "x-amz-server-side-encryption-customer-key-MD5"

    enum Group: CaseIterable {
        case write, part, complete, read, silent
        var operations: [SSEOperation] {
            switch self {
            case .write: [.put, .post, .copy, .createMultipartUpload]
            case .part: [.uploadPart, .uploadPartCopy]
            case .complete: [.completeMultipartUpload]
            case .read: [.get, .head]
            case .silent: [.getObjectAttributes, .listParts]
            }
        }
    }

    /// (label, mode, key ARN from the provider, expected headers per operation group) — §2.1 × §2.2.
    static let table: [(String, EncryptionMode?, String?, [Group: [String]])] = [
        ("legacy unencrypted", nil, nil, [.write: [], .part: [], .complete: [], .read: [], .silent: []]),
        (
            "SSE-S3", .sseS3, nil,
            [
                .write: ["x-amz-server-side-encryption: AES256"], .part: ["x-amz-server-side-encryption: AES256"],
                .complete: ["x-amz-server-side-encryption: AES256"], .read: ["x-amz-server-side-encryption: AES256"], .silent: [],
            ]
        ),
        (
            "SSE-KMS, no bucket key, no context", .sseKMS(keyId: "alias/x", context: nil, contextHeader: nil, bucketKeyEnabled: false), arn,
            [
                .write: ["x-amz-server-side-encryption: aws:kms", "\(keyID): \(arn)"],
                .part: ["x-amz-server-side-encryption: aws:kms", "\(keyID): \(arn)"],
                .complete: ["x-amz-server-side-encryption: aws:kms", "\(keyID): \(arn)"],
                .read: ["x-amz-server-side-encryption: aws:kms", "\(keyID): \(arn)"], .silent: [],
            ]
        ),
        (
            "SSE-KMS, bucket key, context", .sseKMS(keyId: "alias/x", context: ["a": "b"], contextHeader: ctx, bucketKeyEnabled: true), arn,
            [
                .write: ["x-amz-server-side-encryption: aws:kms", "\(keyID): \(arn)", "\(context): \(ctx)", "\(bucketKey): true"],
                .part: ["x-amz-server-side-encryption: aws:kms", "\(keyID): \(arn)", "\(bucketKey): true"],
                .complete: ["x-amz-server-side-encryption: aws:kms", "\(keyID): \(arn)", "\(bucketKey): true"],
                .read: ["x-amz-server-side-encryption: aws:kms", "\(keyID): \(arn)", "\(bucketKey): true"], .silent: [],
            ]
        ),
        (
            "DSSE-KMS with context", .dsseKMS(keyId: "k", context: ["a": "b"], contextHeader: ctx), arn,
            [
                .write: ["x-amz-server-side-encryption: aws:kms:dsse", "\(keyID): \(arn)", "\(context): \(ctx)"],
                .part: ["x-amz-server-side-encryption: aws:kms:dsse", "\(keyID): \(arn)"],
                .complete: ["x-amz-server-side-encryption: aws:kms:dsse", "\(keyID): \(arn)"],
                .read: ["x-amz-server-side-encryption: aws:kms:dsse", "\(keyID): \(arn)"], .silent: [],
            ]
        ),
        (
            "SSE-C", .sseC(Keys.headers), nil,
            [
                .write: ["\(alg): AES256", "\(md5): \(Keys.keyMD5)"], .part: ["\(alg): AES256", "\(md5): \(Keys.keyMD5)"],
                .complete: [], .read: ["\(alg): AES256", "\(md5): \(Keys.keyMD5)"], .silent: [],
            ]
        ),
    ]

    @Test func headersPerModeAndOperation() {
        for (label, mode, keyARN, expected) in Self.table {
            for group in Group.allCases {
                for operation in group.operations {
                    let headers = SSEResponseHeaders(mode: mode, operation: operation, kmsKeyARN: keyARN)
                    #expect(headers.fields.map { "\($0.name): \($0.value)" } == expected[group], "\(label) \(operation)")
                }
            }
        }
    }

    /// Without a resolved ARN the key id is echoed as is; the stored-facts initialiser gives the same result.
    @Test func keyIdFallbackAndStoredFacts() {
        let mode = EncryptionMode.sseKMS(keyId: "alias/aws/s3", context: nil, contextHeader: nil, bucketKeyEnabled: false)
        #expect(SSEResponseHeaders(mode: mode, operation: .put).value(Self.keyID) == "alias/aws/s3")
        let stored = SSEResponseHeaders(kind: .sseKMS, operation: .get, kmsKeyARN: Self.arn, bucketKeyEnabled: true, contextHeader: Self.ctx)
        #expect(stored == SSEResponseHeaders(mode: .sseKMS(keyId: "x", context: nil, contextHeader: Self.ctx, bucketKeyEnabled: true),
            operation: .get, kmsKeyARN: Self.arn))
        #expect(stored.value(Self.context) == nil)
        #expect(stored.value(Self.bucketKey) == "true")
        // A false bucket key is omitted, never "false".
        let off = SSEResponseHeaders(kind: .sseKMS, operation: .put, kmsKeyARN: Self.arn, bucketKeyEnabled: false)
        #expect(!off.fields.contains { $0.value == "false" })
        // Bucket Keys never show for DSSE or SSE-S3.
        #expect(SSEResponseHeaders(kind: .dsseKMS, operation: .put, kmsKeyARN: Self.arn, bucketKeyEnabled: true).value(Self.bucketKey) == nil)
        #expect(SSEResponseHeaders(kind: .sseS3, operation: .put, bucketKeyEnabled: true).value(Self.bucketKey) == nil)
        // SSE-C never carries x-amz-server-side-encryption.
        #expect(SSEResponseHeaders(kind: .sseC, operation: .get, customerKeyMD5: "m").value(Self.sse.0) == nil)
    }
}
