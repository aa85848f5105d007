import KeyCore
import S3Wire
import Testing

@testable import Encryption

/// One request that must fail header parsing with `expected` on each of `operations`.
struct ParseErrorCase: Sendable, CustomTestStringConvertible {
    let id: String
    let headers: [(String, String)]
    let operations: [SSEOperation]
    let expected: S3Error
    var testDescription: String { id }

    init(_ id: String, _ headers: [(String, String)], _ operations: [SSEOperation], _ expected: S3Error) {
        self.id = id
        self.headers = headers
        self.operations = operations
        self.expected = expected
    }
}

let choosing: [SSEOperation] = [.put, .post, .copy, .createMultipartUpload]
let dataWrites: [SSEOperation] = choosing + [.uploadPart, .uploadPartCopy]
let reads: [SSEOperation] = [.get, .head, .getObjectAttributes]
let allSSECOps: [SSEOperation] = SSEOperation.allCases
let kmsKeyHeader = "x-amz-server-side-encryption-aws-kms-key-id"
let contextHeader = "x-amz-server-side-encryption-context"
let bucketKeyHeader = "x-amz-server-side-encryption-bucket-key-enabled"
let algHeader = "x-amz-server-side-encryption-customer-algorithm"
let keyHeader = "x-amz-server-side-encryption-customer-key"
let md5Header = "x-amz-server-side-encryption-customer-key-MD5"

