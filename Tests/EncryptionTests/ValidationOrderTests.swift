import KeyCore
import S3Wire
import Testing

@testable import Encryption

/// Requests where two reference errors apply: which one wins (§3.4).
@Suite struct ValidationOrderTests {
    static let principal = "arn:aws:iam::111122223333:user/alice"
    static let blocked = SSECDenialContext(principalARN: principal, action: "s3:PutObject", objectARN: "arn:aws:s3:::b/k")
    static let ec17 = Ref.ec17(principal: principal, action: "s3:PutObject", object: "arn:aws:s3:::b/k")

    struct OrderCase: Sendable, CustomTestStringConvertible {
        let id: String
        let headers: [(String, String)]
        let operation: SSEOperation
        let blocked: Bool
        let expected: S3Error
        var testDescription: String { id }
    }

    static let cases: [OrderCase] = [
        .init(id: "E-S1 before E-C2", headers: Keys.trio() + [(Ref.sse, "aes256")], operation: .put, blocked: false, expected: Ref.es1("aes256")),
        .init(
            id: "E-C2 before E-C3 (bad SSE-C algorithm)", headers: Keys.trio(algorithm: "AES128") + [(Ref.sse, "AES256")], operation: .put,
            blocked: false, expected: Ref.ec2("AES256")),
        .init(
            id: "E-C2 before E-K1", headers: Keys.trio() + [(Ref.sse, "AES256"), (kmsKeyHeader, "k")], operation: .copy, blocked: false,
            expected: Ref.ec2("AES256")),
        .init(
            id: "E-S1 before E-C17", headers: Keys.trio() + [(Ref.sse, "bad")], operation: .put, blocked: true, expected: Ref.es1("bad")),
        .init(
            id: "E-C2 before E-C17", headers: Keys.trio() + [(Ref.sse, "aws:kms")], operation: .put, blocked: true,
            expected: Ref.ec2("aws:kms")),
        .init(
            id: "E-C17 before E-K1", headers: Keys.trio() + [(kmsKeyHeader, "k")], operation: .put, blocked: true, expected: ec17),
        .init(
            id: "E-C17 before E-C3", headers: Keys.trio(algorithm: "AES128"), operation: .put, blocked: true, expected: ec17),
        .init(id: "E-C17 before E-C4", headers: [(keyHeader, Keys.key)], operation: .put, blocked: true, expected: ec17),
        .init(
            id: "E-C17 before E-C7", headers: Keys.trio(md5: Keys.md5(Keys.other32)), operation: .createMultipartUpload, blocked: true,
            expected: ec17),
        .init(id: "E-C17 before E-C8", headers: Keys.trio(Keys.raw24), operation: .uploadPart, blocked: true, expected: ec17),
        .init(
            id: "E-K1 (key id) before E-K1 (context)", headers: [(Ref.sse, "AES256"), (contextHeader, "x"), (kmsKeyHeader, "k")],
            operation: .put, blocked: false, expected: Ref.ek1(kmsKeyHeader)),
        .init(
            id: "E-K1 before E-K2", headers: [(Ref.sse, "AES256"), (contextHeader, "not base64")], operation: .put, blocked: false,
            expected: Ref.ek1(contextHeader)),
        .init(
            id: "E-K1 before E-C4", headers: [(keyHeader, Keys.key), (kmsKeyHeader, "k")], operation: .put, blocked: false,
            expected: Ref.ek1(kmsKeyHeader)),
        .init(
            id: "E-C3 before E-C5", headers: [(algHeader, "AES128")], operation: .put, blocked: false, expected: Ref.ec3("AES128")),
        .init(id: "E-C5 before E-C6", headers: [(algHeader, "AES256")], operation: .get, blocked: false, expected: Ref.ec5),
        .init(
            id: "E-C7 before E-C8 (aws-cli#6906: 24-byte key, other MD5)", headers: Keys.trio(Keys.raw24, md5: Keys.keyMD5),
            operation: .put, blocked: false, expected: Ref.ec7),
        .init(
            id: "E-S2 before E-C3 on GET", headers: Keys.trio(algorithm: "AES128") + [(Ref.sse, "AES256")], operation: .get,
            blocked: false, expected: Ref.es2),
        .init(
            id: "E-S2 before E-C8 on UploadPart", headers: Keys.trio(Keys.raw24) + [(Ref.sse, "AES256")], operation: .uploadPart,
            blocked: false, expected: Ref.es2),
        .init(
            id: "target E-C5 before copy-source E-C3", headers: [(algHeader, "AES256")] + Keys.sourceTrio(algorithm: "x"),
            operation: .copy, blocked: false, expected: Ref.ec5),
        .init(
            id: "target E-C8 before copy-source E-C7", headers: Keys.trio(Keys.raw24) + Keys.sourceTrio(md5: "AAAA"),
            operation: .uploadPartCopy, blocked: false, expected: Ref.ec8),
    ]

    @Test(arguments: cases)
    func winner(_ c: OrderCase) {
        expectS3Error(c.expected, c.id) { () throws(S3Error) in
            _ = try parse(c.headers, c.operation, blocked: c.blocked ? Self.blocked : nil)
        }
    }

    /// The block only concerns SSE-C uploads: reads, Complete, ListParts and non-SSE-C writes pass.
    @Test func blockIgnoredWhereItDoesNotApply() throws {
        for operation in reads + [.completeMultipartUpload, .listParts] {
            #expect(try parse(Keys.trio(), operation, blocked: Self.blocked).request == .sseC(Keys.headers))
        }
        #expect(try parse([(Ref.sse, "AES256")], .put, blocked: Self.blocked).request == .sseS3)
        #expect(try parse(Keys.sourceTrio(), .copy, blocked: Self.blocked).copySource == Keys.headers)
    }

    /// Transport (§3.4 step 2) before any header check: E-C1 first, then E-K8, then E-K7.
    @Test func transportBeforeHeaders() {
        let h = head(Keys.trio(algorithm: "bad") + [(Ref.sse, "aws:kms")])
        expectS3Error(Ref.ec1, "E-C1 before E-K8") { () throws(S3Error) in
            try SSETransport.check(h, operation: .put, isTLS: false, isSigV4: false)
        }
        expectS3Error(Ref.ek8, "E-K8 before E-K7") { () throws(S3Error) in
            try SSETransport.check(head([(Ref.sse, "aws:kms")]), operation: .put, isTLS: false, isSigV4: false)
        }
    }

    /// Reads: syntax (parse) before the object comparison; the algorithm is reported even with the right key.
    @Test func readSyntaxBeforeObjectChecks() {
        for objectIsSSEC in [false, true] {
            expectS3Error(Ref.ec3("AES128"), "E-C3 before E-C9/E-C11") { () throws(S3Error) in
                let parsed = try parse(Keys.trio(algorithm: "AES128"), .get)
                try SSECustomerKeyCheck.checkRead(customerKey: parsed.request.customerKey, objectIsSSEC: objectIsSSEC) { _ in true }
            }
        }
        // E-C11 compares before the length: a 24-byte key with a matching MD5 is the wrong key, not E-C8.
        expectS3Error(Ref.ec11, "E-C11 before length") { () throws(S3Error) in
            let parsed = try parse(Keys.trio(Keys.raw24), .head)
            try SSECustomerKeyCheck.checkRead(customerKey: parsed.request.customerKey, objectIsSSEC: true) {
                $0.key == SecretBytes(Keys.raw32)
            }
        }
    }
}
