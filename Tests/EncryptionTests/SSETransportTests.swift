import S3Wire
import Testing

@testable import Encryption

@Suite struct SSETransportTests {
    /// E-C1: target or copy-source SSE-C headers over plain HTTP, on every operation.
    @Test func customerKeyNeedsTLS() throws {
        let variants: [[(String, String)]] = [Keys.trio(), Keys.sourceTrio(), [(keyHeader, Keys.key)], [(algHeader, "AES256")]]
        for operation in SSEOperation.allCases {
            for headers in variants {
                expectS3Error(Ref.ec1, "\(operation)") { () throws(S3Error) in
                    try SSETransport.check(head(headers), operation: operation, isTLS: false, isSigV4: true)
                }
                try SSETransport.check(head(headers), operation: operation, isTLS: true, isSigV4: true)
                try SSETransport.check(head(headers), operation: operation, isTLS: false, isSigV4: true, allowSSECOverHTTP: true)
            }
        }
        try SSETransport.checkCustomerKey(head([(Ref.sse, "AES256")]), isTLS: false)
    }

    /// E-K8 (plain HTTP) and E-K7 (not SigV4) for KMS writes; SSE-S3 has no requirement.
    @Test func kmsNeedsTLSAndSigV4() throws {
        for value in ["aws:kms", "aws:kms:dsse"] {
            for operation in choosing {
                let h = head([(Ref.sse, value)])
                expectS3Error(Ref.ek8, "\(value) \(operation) HTTP") { () throws(S3Error) in
                    try SSETransport.check(h, operation: operation, isTLS: false, isSigV4: true)
                }
                expectS3Error(Ref.ek7, "\(value) \(operation) SigV2") { () throws(S3Error) in
                    try SSETransport.check(h, operation: operation, isTLS: true, isSigV4: false)
                }
                try SSETransport.check(h, operation: operation, isTLS: true, isSigV4: true)
            }
        }
        try SSETransport.check(head([(Ref.sse, "AES256")]), operation: .put, isTLS: false, isSigV4: false)
        try SSETransport.check(head([(Ref.sse, "bogus")]), operation: .put, isTLS: false, isSigV4: false)
        // A GET of a KMS object: the caller checks once the object is loaded.
        try SSETransport.check(head([]), operation: .get, isTLS: false, isSigV4: false)
        expectS3Error(Ref.ek8) { () throws(S3Error) in try SSETransport.checkKMS(isTLS: false, isSigV4: true) }
        expectS3Error(Ref.ek7) { () throws(S3Error) in try SSETransport.checkKMS(isTLS: true, isSigV4: false) }
        try SSETransport.checkKMS(isTLS: true, isSigV4: true)
        #expect(SSEKind.sseKMS.requiresKMSTransport && SSEKind.dsseKMS.requiresKMSTransport)
        #expect(!SSEKind.sseS3.requiresKMSTransport && !SSEKind.sseC.requiresKMSTransport)
    }
}
