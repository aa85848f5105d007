import Foundation
import NIOCore
import Testing

@testable import S3Wire

@Suite struct AWSChunkedDecoderTests {
    static let signatureMismatch = S3Error(
        status: 403, code: "SignatureDoesNotMatch",
        message: "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
    static let incomplete = S3Error(status: 400, code: "IncompleteBody", message: "The request body terminated unexpectedly")

    /// Decodes `body` fed in pieces of `pieceSize` bytes (whole when nil).
    static func decode(_ body: [UInt8], pieceSize: Int? = nil, decoder: inout AWSChunkedDecoder) throws(S3Error) -> [UInt8] {
        var out: [UInt8] = []
        let step = pieceSize ?? max(body.count, 1)
        var i = 0
        while i < body.count {
            let end = min(i + step, body.count)
            out += bytes(try decoder.decode(buffer(Array(body[i..<end]))))
            i = end
        }
        try decoder.finish()
        return out
    }

    @Test func awsStreamingExampleDecodesWithVerifiedSignatures() throws {
        let body = AWSExample.streamingBody()
        #expect(body.count == 66824)
        var decoder = AWSChunkedDecoder(signing: AWSExample.streamingContext)
        let out = try Self.decode(body, decoder: &decoder)
        #expect(out == AWSExample.streamingPayload)
        #expect(decoder.decodedLength == 66560)
        #expect(decoder.isComplete)
        #expect(decoder.trailers.isEmpty)
    }

    @Test func awsStreamingExampleInOddPieces() throws {
        for piece in [1000, 4097, 65536, 65630] {
            var decoder = AWSChunkedDecoder(signing: AWSExample.streamingContext)
            #expect(try Self.decode(AWSExample.streamingBody(), pieceSize: piece, decoder: &decoder) == AWSExample.streamingPayload)
        }
    }

    @Test func authenticatedContextDecodesTheExampleBody() throws {
        let auth = try AWSExample.authenticator().authenticate(AWSExample.streamingHead)
        let context: ChunkSigningContext = try #require(auth.chunkSigning)
        var decoder = AWSChunkedDecoder(signing: context)
        #expect(try Self.decode(AWSExample.streamingBody(), decoder: &decoder) == AWSExample.streamingPayload)
    }

    @Test(arguments: 0..<3)
    func flippedChunkSignatureIsSignatureDoesNotMatch(_ index: Int) {
        var signatures = AWSExample.chunkSignatures
        var sig = Array(signatures[index].utf8)
        sig[10] = sig[10] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        signatures[index] = String(decoding: sig, as: UTF8.self)
        var decoder = AWSChunkedDecoder(signing: AWSExample.streamingContext)
        #expect(throws: Self.signatureMismatch) { try Self.decode(AWSExample.streamingBody(signatures: signatures), decoder: &decoder) }
    }

    @Test func wrongSeedSignatureIsSignatureDoesNotMatch() {
        var context = AWSExample.streamingContext
        context.seedSignature = String(repeating: "0", count: 64)
        var decoder = AWSChunkedDecoder(signing: context)
        #expect(throws: Self.signatureMismatch) { try Self.decode(AWSExample.streamingBody(), decoder: &decoder) }
    }

    @Test func tamperedDataIsSignatureDoesNotMatch() {
        var body = AWSExample.streamingBody()
        body[200] = UInt8(ascii: "b")
        var decoder = AWSChunkedDecoder(signing: AWSExample.streamingContext)
        #expect(throws: Self.signatureMismatch) { try Self.decode(body, decoder: &decoder) }
    }

    @Test func missingChunkSignatureWhenSignedIsSignatureDoesNotMatch() {
        var decoder = AWSChunkedDecoder(signing: AWSExample.streamingContext)
        #expect(throws: Self.signatureMismatch) { try Self.decode(Array("5\r\nhello\r\n0\r\n\r\n".utf8), decoder: &decoder) }
    }

    static let unsignedTrailerBody = Array("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n".utf8)

    @Test func unsignedPayloadTrailer() throws {
        var decoder = AWSChunkedDecoder(signing: nil)
        let out = try Self.decode(Self.unsignedTrailerBody, decoder: &decoder)
        #expect(out == Array("hello".utf8))
        #expect(decoder.decodedLength == 5)
        #expect(decoder.trailers.map(\.0) == ["x-amz-checksum-crc32"])
        #expect(decoder.trailers.map(\.1) == ["NhCmhg=="])
        var crc = ChecksumHasher(.crc32)
        crc.update(out)
        #expect(crc.finalize() == "NhCmhg==")
    }

    @Test func everyByteBoundaryGivesTheSameResult() throws {
        var whole = AWSChunkedDecoder(signing: nil)
        let expected = try Self.decode(Self.unsignedTrailerBody, decoder: &whole)
        var bytewise = AWSChunkedDecoder(signing: nil)
        #expect(try Self.decode(Self.unsignedTrailerBody, pieceSize: 1, decoder: &bytewise) == expected)
        #expect(bytewise.trailers.map(\.0) == whole.trailers.map(\.0))
        #expect(bytewise.trailers.map(\.1) == whole.trailers.map(\.1))
        // Every split into two pieces.
        for cut in 0...Self.unsignedTrailerBody.count {
            var d = AWSChunkedDecoder(signing: nil)
            var out = bytes(try d.decode(buffer(Array(Self.unsignedTrailerBody[..<cut]))))
            out += bytes(try d.decode(buffer(Array(Self.unsignedTrailerBody[cut...]))))
            try d.finish()
            #expect(out == expected, "cut at \(cut)")
            #expect(d.trailers.map(\.1) == ["NhCmhg=="], "cut at \(cut)")
        }
    }

    @Test func signedExampleFedOneByteAtATime() throws {
        var decoder = AWSChunkedDecoder(signing: AWSExample.streamingContext)
        let out = try Self.decode(AWSExample.streamingBody(), pieceSize: 1, decoder: &decoder)
        #expect(out == AWSExample.streamingPayload)
    }

    @Test func truncatedBodyFinishThrowsIncompleteBody() throws {
        let body = Self.unsignedTrailerBody
        for cut in 0..<body.count {
            var decoder = AWSChunkedDecoder(signing: nil)
            _ = try decoder.decode(buffer(Array(body[..<cut])))
            #expect(!decoder.isComplete, "cut at \(cut)")
            #expect(throws: Self.incomplete, "cut at \(cut)") { try decoder.finish() }
        }
        var signed = AWSChunkedDecoder(signing: AWSExample.streamingContext)
        _ = try signed.decode(buffer(Array(AWSExample.streamingBody().dropLast(100))))
        #expect(throws: Self.incomplete) { try signed.finish() }
    }

    @Test(arguments: [
        "zz\r\nhello\r\n0\r\n\r\n",  // size not hex
        "5\r\nhelloX\r\n0\r\n\r\n",  // data longer than the size
        "5\r\nhello\r\n0\r\nno-colon\r\n\r\n",  // malformed trailer
        "0\r\n\r\ngarbage",  // bytes after the end
        "-1\r\n",  // negative size
    ])
    func malformedBodiesAreIncompleteBody(_ text: String) {
        var decoder = AWSChunkedDecoder(signing: nil)
        #expect(throws: Self.incomplete) { try Self.decode(Array(text.utf8), decoder: &decoder) }
    }

    @Test func overlongLineIsRejected() {
        var decoder = AWSChunkedDecoder(signing: nil)
        let text = "5;" + String(repeating: "x", count: 5000) + "\r\nhello\r\n0\r\n\r\n"
        #expect(throws: Self.incomplete) { try Self.decode(Array(text.utf8), decoder: &decoder) }
    }

    @Test func trailingLineEndsAfterTheEndAreTolerated() throws {
        var decoder = AWSChunkedDecoder(signing: nil)
        #expect(try Self.decode(Array("3\r\nabc\r\n0\r\n\r\n\r\n".utf8), decoder: &decoder) == Array("abc".utf8))
    }

    @Test func chunkExtensionsWithoutSignatureAreIgnoredWhenUnsigned() throws {
        var decoder = AWSChunkedDecoder(signing: nil)
        #expect(try Self.decode(Array("3;foo=bar\r\nabc\r\n0\r\n\r\n".utf8), decoder: &decoder) == Array("abc".utf8))
    }

    /// A `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER` body signed with the example key, chunk and trailer signatures
    /// computed with `SigV4`.
    static func signedTrailerBody(trailerSignature override: String? = nil) -> [UInt8] {
        let ctx = AWSExample.streamingContext
        let data = Array("hello world".utf8)
        let sig1 = SigV4.sign(
            SigV4.chunkStringToSign(timestamp: ctx.timestamp, scope: ctx.scope, previousSignature: ctx.seedSignature, chunkHash: SigV4.sha256Hex(data)),
            key: ctx.signingKey)
        let sig0 = SigV4.sign(
            SigV4.chunkStringToSign(timestamp: ctx.timestamp, scope: ctx.scope, previousSignature: sig1, chunkHash: SigV4.emptySHA256),
            key: ctx.signingKey)
        let trailer = "x-amz-checksum-crc32:DUoRhQ==\n"
        let trailerSig = SigV4.sign(
            SigV4.trailerStringToSign(timestamp: ctx.timestamp, scope: ctx.scope, previousSignature: sig0, trailerHash: SigV4.sha256Hex(Array(trailer.utf8))),
            key: ctx.signingKey)
        let text =
            "b;chunk-signature=\(sig1)\r\nhello world\r\n0;chunk-signature=\(sig0)\r\nx-amz-checksum-crc32:DUoRhQ==\r\nx-amz-trailer-signature:\(override ?? trailerSig)\r\n\r\n"
        return Array(text.utf8)
    }

    @Test func signedTrailerVerifies() throws {
        var decoder = AWSChunkedDecoder(signing: AWSExample.streamingContext, signedTrailer: true)
        #expect(try Self.decode(Self.signedTrailerBody(), decoder: &decoder) == Array("hello world".utf8))
        #expect(decoder.trailers.map(\.0) == ["x-amz-checksum-crc32"])
        #expect(decoder.trailers.map(\.1) == ["DUoRhQ=="])
        var bytewise = AWSChunkedDecoder(signing: AWSExample.streamingContext, signedTrailer: true)
        #expect(try Self.decode(Self.signedTrailerBody(), pieceSize: 1, decoder: &bytewise) == Array("hello world".utf8))
    }

    @Test func wrongTrailerSignatureIsSignatureDoesNotMatch() {
        var decoder = AWSChunkedDecoder(signing: AWSExample.streamingContext, signedTrailer: true)
        #expect(throws: Self.signatureMismatch) {
            try Self.decode(Self.signedTrailerBody(trailerSignature: String(repeating: "a", count: 64)), decoder: &decoder)
        }
    }

    @Test func missingTrailerSignatureIsSignatureDoesNotMatch() {
        let text = String(decoding: Self.signedTrailerBody(), as: UTF8.self)
        let cut = text.range(of: "x-amz-trailer-signature:")!
        let stripped = String(text[..<cut.lowerBound]) + "\r\n"
        var decoder = AWSChunkedDecoder(signing: AWSExample.streamingContext, signedTrailer: true)
        #expect(throws: Self.signatureMismatch) { try Self.decode(Array(stripped.utf8), decoder: &decoder) }
    }
}
