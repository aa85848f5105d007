import KeyCore
import S3Wire
import Testing

@testable import Encryption

@Suite struct SSERequestParsingTests {
    @Test func noHeadersIsNoneOnEveryOperation() throws {
        for operation in SSEOperation.allCases {
            let parsed = try parse([], operation)
            #expect(parsed == SSERequestHeaders(request: .none), "\(operation)")
        }
    }

    @Test func explicitModesOnWrites() throws {
        let context = b64JSON("{\"project\":\"blue\",\"aws:s3:arn\":\"arn:aws:s3:::b/k\"}")
        let cases: [([(String, String)], SSERequest, Bool?)] = [
            ([(Ref.sse, "AES256")], .sseS3, nil),
            ([(Ref.sse, "aws:kms")], .sseKMS(keyId: nil, context: nil, contextHeader: nil, bucketKeyEnabled: nil), nil),
            (
                [(Ref.sse, "aws:kms"), (kmsKeyHeader, "alias/app"), (contextHeader, context), (bucketKeyHeader, "true")],
                .sseKMS(
                    keyId: "alias/app", context: ["project": "blue", "aws:s3:arn": "arn:aws:s3:::b/k"], contextHeader: context,
                    bucketKeyEnabled: true), true
            ),
            (
                [(Ref.sse, "aws:kms"), (bucketKeyHeader, "false")],
                .sseKMS(keyId: nil, context: nil, contextHeader: nil, bucketKeyEnabled: false), false
            ),
            (
                [(Ref.sse, "aws:kms"), (kmsKeyHeader, "")],
                .sseKMS(keyId: nil, context: nil, contextHeader: nil, bucketKeyEnabled: nil), nil
            ),
            (
                [(Ref.sse, "aws:kms:dsse"), (kmsKeyHeader, "arn:aws:kms:us-east-1:111122223333:key/k"), (contextHeader, b64JSON("{}"))],
                .dsseKMS(keyId: "arn:aws:kms:us-east-1:111122223333:key/k", context: [:], contextHeader: b64JSON("{}")), nil
            ),
            ([(Ref.sse, "aws:kms:dsse"), (bucketKeyHeader, "true")], .dsseKMS(keyId: nil, context: nil, contextHeader: nil), true),
            (Keys.trio(), .sseC(Keys.headers), nil),
            ([(bucketKeyHeader, "TRUE")], .none, true),
            ([(bucketKeyHeader, "yes")], .none, false),
        ]
        for operation in choosing {
            for (headers, request, bucketKey) in cases {
                let parsed = try parse(headers, operation)
                #expect(parsed.request == request, "\(operation) \(headers)")
                #expect(parsed.bucketKeyEnabled == bucketKey, "\(operation) \(headers)")
                #expect(parsed.copySource == nil)
            }
        }
    }

    /// The key MD5 is kept as sent; the key is decoded and redacted when printed.
    @Test func customerKeyHeadersKeepMD5AndHideKey() throws {
        let parsed = try parse(Keys.trio(), .put)
        let headers = try #require(parsed.request.customerKey)
        #expect(headers.algorithm == "AES256")
        #expect(headers.keyMD5 == Keys.keyMD5)
        #expect(headers.key.bytes == Keys.raw32)
        #expect(headers.keyMD5Bytes.count == 16)
        for text in [headers.description, headers.debugDescription, String(describing: parsed), "\(parsed.request)"] {
            #expect(!text.contains(Keys.key))
            #expect(text.contains("redacted"))
        }
        #expect(SSECustomerKeyHeaders.md5Base64(of: SecretBytes(Keys.raw32)) == Keys.keyMD5)
        #expect(SSECustomerKeyHeaders(key: SecretBytes(Keys.raw32)) != SSECustomerKeyHeaders(key: SecretBytes(Keys.other32)))
    }

    /// Reads, parts and ListParts take the trio; reads do not check the key length (E-C11 comes later instead).
    @Test func trioOnNonChoosingOperations() throws {
        for operation in [SSEOperation.uploadPart, .uploadPartCopy, .completeMultipartUpload, .get, .head, .getObjectAttributes, .listParts] {
            #expect(try parse(Keys.trio(), operation).request == .sseC(Keys.headers), "\(operation)")
        }
        for operation in reads + [.listParts] {
            let parsed = try parse(Keys.trio(Keys.raw24), operation)
            #expect(parsed.request.customerKey?.key.count == 24, "\(operation)")
        }
    }

    /// ListParts ignores SSE/KMS headers; Complete and parts ignore KMS headers other than the SSE one.
    @Test func ignoredHeaders() throws {
        #expect(try parse([(Ref.sse, "AES256"), (kmsKeyHeader, "k")], .listParts).request == .none)
        for operation in [SSEOperation.uploadPart, .uploadPartCopy, .completeMultipartUpload] {
            let parsed = try parse([(kmsKeyHeader, "k"), (contextHeader, "x"), (bucketKeyHeader, "true")], operation)
            #expect(parsed == SSERequestHeaders(request: .none), "\(operation)")
        }
        // The copy-source trio only means something on copies.
        #expect(try parse(Keys.sourceTrio(), .put).copySource == nil)
        #expect(try parse(Keys.sourceTrio(algorithm: "bad"), .get).copySource == nil)
    }

    @Test func copySourceTrio() throws {
        for operation in [SSEOperation.copy, .uploadPartCopy] {
            let parsed = try parse(Keys.sourceTrio() + Keys.trio(Keys.other32), operation)
            #expect(parsed.copySource == Keys.headers, "\(operation)")
            #expect(parsed.request == .sseC(SSECustomerKeyHeaders(key: SecretBytes(Keys.other32))), "\(operation)")
            // A wrong-length source key whose MD5 matches is accepted here: it is reported as the wrong key (E-C15).
            let short = try parse(Keys.sourceTrio(Keys.raw24), operation)
            #expect(short.copySource?.key.count == 24)
            #expect(short.request == .none)
        }
        // A copy from an SSE-C source to an SSE-KMS destination.
        let mixed = try parse(Keys.sourceTrio() + [(Ref.sse, "aws:kms")], .copy)
        #expect(mixed.request == .sseKMS(keyId: nil, context: nil, contextHeader: nil, bucketKeyEnabled: nil))
        #expect(mixed.copySource == Keys.headers)
    }

    @Test func contextDecoding() throws {
        #expect(try SSERequestHeaders.parseContext(b64JSON("{\"a\":\"b\",\"c\":\"\"}")) == ["a": "b", "c": ""])
        #expect(try SSERequestHeaders.parseContext(b64JSON("{\"é\":\"☃\"}")) == ["é": "☃"])
        #expect(try SSERequestHeaders.parseContext(b64JSON(" { } ")) == [:])
    }
}
