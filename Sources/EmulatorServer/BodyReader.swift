import NIOConcurrencyHelpers
import HummingbirdCore
import NIOCore
import S3Wire

/// What was learned while reading a request body.
struct BodyDigest: Sendable {
    var size: Int64
    /// The MD5 of the body; nil when the caller did not need it and no `Content-MD5` asked for it.
    var md5: [UInt8]?
    /// The checksum the client asked for (CRC64NVME when it named none), computed over the decoded bytes.
    var checksum: (algorithm: ChecksumAlgorithm, computed: String)?
    /// Whether the client named a checksum algorithm (S3 then echoes the checksum in its response).
    var checksumRequested: Bool
    /// Whether the client sent a checksum value, in a header or a trailer.
    var checksumValueSent: Bool
}

/// Reads a request body once: decodes `aws-chunked`, verifies chunk signatures, hashes (MD5 for the ETag,
/// SHA-256 when the signature covers the payload, the requested flexible checksum) and hands the bytes on.
/// After the last byte it checks lengths, `x-amz-content-sha256`, `Content-MD5` and the checksum, so a caller
/// commits nothing unless all of them hold.
struct BodyReader {
    let head: RequestHead
    let auth: Authentication
    /// The flexible checksum computed (the one the client named, else CRC64NVME), and the value sent in a header
    /// (nil when it comes in a trailer or not at all).
    let checksumAlgorithm: ChecksumAlgorithm?
    let checksumHeaderValue: String?
    /// Whether the client named a checksum algorithm, by value header, trailer or SDK header.
    let checksumRequested: Bool
    /// Whether a checksum value comes with the body, in a header or a trailer.
    var checksumValueSent: Bool { checksumHeaderValue != nil || head.header("x-amz-trailer") != nil }
    let contentMD5: [UInt8]?