/// Every pure parse-time reference case (§3.1, §3.2), per operation.
let parseErrorCases: [ParseErrorCase] = [
    // E-S1: unknown SSE value, case-sensitive, empty value kept as an empty ArgumentValue.
    .init("E-S1 aes256", [(Ref.sse, "aes256")], choosing, Ref.es1("aes256")),
    .init("E-S1 empty", [(Ref.sse, "")], choosing, Ref.es1("")),
    .init("E-S1 aes:kms", [(Ref.sse, "aes:kms")], choosing, Ref.es1("aes:kms")),
    .init("E-S1 AWS:KMS", [(Ref.sse, "AWS:KMS")], choosing, Ref.es1("AWS:KMS")),
    .init("E-S1 aws:fsx", [(Ref.sse, "aws:fsx")], choosing, Ref.es1("aws:fsx")),
    // E-S2: SSE header on operations that do not take it (any value).
    .init("E-S2 AES256", [(Ref.sse, "AES256")], [.uploadPart, .uploadPartCopy, .completeMultipartUpload] + reads, Ref.es2),
    .init("E-S2 aws:kms", [(Ref.sse, "aws:kms")], [.uploadPart, .completeMultipartUpload] + reads, Ref.es2),
    .init("E-S2 bogus value", [(Ref.sse, "bogus")], [.uploadPart, .get], Ref.es2),
    .init("E-S2 key id on read", [(kmsKeyHeader, "alias/x")], reads, Ref.es2),
    .init("E-S2 context on read", [(contextHeader, b64JSON("{\"a\":\"b\"}"))], reads, Ref.es2),
    .init("E-S2 bucket key on read", [(bucketKeyHeader, "true")], reads, Ref.es2),
    // E-C2: SSE-C with any SSE value; ArgumentValue = that value.
    .init("E-C2 AES256", Keys.trio() + [(Ref.sse, "AES256")], choosing, Ref.ec2("AES256")),
    .init("E-C2 aws:kms", Keys.trio() + [(Ref.sse, "aws:kms")], choosing, Ref.ec2("aws:kms")),
    .init("E-C2 aws:kms:dsse", Keys.trio() + [(Ref.sse, "aws:kms:dsse")], choosing, Ref.ec2("aws:kms:dsse")),
    .init("E-C2 key only", [(keyHeader, Keys.key), (Ref.sse, "AES256")], choosing, Ref.ec2("AES256")),
    // E-C3: algorithm other than AES256, on writes and reads.
    .init("E-C3 AES128", Keys.trio(algorithm: "AES128"), allSSECOps, Ref.ec3("AES128")),
    .init("E-C3 lower-case", Keys.trio(algorithm: "aes256"), allSSECOps, Ref.ec3("aes256")),
    .init("E-C3 empty", Keys.trio(algorithm: ""), allSSECOps, Ref.ec3("")),
    .init("E-C3 copy source", Keys.sourceTrio(algorithm: "AES128"), [.copy, .uploadPartCopy], Ref.ec3("AES128")),
    // E-C4: key and/or MD5 without algorithm.
    .init("E-C4 key+md5", Array(Keys.trio().dropFirst()), allSSECOps, Ref.ec4),
    .init("E-C4 key", [(keyHeader, Keys.key)], allSSECOps, Ref.ec4),
    .init("E-C4 md5", [(md5Header, Keys.keyMD5)], allSSECOps, Ref.ec4),
    .init("E-C4 copy source", Array(Keys.sourceTrio().dropFirst()), [.copy, .uploadPartCopy], Ref.ec4),
    // E-C5: algorithm without key.
    .init("E-C5 alg", [(algHeader, "AES256")], allSSECOps, Ref.ec5),
    .init("E-C5 alg+md5", [(algHeader, "AES256"), (md5Header, Keys.keyMD5)], allSSECOps, Ref.ec5),
    .init("E-C5 empty key", [(algHeader, "AES256"), (keyHeader, ""), (md5Header, Keys.keyMD5)], allSSECOps, Ref.ec5),
    .init("E-C5 copy source", [("x-amz-copy-source-server-side-encryption-customer-algorithm", "AES256")], [.copy, .uploadPartCopy], Ref.ec5),
    // E-C6: MD5 missing.
    .init("E-C6 alg+key", Array(Keys.trio().prefix(2)), allSSECOps, Ref.ec6),
    .init("E-C6 empty md5", Keys.trio(md5: ""), allSSECOps, Ref.ec6),
    .init("E-C6 copy source", Array(Keys.sourceTrio().prefix(2)), [.copy, .uploadPartCopy], Ref.ec6),
    // E-C7: MD5 does not match (also undecodable key or MD5).
    .init("E-C7 other key's md5", Keys.trio(md5: Keys.md5(Keys.other32)), allSSECOps, Ref.ec7),
    .init("E-C7 md5 not base64", Keys.trio(md5: "not-base64!"), allSSECOps, Ref.ec7),
    .init("E-C7 md5 wrong size", Keys.trio(md5: Base64.encode([UInt8](repeating: 1, count: 20))), allSSECOps, Ref.ec7),
    .init(
        "E-C7 key not base64", [(algHeader, "AES256"), (keyHeader, "%%%%"), (md5Header, Keys.keyMD5)], allSSECOps, Ref.ec7),
    .init("E-C7 copy source", Keys.sourceTrio(md5: Keys.md5(Keys.other32)), [.copy, .uploadPartCopy], Ref.ec7),
    // E-C8: consistent MD5 but not 32 bytes, on writes (and Complete, which validates like UploadPart).
    .init("E-C8 24 bytes", Keys.trio(Keys.raw24), dataWrites + [.completeMultipartUpload], Ref.ec8),
    .init("E-C8 33 bytes", Keys.trio([UInt8](repeating: 7, count: 33)), dataWrites, Ref.ec8),
    .init("E-C8 botocore double base64", Keys.trio(Array(Keys.key.utf8)), dataWrites, Ref.ec8),
    // E-K1: KMS headers without aws:kms / aws:kms:dsse.
    .init("E-K1 key id + AES256", [(Ref.sse, "AES256"), (kmsKeyHeader, "alias/x")], choosing, Ref.ek1(kmsKeyHeader)),
    .init("E-K1 key id alone", [(kmsKeyHeader, "1234abcd-12ab-34cd-56ef-1234567890ab")], choosing, Ref.ek1(kmsKeyHeader)),
    .init("E-K1 context + AES256", [(Ref.sse, "AES256"), (contextHeader, b64JSON("{}"))], choosing, Ref.ek1(contextHeader)),
    .init("E-K1 context alone", [(contextHeader, b64JSON("{\"a\":\"b\"}"))], choosing, Ref.ek1(contextHeader)),
    .init("E-K1 key id + SSE-C", Keys.trio() + [(kmsKeyHeader, "alias/x")], choosing, Ref.ek1(kmsKeyHeader)),
    // E-K2: context format.
    .init("E-K2 not base64", [(Ref.sse, "aws:kms"), (contextHeader, "{\"a\":\"b\"}")], choosing, Ref.ek2),
    .init("E-K2 not JSON", [(Ref.sse, "aws:kms"), (contextHeader, b64JSON("a=b"))], choosing, Ref.ek2),
    .init("E-K2 array", [(Ref.sse, "aws:kms:dsse"), (contextHeader, b64JSON("[\"a\"]"))], choosing, Ref.ek2),
    .init("E-K2 number value", [(Ref.sse, "aws:kms"), (contextHeader, b64JSON("{\"a\":1}"))], choosing, Ref.ek2),
    .init("E-K2 nested", [(Ref.sse, "aws:kms"), (contextHeader, b64JSON("{\"a\":{\"b\":\"c\"}}"))], choosing, Ref.ek2),
    .init("E-K2 empty", [(Ref.sse, "aws:kms"), (contextHeader, "")], choosing, Ref.ek2),
    .init("E-K2 invalid UTF-8", [(Ref.sse, "aws:kms"), (contextHeader, Base64.encode([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x22, 0x22, 0x7D]))], choosing, Ref.ek2),
]

