import Testing

@testable import S3Wire

/// Known-answer tests of the pure SigV4 computations against the AWS S3 documentation examples.
@Suite struct SigV4Tests {
    struct HeaderExample: Sendable, CustomTestStringConvertible {
        var name: String
        var method: String
        var rawPath: String
        var query: [(String, String)]
        var headers: [(String, String)]
        var signedHeaders: [String]
        var payloadHash: String
        var canonicalRequest: String
        var canonicalRequestHash: String
        var signature: String
        var testDescription: String { name }
    }

    static let putPayloadHash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"

    static let headerExamples: [HeaderExample] = [
        HeaderExample(
            name: "GET Object with Range",
            method: "GET", rawPath: "/test.txt", query: [],
            headers: [
                ("host", AWSExample.host), ("range", "bytes=0-9"), ("x-amz-content-sha256", AWSExample.emptyHash),
                ("x-amz-date", AWSExample.timestamp),
            ],
            signedHeaders: ["host", "range", "x-amz-content-sha256", "x-amz-date"], payloadHash: AWSExample.emptyHash,
            canonicalRequest: """
                GET
                /test.txt

                host:examplebucket.s3.amazonaws.com
                range:bytes=0-9
                x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                x-amz-date:20130524T000000Z

                host;range;x-amz-content-sha256;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """,
            canonicalRequestHash: "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
            signature: "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
        HeaderExample(
            name: "PUT Object test$file.text",
            method: "PUT", rawPath: "/test$file.text", query: [],
            headers: [
                ("host", AWSExample.host), ("date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-date", AWSExample.timestamp),
                ("x-amz-storage-class", "REDUCED_REDUNDANCY"), ("x-amz-content-sha256", putPayloadHash),
            ],
            signedHeaders: ["date", "host", "x-amz-content-sha256", "x-amz-date", "x-amz-storage-class"], payloadHash: putPayloadHash,
            canonicalRequest: """
                PUT
                /test%24file.text

                date:Fri, 24 May 2013 00:00:00 GMT
                host:examplebucket.s3.amazonaws.com
                x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072
                x-amz-date:20130524T000000Z
                x-amz-storage-class:REDUCED_REDUNDANCY

                date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class
                44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072
                """,
            canonicalRequestHash: "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
            signature: "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
        HeaderExample(
            name: "GET Bucket lifecycle",
            method: "GET", rawPath: "/", query: [("lifecycle", "")],
            headers: [("host", AWSExample.host), ("x-amz-date", AWSExample.timestamp), ("x-amz-content-sha256", AWSExample.emptyHash)],
            signedHeaders: ["host", "x-amz-content-sha256", "x-amz-date"], payloadHash: AWSExample.emptyHash,
            canonicalRequest: """
                GET
                /
                lifecycle=
                host:examplebucket.s3.amazonaws.com
                x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                x-amz-date:20130524T000000Z

                host;x-amz-content-sha256;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """,
            canonicalRequestHash: "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca",
            signature: "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
        HeaderExample(
            name: "GET Bucket (list objects) max-keys=2&prefix=J",
            method: "GET", rawPath: "/", query: [("max-keys", "2"), ("prefix", "J")],
            headers: [("host", AWSExample.host), ("x-amz-date", AWSExample.timestamp), ("x-amz-content-sha256", AWSExample.emptyHash)],
            signedHeaders: ["host", "x-amz-content-sha256", "x-amz-date"], payloadHash: AWSExample.emptyHash,
            canonicalRequest: """
                GET
                /
                max-keys=2&prefix=J
                host:examplebucket.s3.amazonaws.com
                x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                x-amz-date:20130524T000000Z

                host;x-amz-content-sha256;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """,
            canonicalRequestHash: "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7",
            signature: "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
    ]

    @Test func signingKeyOfTheExampleDay() {
        #expect(AWSExample.signingKey.bytes.hexString == "dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378")
    }

    @Test(arguments: headerExamples)
    func headerExample(_ e: HeaderExample) throws {
        let uri = try #require(SigV4.canonicalURI(rawPath: e.rawPath))
        let canonical = SigV4.canonicalRequest(
            method: e.method, canonicalURI: uri, canonicalQuery: SigV4.canonicalQuery(e.query), headers: e.headers,
            signedHeaders: e.signedHeaders, payloadHash: e.payloadHash)
        #expect(canonical == e.canonicalRequest)
        #expect(SigV4.sha256Hex(Array(canonical.utf8)) == e.canonicalRequestHash)
        let sts = SigV4.stringToSign(timestamp: AWSExample.timestamp, scope: AWSExample.scope, canonicalRequest: canonical)
        #expect(sts == "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n" + e.canonicalRequestHash)
        #expect(SigV4.sign(sts, key: AWSExample.signingKey) == e.signature)
    }

    @Test func presignedURLExample() throws {
        let query = try #require(
            URIEncoding.parseQuery(
                "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
            ))
        let canonicalQuery = SigV4.canonicalQuery(query, excluding: ["X-Amz-Signature"])
        #expect(
            canonicalQuery
                == "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        )
        let canonical = SigV4.canonicalRequest(
            method: "GET", canonicalURI: "/test.txt", canonicalQuery: canonicalQuery, headers: [("Host", AWSExample.host)],
            signedHeaders: ["host"], payloadHash: "UNSIGNED-PAYLOAD")
        #expect(
            canonical == """
                GET
                /test.txt
                X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host
                host:examplebucket.s3.amazonaws.com

                host
                UNSIGNED-PAYLOAD
                """)
        #expect(SigV4.sha256Hex(Array(canonical.utf8)) == "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04")
        let sts = SigV4.stringToSign(timestamp: AWSExample.timestamp, scope: AWSExample.scope, canonicalRequest: canonical)
        #expect(SigV4.sign(sts, key: AWSExample.signingKey) == "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    }

    @Test func streamingSeedSignature() {
        let canonical = SigV4.canonicalRequest(
            method: "PUT", canonicalURI: "/examplebucket/chunkObject.txt", canonicalQuery: "",
            headers: AWSExample.streamingHeaders,
            signedHeaders: [
                "content-encoding", "content-length", "host", "x-amz-content-sha256", "x-amz-date", "x-amz-decoded-content-length",
                "x-amz-storage-class",
            ],
            payloadHash: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        #expect(
            canonical == """
                PUT
                /examplebucket/chunkObject.txt

                content-encoding:aws-chunked
                content-length:66824
                host:s3.amazonaws.com
                x-amz-content-sha256:STREAMING-AWS4-HMAC-SHA256-PAYLOAD
                x-amz-date:20130524T000000Z
                x-amz-decoded-content-length:66560
                x-amz-storage-class:REDUCED_REDUNDANCY

                content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class
                STREAMING-AWS4-HMAC-SHA256-PAYLOAD
                """)
        #expect(SigV4.sha256Hex(Array(canonical.utf8)) == "cee3fed04b70f867d036f722359b0b1f2f0e5dc0efadbc082b76c4c60e316455")
        let sts = SigV4.stringToSign(timestamp: AWSExample.timestamp, scope: AWSExample.scope, canonicalRequest: canonical)
        #expect(SigV4.sign(sts, key: AWSExample.signingKey) == AWSExample.seedSignature)
    }

    @Test func streamingChunkSignatureChain() {
        let chunks: [[UInt8]] = [
            [UInt8](repeating: UInt8(ascii: "a"), count: 65536), [UInt8](repeating: UInt8(ascii: "a"), count: 1024), [],
        ]
        let chunkHashes = [
            "bf718b6f653bebc184e1479f1935b8da974d701b893afcf49e701f3e2f9f9c5a",
            "2edc986847e209b4016e141a6dc8716d3207350f416969382d431539bf292e4a",
            AWSExample.emptyHash,
        ]
        var previous = AWSExample.seedSignature
        for (i, chunk) in chunks.enumerated() {
            #expect(SigV4.sha256Hex(chunk) == chunkHashes[i])
            let sts = SigV4.chunkStringToSign(
                timestamp: AWSExample.timestamp, scope: AWSExample.scope, previousSignature: previous, chunkHash: chunkHashes[i])
            #expect(
                sts == "AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n\(previous)\n"
                    + AWSExample.emptyHash + "\n" + chunkHashes[i])
            let signature = SigV4.sign(sts, key: AWSExample.signingKey)
            #expect(signature == AWSExample.chunkSignatures[i])
            previous = signature
        }
    }

    @Test func trailerStringToSignLayout() {
        #expect(
            SigV4.trailerStringToSign(timestamp: "T", scope: "S", previousSignature: "P", trailerHash: "H")
                == "AWS4-HMAC-SHA256-TRAILER\nT\nS\nP\nH")
    }

    @Test(arguments: [
        ("", "/"),
        ("/", "/"),
        ("/test.txt", "/test.txt"),
        ("/test$file.text", "/test%24file.text"),
        ("/test%24file.text", "/test%24file.text"),
        ("/a b", "/a%20b"),
        ("/a%20b", "/a%20b"),
        ("/a+b", "/a%2Bb"),
        ("/caf%C3%A9", "/caf%C3%A9"),
        ("/a/./b/../c", "/a/./b/../c"),
        ("/a//b/", "/a//b/"),
        ("/~user/_x-y.z", "/~user/_x-y.z"),
    ])
    func canonicalURI(_ raw: String, _ expected: String) {
        #expect(SigV4.canonicalURI(rawPath: raw) == expected)
    }

    @Test func canonicalURIRejectsMalformedEscapes() {
        #expect(SigV4.canonicalURI(rawPath: "/a%zz") == nil)
        #expect(SigV4.canonicalURI(rawPath: "/a%2") == nil)
        #expect(SigV4.canonicalURI(rawPath: "/%FF") == nil)
    }

    @Test func canonicalQuerySortsAndEncodes() {
        #expect(SigV4.canonicalQuery([]) == "")
        #expect(SigV4.canonicalQuery([("prefix", "J"), ("max-keys", "2")]) == "max-keys=2&prefix=J")
        #expect(SigV4.canonicalQuery([("a", "2"), ("b", ""), ("a", "1")]) == "a=1&a=2&b=")
        #expect(SigV4.canonicalQuery([("k", "a b/c~d+e=f&g")]) == "k=a%20b%2Fc~d%2Be%3Df%26g")
        #expect(SigV4.canonicalQuery([("Z", "1"), ("a", "1")]) == "Z=1&a=1")
        #expect(
            SigV4.canonicalQuery([("X-Amz-Signature", "abc"), ("X-Amz-Date", "d")], excluding: ["X-Amz-Signature"]) == "X-Amz-Date=d")
    }

