import Crypto
import Foundation
import Testing

@testable import Encryption

@Suite struct SSEETagTests {
    /// A fixed generator, so random ETags are reproducible in tests.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let md5OfTest = Array(Insecure.MD5.hash(data: Array("test".utf8)))

    @Test func sseS3AndUnencryptedUseTheMD5() {
        #expect(SSEETag.etag(kind: .sseS3, plaintextMD5: Self.md5OfTest) == "098f6bcd4621d373cade4e832627b4f6")
        #expect(SSEETag.etag(kind: nil, plaintextMD5: Self.md5OfTest) == "098f6bcd4621d373cade4e832627b4f6")
    }

    @Test(arguments: [SSEKind.sseKMS, .dsseKMS, .sseC])
    func randomKindsAreNotTheMD5(_ kind: SSEKind) {
        var seen: Set<String> = []
        for _ in 0..<50 {
            let etag = SSEETag.etag(kind: kind, plaintextMD5: Self.md5OfTest)
            #expect(SSEETag.isSinglePartShape(etag), "\(etag)")
            #expect(etag != "098f6bcd4621d373cade4e832627b4f6")
            seen.insert(etag)
        }
        #expect(seen.count == 50, "identical data gets a different ETag on every write")
        var a = SplitMix(state: 1), b = SplitMix(state: 1)
        #expect(SSEETag.etag(kind: kind, plaintextMD5: [], using: &a) == SSEETag.etag(kind: kind, plaintextMD5: [], using: &b))
    }

    /// md5(concat(binary part ETags))-N, whatever the parts' mode; quotes allowed.
    @Test func multipartFormula() {
        var generator = SplitMix(state: 7)
        let parts = (0..<3).map { _ in SSEETag.randomETag(using: &generator) }
        var concat: [UInt8] = []
        for p in parts { concat += SSEETag.unhex(p)! }
        let expected = Array(Insecure.MD5.hash(data: concat)).map { String(format: "%02x", $0) }.joined() + "-3"
        #expect(SSEETag.multipart(partETags: parts) == expected)
        #expect(SSEETag.multipart(partETags: parts.map { "\"\($0)\"" }) == expected)
        // One SSE-S3 part of "test": md5(md5("test"))-1.
        let one = Array(Insecure.MD5.hash(data: Self.md5OfTest)).map { String(format: "%02x", $0) }.joined() + "-1"
        #expect(SSEETag.multipart(partETags: ["098f6bcd4621d373cade4e832627b4f6"]) == one)
        #expect(SSEETag.multipart(partETags: ["098F6BCD4621D373CADE4E832627B4F6"]) == one)
        #expect(!SSEETag.isSinglePartShape(one))
    }

    @Test func shapes() {
        #expect(SSEETag.isSinglePartShape("\"0123456789abcdef0123456789abcdef\""))
        #expect(!SSEETag.isSinglePartShape("0123456789ABCDEF0123456789abcdef"))
        #expect(!SSEETag.isSinglePartShape("0123456789abcdef"))
        #expect(SSEETag.unhex("zz") == nil && SSEETag.unhex("abc") == nil)
    }
}
