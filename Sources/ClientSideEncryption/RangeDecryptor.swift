import KeyCore

/// Which stored bytes a plaintext range of a GCM body needs, and where the CTR keystream starts.
///
/// ```
/// plaintext length P = stored length − 16 (the tag)
/// last'   = min(last, P − 1)
/// fetch   = stored bytes [16·⌊first/16⌋, last']
/// counter = nonce (V2: x-amz-iv; V3: 0x01 × 12) ‖ BE32(2 + ⌊first/16⌋)     (GCM's J0 is nonce ‖ 1; data starts at J0+1)
/// drop the first (first mod 16) decrypted bytes
/// ```
/// Bodies up to 64 GiB (2^32 blocks), like GCM itself.
public struct RangePlan: Sendable, Equatable {
    /// The stored bytes to fetch, inclusive.
    public let fetch: ClosedRange<Int64>
    /// The plaintext bytes that come out, inclusive.
    public let plaintext: ClosedRange<Int64>
    /// The plaintext length of the whole object.
    public let plaintextLength: Int64
    let counter: [UInt8]
    let skip: Int

    public init(metadata: ContentMetadata, range: ClosedRange<Int64>, storedLength: Int64) throws(ClientSideError) {
        let nonce: [UInt8]
        switch metadata.contentCipher {
        case .aesGCMCommitting: nonce = KeyCommitment.nonce
        case .aesGCM: nonce = metadata.iv
        case .aesCBC: throw .rangeNotAllowed("ranges of AES/CBC objects are not supported")
        }
        let total = storedLength - 16
        guard total >= 0 else { throw .authenticationFailed }
        guard range.lowerBound >= 0, range.lowerBound < total else {
            throw .rangeNotAllowed("the range starts at \(range.lowerBound), beyond the object's \(total) bytes of plaintext")
        }
        let last = min(range.upperBound, total - 1)
        let block = range.lowerBound / 16
        guard block + 2 <= Int64(UInt32.max) else { throw .rangeNotAllowed("the range starts beyond GCM's 64 GiB") }
        let index = UInt32(block + 2)
        counter = nonce + [UInt8(index >> 24), UInt8(truncatingIfNeeded: index >> 16), UInt8(truncatingIfNeeded: index >> 8), UInt8(truncatingIfNeeded: index)]
        fetch = block * 16...last
        plaintext = range.lowerBound...last
        plaintextLength = total
        skip = Int(range.lowerBound - block * 16)
    }
}

/// Decrypts the stored bytes a ``RangePlan`` names, in pieces, with AES-CTR. Unauthenticated by nature.
public final class RangeDecryptor {
    public let plan: RangePlan
    private let cipher: StreamCipher
    private var toSkip: Int

    init(plan: RangePlan, contentKey: SecretBytes) throws(ClientSideError) {
        self.plan = plan
        cipher = try StreamCipher(kind: .ctr, encrypt: false, key: contentKey, iv: plan.counter)
        toSkip = plan.skip
    }

    /// Decrypts the next fetched bytes.
    public func update(_ stored: [UInt8]) throws(ClientSideError) -> [UInt8] {
        var out: [UInt8] = []
        try cipher.update(stored, into: &out)
        if toSkip > 0 {
            let dropped = min(toSkip, out.count)
            out.removeFirst(dropped)
            toSkip -= dropped
        }
        return out
    }
}
