import AtRestCrypto
import NIOCore
import Storage

/// Where an ingested body goes: a new blob, sealed segment by segment when `keys` are given. Used by one thread at a
/// time (the body pipeline's storing stage, or the request's task for small bodies), in order.
final class BlobSink: @unchecked Sendable {
    private let writer: BlobWriter
    private var sealer: SegmentSealer?

    init(writer: BlobWriter, keys: SegmentKeys?) {
        self.writer = writer
        sealer = keys.map { SegmentSealer(keys: $0) }
    }

    /// Appends plaintext.
    @Sendable func write(_ buffer: ByteBuffer) throws {
        if sealer != nil {
            try buffer.withUnsafeReadableBytes { bytes in try sealer!.append(bytes, into: { try writer.write($0) }) }
        } else {
            try writer.write(buffer)
        }
    }

    /// Seals the last segment and makes the blob durable.
    func finish() async throws -> PendingBlob {
        try sealer?.finish(into: { try writer.write($0) })
        return try await writer.finish()
    }

    /// Drops what was written.
    func discard() { writer.discard() }
}
