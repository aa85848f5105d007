import Crypto
import NIOCore

@testable import S3Wire

/// The credentials and clock of the AWS S3 Signature Version 4 documentation examples
/// (docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html, sigv4-query-string-auth.html,
/// sigv4-streaming.html).
enum AWSExample {
    static let accessKey = "AKIAIOSFODNN7EXAMPLE"
    static let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    static let timestamp = "20130524T000000Z"
    static let date = "20130524"
    static let region = "us-east-1"
    static let scope = "20130524/us-east-1/s3/aws4_request"
    /// 2013-05-24T00:00:00Z.
    static let epoch: Int64 = 1_369_353_600
    static let host = "examplebucket.s3.amazonaws.com"
    static let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    static func authenticator(now: Int64 = epoch) -> SigV4Authenticator {
        SigV4Authenticator(service: "s3", now: { now }, secretForAccessKey: { $0 == accessKey ? secret : nil })
    }

    static func authorization(signedHeaders: String, signature: String, credential: String = accessKey + "/" + scope) -> String {
        "AWS4-HMAC-SHA256 Credential=\(credential),SignedHeaders=\(signedHeaders),Signature=\(signature)"
    }

    static var signingKey: SymmetricKey { SigV4.signingKey(secret: secret, date: date, region: region, service: "s3") }

    // MARK: Streaming (PUT /examplebucket/chunkObject.txt, 65536 + 1024 bytes of "a")

    static let seedSignature = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
    static let chunkSignatures = [
        "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
        "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
        "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
    ]

    static var streamingHeaders: [(String, String)] {
        [
            ("Host", "s3.amazonaws.com"),
            ("x-amz-date", timestamp),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("Authorization", authorization(
                signedHeaders:
                    "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class",
                signature: seedSignature)),
            ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
            ("Content-Encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "66560"),
            ("Content-Length", "66824"),
        ]
    }

    static var streamingHead: RequestHead { RequestHead(method: "PUT", target: "/examplebucket/chunkObject.txt", headers: streamingHeaders) }

    static var streamingContext: ChunkSigningContext {
        ChunkSigningContext(signingKey: signingKey, timestamp: timestamp, scope: scope, seedSignature: seedSignature)
    }

    /// The 66560 decoded bytes.
    static let streamingPayload = [UInt8](repeating: UInt8(ascii: "a"), count: 65536 + 1024)

    /// The 66824-byte aws-chunked body.
    static func streamingBody(signatures: [String] = chunkSignatures) -> [UInt8] {
        var body: [UInt8] = []
        body += Array("10000;chunk-signature=\(signatures[0])\r\n".utf8)
        body += [UInt8](repeating: UInt8(ascii: "a"), count: 65536)
        body += Array("\r\n400;chunk-signature=\(signatures[1])\r\n".utf8)
        body += [UInt8](repeating: UInt8(ascii: "a"), count: 1024)
        body += Array("\r\n0;chunk-signature=\(signatures[2])\r\n\r\n".utf8)
        return body
    }
}

extension SymmetricKey {
    var bytes: [UInt8] { withUnsafeBytes { Array($0) } }
}

func buffer(_ bytes: [UInt8]) -> ByteBuffer {
    var b = ByteBufferAllocator().buffer(capacity: bytes.count)
    b.writeBytes(bytes)
    return b
}

func buffer(_ text: String) -> ByteBuffer { buffer(Array(text.utf8)) }

func bytes(_ buffers: [ByteBuffer]) -> [UInt8] {
    var out: [UInt8] = []
    for var b in buffers { out += b.readBytes(length: b.readableBytes) ?? [] }
    return out
}
