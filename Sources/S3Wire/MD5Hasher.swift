import CChecksum

/// An incremental MD5 of a request body (ETags, `Content-MD5`), through the tuned C implementation in
/// `CChecksum/MD5.c`: a large PUT's speed is bound by this one hash. For short fixed inputs (SSE-C key digests,
/// multipart ETags) `Insecure.MD5` from swift-crypto serves as well.
public struct MD5Hasher: Sendable {
    private var context = s3emu_md5_ctx()

    public init() { s3emu_md5_init(&context) }

    public mutating func update(bufferPointer bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        s3emu_md5_update(&context, base, bytes.count)
    }

    public mutating func update<B: Sequence>(data bytes: B) where B.Element == UInt8 {
        let a = Array(bytes)
        a.withUnsafeBytes { update(bufferPointer: $0) }
    }

    /// The 16-byte digest. The hasher itself is left as it was, so more bytes may follow.
    public func finalize() -> [UInt8] {
        var done = context
        var digest = [UInt8](repeating: 0, count: 16)
        digest.withUnsafeMutableBufferPointer { s3emu_md5_final(&done, $0.baseAddress!) }
        return digest
    }
}