    init(head: RequestHead, auth: Authentication) throws(S3Error) {
        self.head = head
        self.auth = auth
        if let md5Text = head.header("content-md5") {
            guard let md5 = Base64.decode(md5Text), md5.count == 16 else { throw S3Error.invalidDigest }
            contentMD5 = md5
        } else {
            contentMD5 = nil
        }
        var algorithm: ChecksumAlgorithm?
        var value: String?
        let notValues: Set<String> = ["x-amz-checksum-type", "x-amz-checksum-mode", "x-amz-checksum-algorithm"]
        for (name, v) in head.headers where name.hasPrefix("x-amz-checksum-") && !notValues.contains(name) {
            guard let a = ChecksumAlgorithm(headerName: name) else {
                throw S3Error.invalidRequest("The algorithm type you specified in \(name) header is invalid.")
            }
            guard algorithm == nil || algorithm == a else {
                throw S3Error.invalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
            }
            guard a.isWellFormed(v) else { throw S3Error.invalidRequest("Value for \(name) header is invalid.") }
            algorithm = a
            value = v
        }
        if let trailer = head.header("x-amz-trailer") {
            let name = trailer.trimmingASCIIWhitespace().lowercased()
            guard let a = ChecksumAlgorithm(headerName: name) else {
                throw S3Error.invalidRequest("The value specified in the x-amz-trailer header is not supported")
            }
            if algorithm == nil { algorithm = a }
        }
        if algorithm == nil, let sdk = head.header("x-amz-sdk-checksum-algorithm") ?? head.header("x-amz-checksum-algorithm") {
            guard let a = ChecksumAlgorithm(name: sdk) else {
                throw S3Error.invalidRequest("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
            }
            algorithm = a
        }
        // S3 keeps a CRC64NVME of every object that arrives without a checksum.
        checksumRequested = algorithm != nil
        checksumAlgorithm = algorithm ?? .crc64nvme
        checksumHeaderValue = value
    }

    /// Reads `body` to the end, passing decoded bytes to `sink`. Throws `S3Error` on any mismatch.
    /// `received` runs once every byte has arrived, `sink` has seen them all and the framing checks passed, while
    /// large bodies are still being hashed: callers make the bytes durable there, overlapping the fsync with the
    /// hashing. `needsMD5: false` skips the MD5 (callers whose ETag is not the MD5) unless `Content-MD5` was sent.
    ///
    /// Bodies of at least `BodyPipeline.threshold` bytes (or of unknown length) go through a `BodyPipeline`: MD5 and
    /// SHA-256 on one thread, the checksum and `sink` on another, the socket on the event loop; `sink` then runs
    /// off the caller's task, one buffer at a time and in order, and has finished when `read` returns or throws.
    func read(
        _ body: RequestBody, maxSize: Int64 = 5 * 1024 * 1024 * 1024, needsMD5: Bool = true,
        sink: @escaping @Sendable (ByteBuffer) throws -> Void, received: () async throws -> Void = {}
    ) async throws -> BodyDigest {
        let chunked = auth.payload.isStreaming || (head.header("content-encoding")?.lowercased().contains("aws-chunked") ?? false)
        var decoder: AWSChunkedDecoder?
        if chunked {
            var signedTrailer = false
            if case .streamingSigned(let t) = auth.payload { signedTrailer = t }
            decoder = AWSChunkedDecoder(signing: auth.chunkSigning, signedTrailer: signedTrailer)
        }
        let declared: Int64?
        if chunked {
            declared = head.header("x-amz-decoded-content-length").flatMap { Int64($0) }
            if declared == nil && auth.payload.isStreaming { throw S3Error.missingContentLength }
        } else {
            declared = head.header("content-length").flatMap { Int64($0) }
        }
        if let declared, declared > maxSize { throw S3Error.entityTooLarge(size: declared, maximum: maxSize) }
        var sha256 = false
        if case .sha256 = auth.payload { sha256 = true }
        let digests = PayloadDigests(md5: needsMD5 || contentMD5 != nil, sha256: sha256)
        return try await readLoop(
            body, decoder: &decoder, declared: declared, maxSize: maxSize, digests: digests, sink: sink, received: received)
    }

    private func readLoop(
        _ body: RequestBody, decoder: inout AWSChunkedDecoder?, declared: Int64?, maxSize: Int64, digests: PayloadDigests,
        sink: @escaping @Sendable (ByteBuffer) throws -> Void, received: () async throws -> Void
    ) async throws -> BodyDigest {
        var digests = digests
        var checksum = checksumAlgorithm.map(ChecksumHasher.init)
        let pipeline = (declared ?? Int64.max) >= BodyPipeline.threshold
            ? BodyPipeline(digests: digests, checksum: checksum, sink: sink) : nil
        var size: Int64 = 0
        func take(_ buf: ByteBuffer) async throws {
            size += Int64(buf.readableBytes)
            if size > maxSize { throw S3Error.entityTooLarge(size: size, maximum: maxSize) }
            if let pipeline {
                try await pipeline.add(buf)
            } else {
                buf.withUnsafeReadableBytes { p in
                    digests.update(p)
                    checksum?.update(p)
                }
                try sink(buf)
            }
        }
        do {
            for try await buffer in body {
                if decoder != nil {
                    for piece in try decoder!.decode(buffer) { try await take(piece) }
                } else {
                    try await take(buffer)
                }
            }
            if let decoder { try decoder.finish() }
            if let declared, declared != size { throw S3Error.incompleteBody }
            if let pipeline { checksum = try await pipeline.finishStoring() }
        } catch {
            // Nothing may still be writing when the caller cleans up.
            await pipeline?.cancel()
            throw error
        }
        try await received()
        if let pipeline { digests = await pipeline.finishHashing() }
        if case .sha256(let expected) = auth.payload, let sha = digests.sha256 {
            let got = sha.finalize().hexString
            guard got == expected else { throw S3Error.contentSHA256Mismatch(client: expected, computed: got) }
        }
        let md5Value = digests.md5?.finalize()
        if let contentMD5, contentMD5 != md5Value { throw S3Error.badDigest }
        var result = BodyDigest(
            size: size, md5: md5Value, checksum: nil, checksumRequested: checksumRequested, checksumValueSent: checksumValueSent)
        if let checksum {
            let computed = checksum.finalize()
            let sent = checksumHeaderValue ?? decoder?.trailers.first { $0.0 == checksum.algorithm.headerName }?.1
            if let sent {
                guard checksum.algorithm.isWellFormed(sent) else {
                    throw S3Error.invalidRequest("Value for \(checksum.algorithm.headerName) trailing header is invalid.")
                }
                guard sent == computed else { throw S3Error.badChecksum(checksum.algorithm.rawValue) }
            }
            result.checksum = (checksum.algorithm, computed)
        }
        return result
    }

    /// Reads a small body (XML, forms) into memory, with every check `read` makes.
    func collect(_ body: RequestBody, limit: Int = 1024 * 1024) async throws -> [UInt8] {
        let bytes = NIOLockedValueBox<[UInt8]>([])
        _ = try await read(body, maxSize: Int64(limit)) { buf in bytes.withLockedValue { $0.append(contentsOf: buf.readableBytesView) } }
        return bytes.withLockedValue { $0 }
    }
}

