import KeyCore

/// The keys of one sealed object or part: a segment key per layer derived from the data key(s), the salt and the
/// context (see `AtRestFormat`), each held by an OpenSSL context that is set up once and reused for every segment.
///
/// Build one per object or part for writing (`SegmentSealer`) or reading (`SegmentOpener`). Sharing across threads
/// is safe; the cipher contexts serialise their calls.
public final class SegmentKeys: Sendable {
    /// 1, or 2 for DSSE.
    public let layers: Int
    /// Plaintext bytes per segment.
    public let segmentSize: Int
    /// The per-object salt of the key derivation (32 bytes; record it in the envelope).
    public let salt: [UInt8]
    /// The identity the segments are bound to.
    public let context: SegmentContext
    /// `context.digest`, computed once.
    public let contextDigest: [UInt8]
    /// One cipher per layer, inner first.
    let ciphers: [AES256GCMContext]
    /// One associated-data prefix per layer, inner first.
    let aadPrefixes: [[UInt8]]

    /// Derives the segment keys. `dataKey` is the only (or, with `outerDataKey`, the inner) data key; passing
    /// `outerDataKey` makes two layers (DSSE). Keys and `salt` are 32 bytes; `segmentSize` is 1…16 MiB.
    public init(dataKey: SecretBytes, outerDataKey: SecretBytes? = nil, salt: [UInt8], context: SegmentContext,
                segmentSize: Int = AtRestFormat.defaultSegmentSize) throws(AtRestCryptoError)
    {
        let dataKeys = [dataKey] + (outerDataKey.map { [$0] } ?? [])
        for key in dataKeys where key.count != AtRestFormat.keySize { throw .invalidKeyLength(key.count) }
        guard salt.count == AtRestFormat.keySize else { throw .invalidParameter("salt of \(salt.count) bytes") }
        guard (1...AtRestFormat.maximumSegmentSize).contains(segmentSize) else {
            throw .invalidParameter("segment size \(segmentSize)")
        }
        let digest = context.digest
        var ciphers: [AES256GCMContext] = []
        var prefixes: [[UInt8]] = []
        for (i, key) in dataKeys.enumerated() {
            let layer = i + 1
            ciphers.append(try AtRestFormat.segmentCipher(dataKey: key, salt: salt, layer: layer, layers: dataKeys.count,
                                                          contextDigest: digest))
            prefixes.append(AtRestFormat.aadPrefix(layer: layer, layers: dataKeys.count, segmentSize: segmentSize,
                                                   contextDigest: digest))
        }
        self.layers = dataKeys.count
        self.segmentSize = segmentSize
        self.salt = salt
        self.context = context
        self.contextDigest = digest
        self.ciphers = ciphers
        self.aadPrefixes = prefixes
    }

    private init(copying other: SegmentKeys) throws(AtRestCryptoError) {
        var ciphers: [AES256GCMContext] = []
        for cipher in other.ciphers { ciphers.append(try cipher.duplicate()) }
        layers = other.layers
        segmentSize = other.segmentSize
        salt = other.salt
        context = other.context
        contextDigest = other.contextDigest
        self.ciphers = ciphers
        aadPrefixes = other.aadPrefixes
    }

    /// The same keys with cipher contexts of their own, for a second thread that opens or seals segments of the same
    /// object at the same time (each context serialises its calls).
    public func independentCopy() throws(AtRestCryptoError) -> SegmentKeys { try SegmentKeys(copying: self) }

    /// The keys an envelope describes, given its data keys unsealed by the key provider (inner first) and the
    /// context of the object or part. Checks the format version, algorithm, layer count and mode.
    public convenience init(envelope: EncryptionEnvelope, dataKeys: [SecretBytes], context: SegmentContext)
        throws(AtRestCryptoError)
    {
        guard envelope.formatVersion == AtRestFormat.version else {
            throw .unsupportedVersion(envelope.formatVersion)
        }
        guard envelope.algorithm == AtRestFormat.algorithm else { throw .unsupportedAlgorithm(envelope.algorithm) }
        guard envelope.layers == dataKeys.count, (1...AtRestFormat.maximumLayers).contains(dataKeys.count) else {
            throw .invalidParameter("\(dataKeys.count) data keys for \(envelope.layers) layers")
        }
        guard envelope.mode == context.mode else { throw .invalidParameter("context mode differs from envelope's") }
        try self.init(dataKey: dataKeys[0], outerDataKey: dataKeys.count > 1 ? dataKeys[1] : nil, salt: envelope.salt,
                      context: context, segmentSize: envelope.segmentSize)
    }

    /// Bytes added to each segment: 16 per layer.
    public var overhead: Int { AtRestFormat.tagSize * layers }

