import Crypto
import KeyCore
import S3Wire
import Testing

@testable import Encryption

/// The reference's errors, typed again from `docs/s3-sse-semantics.md` §3 (not taken from `SSEErrors`), so a typo
/// on either side fails a test.
enum Ref {
    static let sse = "x-amz-server-side-encryption"
    static let ec1 = S3Error(
        status: 400, code: "InvalidRequest",
        message: "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.")
    static func ec2(_ value: String) -> S3Error {
        S3Error(
            status: 400, code: "InvalidArgument",
            message: "Server Side Encryption with Customer provided key is incompatible with the encryption method specified",
            fields: [("ArgumentName", sse), ("ArgumentValue", value)])
    }
    static func ec3(_ value: String) -> S3Error {
        S3Error(
            status: 400, code: "InvalidEncryptionAlgorithmError",
            message: "The Encryption request you specified is not valid. Supported value: AES256.",
            fields: [("ArgumentName", sse), ("ArgumentValue", value)])
    }
    static let ec4 = S3Error(
        status: 400, code: "InvalidArgument",
        message: "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.",
        fields: [("ArgumentName", sse)])
    static let ec5 = S3Error(
        status: 400, code: "InvalidArgument",
        message: "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.",
        fields: [("ArgumentName", sse)])
    static let ec6 = S3Error(
        status: 400, code: "InvalidArgument",
        message:
            "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.",
        fields: [("ArgumentName", sse)])
    static let ec7 = S3Error(
        status: 400, code: "InvalidArgument", message: "The calculated MD5 hash of the key did not match the hash that was provided.",
        fields: [("ArgumentName", sse)])
    static let ec8 = S3Error(
        status: 400, code: "InvalidArgument", message: "The secret key was invalid for the specified algorithm.",
        fields: [("ArgumentName", sse)])
    static let ec9 = S3Error(status: 400, code: "InvalidRequest", message: "The encryption parameters are not applicable to this object.")
    static let ec10 = S3Error(
        status: 400, code: "InvalidRequest",
        message:
            "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object."
    )
    static let ec11 = S3Error(
        status: 403, code: "AccessDenied",
        message: "Requests specifying Server Side Encryption with Customer provided keys must provide the correct secret key.")
    static let ec13 = S3Error(
        status: 400, code: "InvalidRequest",
        message:
            "The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters."
    )
    static let ec14 = S3Error(
        status: 400, code: "InvalidRequest", message: "The provided encryption parameters did not match the ones used originally.")
    static let ec15 = ec11
    static let ec16 = ec9
    static func ec17(principal: String, action: String, object: String) -> S3Error {
        S3Error(
            status: 403, code: "AccessDenied",
            message: "User: " + principal + " is not authorized to perform: " + action + " on resource: \"" + object
                + "\" because this bucket has blocked upload requests that specify Server Side Encryption with Customer provided keys (SSE-C). Please specify a different server-side encryption type"
        )
    }
    static func es1(_ value: String) -> S3Error {
        S3Error(
            status: 400, code: "InvalidArgument", message: "The encryption method specified is not supported",
            fields: [("ArgumentName", sse), ("ArgumentValue", value)])
    }
    static let es2 = S3Error(
        status: 400, code: "InvalidArgument", message: "x-amz-server-side-encryption header is not supported for this operation.",
        fields: [("ArgumentName", sse)])
    static func ek1(_ header: String) -> S3Error {
        S3Error(
            status: 400, code: "InvalidArgument",
            message: "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
            fields: [("ArgumentName", header)])
    }
    static let ek2 = S3Error(
        status: 400, code: "InvalidArgument",
        message:
            "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map"
    )
    static let ek7 = S3Error(
        status: 400, code: "InvalidArgument",
        message: "Requests specifying Server Side Encryption with AWS KMS managed keys require AWS Signature Version 4.",
        fields: [("ArgumentName", "Authorization"), ("ArgumentValue", "null")])
    static let ek8 = S3Error(
        status: 400, code: "InvalidArgument",
        message: "Requests specifying Server Side Encryption with AWS KMS managed keys must be made over a secure connection.")
    static let malformedXML = S3Error(
        status: 400, code: "MalformedXML",
        message: "The XML you provided was not well-formed or did not validate against our published schema")
    static let eb2 = S3Error(
        status: 400, code: "InvalidArgument",
        message: "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
        fields: [("ArgumentName", "ApplyServerSideEncryptionByDefault")])
}

/// Customer keys and their headers.
enum Keys {
    static let raw32: [UInt8] = Array(0..<32)
    static let other32: [UInt8] = Array((0..<32).map { UInt8(255 - $0) })
    static let raw24: [UInt8] = Array(0..<24)
    static func b64(_ bytes: [UInt8]) -> String { Base64.encode(bytes) }
    static func md5(_ bytes: [UInt8]) -> String { Base64.encode(Array(Insecure.MD5.hash(data: bytes))) }
    static let key = b64(raw32)
    static let keyMD5 = md5(raw32)

    /// The SSE-C trio for `raw` (MD5 computed unless given).
    static func trio(_ raw: [UInt8] = raw32, algorithm: String = "AES256", md5 given: String? = nil) -> [(String, String)] {
        [
            ("x-amz-server-side-encryption-customer-algorithm", algorithm),
            ("x-amz-server-side-encryption-customer-key", b64(raw)),
            ("x-amz-server-side-encryption-customer-key-MD5", given ?? md5(raw)),
        ]
    }

    /// The copy-source SSE-C trio for `raw`.
    static func sourceTrio(_ raw: [UInt8] = raw32, algorithm: String = "AES256", md5 given: String? = nil) -> [(String, String)] {
        trio(raw, algorithm: algorithm, md5: given).map { ("x-amz-copy-source-" + $0.0.dropFirst("x-amz-".count), $0.1) }
    }

    static var headers: SSECustomerKeyHeaders { SSECustomerKeyHeaders(key: SecretBytes(raw32)) }
}

func head(_ headers: [(String, String)], method: String = "PUT") -> RequestHead {
    RequestHead(method: method, target: "/bucket/key", headers: [("host", "s3.local")] + headers)
}

func b64JSON(_ json: String) -> String { Base64.encode(Array(json.utf8)) }

/// Runs `body` and checks it throws exactly `expected` (status, code, message, extra elements in order).
func expectS3Error(
    _ expected: S3Error, _ label: String = "", sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws(S3Error) -> Void
) {
    do {
        try body()
        Issue.record("\(label): expected \(expected), nothing thrown", sourceLocation: sourceLocation)
    } catch {
        #expect(error.status == expected.status, "\(label)", sourceLocation: sourceLocation)
        #expect(error.code == expected.code, "\(label)", sourceLocation: sourceLocation)
        #expect(error.message == expected.message, "\(label)", sourceLocation: sourceLocation)
        #expect(error.fields.map { "\($0.0)=\($0.1)" } == expected.fields.map { "\($0.0)=\($0.1)" }, "\(label)", sourceLocation: sourceLocation)
    }
}

/// Parses `headers` for `operation`.
func parse(
    _ headers: [(String, String)], _ operation: SSEOperation, blocked: SSECDenialContext? = nil
) throws(S3Error) -> SSERequestHeaders {
    try SSERequestHeaders.parse(head(headers), operation: operation, blockedSSEC: blocked)
}