    @Test(arguments: [
        ("value", "value"),
        ("  padded  ", "padded"),
        ("a   b\t\tc", "a b c"),
        ("\t a \t b \t", "a b"),
        ("", ""),
    ])
    func canonicalHeaderValue(_ input: String, _ expected: String) {
        #expect(SigV4.canonicalHeaderValue(input) == expected)
    }

    @Test func canonicalRequestJoinsRepeatedHeadersAndLowercasesNames() {
        let text = SigV4.canonicalRequest(
            method: "GET", canonicalURI: "/", canonicalQuery: "",
            headers: [("Host", "h"), ("X-Amz-Meta-A", " one "), ("x-amz-meta-a", "two  three")],
            signedHeaders: ["host", "x-amz-meta-a"], payloadHash: "UNSIGNED-PAYLOAD")
        #expect(text == "GET\n/\n\nhost:h\nx-amz-meta-a:one,two three\n\nhost;x-amz-meta-a\nUNSIGNED-PAYLOAD")
    }

    @Test func hashesAndComparison() {
        #expect(SigV4.sha256Hex([]) == SigV4.emptySHA256)
        #expect(SigV4.sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SigV4.constantTimeEquals("abc", "abc"))
        #expect(!SigV4.constantTimeEquals("abc", "abd"))
        #expect(!SigV4.constantTimeEquals("abc", "abcd"))
        #expect(SigV4.constantTimeEquals("", ""))
    }

    @Test(arguments: [
        (" a ", "a"),
        ("\ta b\t", "a b"),
        ("\na\n", "a"),
        ("\r a \n", "a"),
        ("   ", ""),
        ("", ""),
        ("x", "x"),
        // "\r\n" is one Character in Swift: it must be trimmed like "\r" and "\n" are.
        ("\r\na b\r\n", "a b"),
        ("value\r\n", "value"),
    ])
    func trimmingASCIIWhitespace(_ input: String, _ expected: String) {
        #expect(input.trimmingASCIIWhitespace() == expected)
    }
}