    /// Stored bytes of a full segment.
    public var storedSegmentSize: Int { segmentSize + overhead }

    /// The layout of an object of `plaintextSize` bytes sealed with these keys.
    public func layout(plaintextSize: Int64) -> SegmentLayout {
        SegmentLayout(plaintextSize: plaintextSize, segmentSize: segmentSize, layers: layers)
    }

    /// Seals segment `index`: reads `source` (at most `segmentSize` bytes) and writes `source.count + overhead`
    /// bytes to `destination`, whose start may be `source`'s.
    func seal(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer, index: Int,
              isFinal: Bool) throws(AtRestCryptoError)
    {
        let n = source.count
        precondition(n <= segmentSize && destination.count >= n + overhead && index >= 0)
        let failed: AtRestCryptoError? = withNonceAndAAD(index: index, isFinal: isFinal) { nonce, aad in
            var input = source
            for layer in 0..<layers {
                let length = n + AtRestFormat.tagSize * layer
                let output = UnsafeMutableRawBufferPointer(rebasing: destination[0..<length])
                let tag = UnsafeMutableRawBufferPointer(rebasing: destination[length..<(length + AtRestFormat.tagSize)])
                fillPrefix(aad, layer: layer)
                do throws(AtRestCryptoError) {
                    try ciphers[layer].seal(nonce: nonce, aad: UnsafeRawBufferPointer(aad), input: input,
                                            output: output, tag: tag)
                } catch {
                    return error
                }
                input = UnsafeRawBufferPointer(rebasing: destination[0..<(length + AtRestFormat.tagSize)])
            }
            return nil
        }
        if let failed { throw failed }
    }

    /// Opens stored segment `index` in place; returns the plaintext byte count (the plaintext is the start of
    /// `buffer`). Checks the length first; on any failure no plaintext is left in `buffer`.
    func open(_ buffer: UnsafeMutableRawBufferPointer, index: Int, isFinal: Bool) throws(AtRestCryptoError) -> Int {
        let m = buffer.count
        let n = m - overhead
        let validLength = isFinal ? (n >= (index == 0 ? 0 : 1) && n <= segmentSize) : n == segmentSize
        guard index >= 0, validLength else { throw .invalidSegmentLength(segment: index, length: m) }
        let failed: AtRestCryptoError? = withNonceAndAAD(index: index, isFinal: isFinal) { nonce, aad in
            for layer in stride(from: layers - 1, through: 0, by: -1) {
                let length = n + AtRestFormat.tagSize * layer
                let data = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<length])
                let tag = UnsafeRawBufferPointer(rebasing: buffer[length..<(length + AtRestFormat.tagSize)])
                fillPrefix(aad, layer: layer)
                do throws(AtRestCryptoError) {
                    try ciphers[layer].open(nonce: nonce, aad: UnsafeRawBufferPointer(aad),
                                            input: UnsafeRawBufferPointer(data), output: data, tag: tag,
                                            segment: index)
                } catch {
                    // The failed layer zeroed its bytes; an outer layer's tags are all that remain.
                    return error
                }
            }
            return nil
        }
        if let failed { throw failed }
        return n
    }

    /// Runs `body` with the nonce and the associated data of segment `index` (prefix left for `fillPrefix`) in
    /// stack memory.
    private func withNonceAndAAD(
        index: Int, isFinal: Bool,
        _ body: (UnsafeRawBufferPointer, UnsafeMutableRawBufferPointer) -> AtRestCryptoError?
    ) -> AtRestCryptoError? {
        withUnsafeTemporaryAllocation(byteCount: 64, alignment: 8) { scratch in
            let nonce = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<AES256GCMContext.nonceSize])
            let aad = UnsafeMutableRawBufferPointer(rebasing: scratch[16..<(16 + AtRestFormat.aadSize)])
            let i = UInt64(index)
            nonce.storeBytes(of: 0, toByteOffset: 0, as: UInt32.self)
            nonce.storeBytes(of: i.bigEndian, toByteOffset: 4, as: UInt64.self)
            aad.storeBytes(of: i.bigEndian, toByteOffset: AtRestFormat.aadPrefixSize, as: UInt64.self)
            aad[AtRestFormat.aadSize - 1] = isFinal ? 1 : 0
            return body(UnsafeRawBufferPointer(nonce), aad)
        }
    }

    /// Writes layer `layer`'s (0-based) associated-data prefix to the start of `aad`.
    private func fillPrefix(_ aad: UnsafeMutableRawBufferPointer, layer: Int) {
        aadPrefixes[layer].withUnsafeBytes { aad.copyMemory(from: $0) }
    }
}
