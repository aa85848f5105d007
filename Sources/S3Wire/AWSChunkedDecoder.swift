import Crypto
import NIOCore

/// Incremental decoder of `Content-Encoding: aws-chunked` bodies, verifying chunk and trailer signatures when the
/// payload is `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`.
///
/// ```
/// body    = *chunk last-chunk *trailer CRLF
/// chunk   = hex-size [";chunk-signature=" sig] CRLF data CRLF
/// last    = "0" [";chunk-signature=" sig] CRLF
/// trailer = name ":" value CRLF            ; "x-amz-trailer-signature:" sig closes signed trailers
/// ```
/// Decoded data is handed out as slices of the input (no copy).
public struct AWSChunkedDecoder: Sendable {
    enum State: Sendable {
        case header
        case data(remaining: Int)
        case dataEnd
        case trailers
        case done
    }

    private var state = State.header
    private var line: [UInt8] = []
    private let signing: ChunkSigningContext?
    private let signedTrailer: Bool
    private var previousSignature: String
    private var chunkSignature: String?
    private var chunkHash = SHA256()
    private var trailerText = ""
    private var signedTrailerVerified = false
    /// Trailing headers received (lower-cased names), such as `x-amz-checksum-crc32`.
    public private(set) var trailers: [(String, String)] = []
    /// Decoded bytes so far.
    public private(set) var decodedLength: Int64 = 0

    static let maxLine = 4096

    /// - Parameters:
    ///   - signing: present when chunk signatures must be verified.
    ///   - signedTrailer: whether the trailer carries `x-amz-trailer-signature`.
    public init(signing: ChunkSigningContext?, signedTrailer: Bool = false) {
        self.signing = signing
        self.signedTrailer = signedTrailer
        previousSignature = signing?.seedSignature ?? ""
    }

    /// Whether the terminating chunk and trailers have been read.
    public var isComplete: Bool {
        if case .done = state { return true }
        return false
    }

    static let malformed = S3Error(status: 400, code: "IncompleteBody", message: "The request body terminated unexpectedly")

    static func signatureMismatch() -> S3Error { S3Error.signatureDoesNotMatch }

    /// Consumes `input` whole and returns the decoded data it held.
    public mutating func decode(_ input: ByteBuffer) throws(S3Error) -> [ByteBuffer] {
        var buf = input
        var out: [ByteBuffer] = []
        while buf.readableBytes > 0 {
            switch state {
            case .header, .trailers:
                guard let text = try readLine(&buf) else { continue }
                if case .header = state { try handleHeader(text) } else { try handleTrailer(text) }
            case .data(let remaining):
                let n = min(remaining, buf.readableBytes)
                let slice = buf.readSlice(length: n)!
                if signing != nil { slice.withUnsafeReadableBytes { chunkHash.update(bufferPointer: $0) } }
                decodedLength += Int64(n)
                out.append(slice)
                state = remaining - n == 0 ? .dataEnd : .data(remaining: remaining - n)
            case .dataEnd:
                guard let text = try readLine(&buf) else { continue }
                guard text.isEmpty else { throw Self.malformed }
                try verifyChunk()
                state = .header
            case .done:
                // Bytes after the end: tolerate only line ends.
                let rest = buf.readBytes(length: buf.readableBytes) ?? []
                guard rest.allSatisfy({ $0 == 0x0D || $0 == 0x0A }) else { throw Self.malformed }
            }
        }
        return out
    }

    /// Called at the end of the body: throws when it stopped early.
    public func finish() throws(S3Error) {
        guard isComplete else { throw Self.malformed }
    }

    private mutating func readLine(_ buf: inout ByteBuffer) throws(S3Error) -> String? {
        while let byte = buf.readInteger(as: UInt8.self) {
            if byte == 0x0A {
                if line.last == 0x0D { line.removeLast() }
                let text = String(decoding: line, as: UTF8.self)
                line.removeAll(keepingCapacity: true)
                return text
            }
            line.append(byte)
            if line.count > Self.maxLine { throw Self.malformed }
        }
        return nil
    }

    private mutating func handleHeader(_ text: String) throws(S3Error) {
        let parts = text.split(separator: ";", maxSplits: 1)
        guard let sizeText = parts.first, let size = Int(sizeText.trimmingASCIIWhitespace(), radix: 16), size >= 0 else {
            throw Self.malformed
        }
        chunkSignature = nil
        if parts.count == 2 {
            let ext = parts[1].trimmingASCIIWhitespace()
            if ext.hasPrefix("chunk-signature=") { chunkSignature = String(ext.dropFirst("chunk-signature=".count)) }
        }
        if signing != nil, chunkSignature == nil { throw Self.signatureMismatch() }
        chunkHash = SHA256()
        if size == 0 {
            try verifyChunk()
            state = .trailers
        } else {
            state = .data(remaining: size)
        }
    }

    private mutating func verifyChunk() throws(S3Error) {
        guard let signing else { return }
        let hash = chunkHash.finalize().hexString
        let sts = SigV4.chunkStringToSign(
            timestamp: signing.timestamp, scope: signing.scope, previousSignature: previousSignature, chunkHash: hash)
        let expected = SigV4.sign(sts, key: signing.signingKey)
        guard let provided = chunkSignature, SigV4.constantTimeEquals(expected, provided) else { throw Self.signatureMismatch() }
        previousSignature = expected
    }

    private mutating func handleTrailer(_ text: String) throws(S3Error) {
        if text.isEmpty {
            if signing != nil && signedTrailer && !trailers.isEmpty && !signedTrailerVerified { throw Self.signatureMismatch() }
            state = .done
            return
        }
        guard let colon = text.firstIndex(of: ":") else { throw Self.malformed }
        let name = text[..<colon].lowercased()
        let value = String(text[text.index(after: colon)...].trimmingASCIIWhitespace())
        if name == "x-amz-trailer-signature" {
            guard let signing else { throw Self.malformed }
            let sts = SigV4.trailerStringToSign(
                timestamp: signing.timestamp, scope: signing.scope, previousSignature: previousSignature,
                trailerHash: SigV4.sha256Hex(Array(trailerText.utf8)))
            guard SigV4.constantTimeEquals(SigV4.sign(sts, key: signing.signingKey), value) else { throw Self.signatureMismatch() }
            signedTrailerVerified = true
            return
        }
        guard trailers.count < 16 else { throw Self.malformed }
        trailers.append((name, value))
        trailerText += name + ":" + value + "\n"
    }
}