@Suite struct SSERequestErrorTests {
    @Test(arguments: parseErrorCases)
    func referenceCase(_ c: ParseErrorCase) {
        for operation in c.operations {
            expectS3Error(c.expected, "\(c.id) on \(operation)") { () throws(S3Error) in _ = try parse(c.headers, operation) }
        }
    }

    /// Header names are case-insensitive (`…-key-md5` and `…-key-MD5` are one header).
    @Test func mixedCaseHeaderNames() throws {
        let headers = [
            ("X-Amz-Server-Side-Encryption-Customer-Algorithm", "AES256"),
            ("X-AMZ-SERVER-SIDE-ENCRYPTION-CUSTOMER-KEY", Keys.key),
            ("x-amz-server-side-encryption-customer-key-md5", Keys.keyMD5),
        ]
        let parsed = try parse(headers, .put)
        #expect(parsed.request == .sseC(Keys.headers))
        expectS3Error(Ref.es1("aes256")) { () throws(S3Error) in _ = try parse([("X-Amz-Server-Side-Encryption", "aes256")], .put) }
    }

    /// The E-C2 body as XML: ArgumentName then ArgumentValue, between Message and RequestId.
    @Test func errorBodyShape() {
        let xml = SSEErrors.customerKeyWithSSEHeader("AES256").xml(requestID: "R", hostID: "H")
        #expect(
            xml == "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InvalidArgument</Code>"
                + "<Message>Server Side Encryption with Customer provided key is incompatible with the encryption method specified</Message>"
                + "<ArgumentName>x-amz-server-side-encryption</ArgumentName><ArgumentValue>AES256</ArgumentValue>"
                + "<RequestId>R</RequestId><HostId>H</HostId></Error>")
        let empty = SSEErrors.unsupportedEncryptionMethod("").xml(requestID: "R", hostID: "H")
        #expect(empty.contains("<ArgumentValue></ArgumentValue>"))
    }

    /// KMS and bucket errors that later layers raise: texts of §3.2/§3.3.
    @Test func kmsAndBucketCatalogue() {
        let arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        let cases: [(S3Error, Int, String, String)] = [
            (SSEErrors.kmsKeyNotFound(keyARN: arn), 400, "KMS.NotFoundException", "Key '\(arn)' does not exist"),
            (SSEErrors.invalidKMSKeyID("fake-key-id"), 400, "KMS.NotFoundException", "Invalid keyId 'fake-key-id'"),
            (SSEErrors.kmsKeyInOtherRegion("eu-west-1"), 400, "KMS.NotFoundException", "Invalid arn eu-west-1"),
            (
                SSEErrors.kmsAliasNotFound(aliasARN: "arn:aws:kms:us-east-1:111122223333:alias/nope"), 400, "KMS.NotFoundException",
                "Alias arn:aws:kms:us-east-1:111122223333:alias/nope is not found."
            ),
            (SSEErrors.kmsKeyDisabled(keyARN: arn), 400, "KMS.DisabledException", "\(arn) is disabled."),
            (SSEErrors.kmsKeyPendingDeletion(keyARN: arn), 400, "KMS.KMSInvalidStateException", "\(arn) is pending deletion."),
            (
                SSEErrors.encryptionConfigurationNotFound(bucket: "b"), 404, "ServerSideEncryptionConfigurationNotFoundError",
                "The server side encryption configuration was not found"
            ),
        ]
        for (error, status, code, message) in cases {
            #expect(error.status == status)
            #expect(error.code == code)
            #expect(error.message == message)
        }
        #expect(SSEErrors.encryptionConfigurationNotFound(bucket: "b").fields.map { "\($0.0)=\($0.1)" } == ["BucketName=b"])
    }
}
