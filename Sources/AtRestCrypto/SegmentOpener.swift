/// Opens stored segments one at a time, given each one's index and whether it is the object's final segment
/// (from `SegmentLayout`). A segment that fails any check throws `AtRestCryptoError` and yields no plaintext.
public struct SegmentOpener: Sendable {
    /// The keys segments are opened with.
    public let keys: SegmentKeys

    /// An opener for segments sealed under `keys`.
    public init(keys: SegmentKeys) { self.keys = keys }

    /// Opens stored segment `index` in place. `segment` holds exactly the stored bytes of that segment; on success
    /// its first (returned) count bytes are the plaintext, on failure it is zeroed where plaintext could have been.
    public func open(_ segment: UnsafeMutableRawBufferPointer, index: Int, isFinal: Bool) throws(AtRestCryptoError)
        -> Int
    {
        try keys.open(segment, index: index, isFinal: isFinal)
    }

    /// Opens stored segment `index` from an array; returns its plaintext.
    public func open(_ segment: [UInt8], index: Int, isFinal: Bool) throws(AtRestCryptoError) -> [UInt8] {
        var copy = segment
        let n = try typedThrows {
            try copy.withUnsafeMutableBytes { b in try keys.open(b, index: index, isFinal: isFinal) }
        }
        copy.removeLast(copy.count - n)
        return copy
    }

    /// Opens a whole stored object held in memory (small bodies, tests). The plaintext size follows from the
    /// stored size; every segment, the final one included, is authenticated.
    public func openObject(_ stored: [UInt8]) throws(AtRestCryptoError) -> [UInt8] {
        let layout = try SegmentLayout(storedSize: Int64(stored.count), segmentSize: keys.segmentSize,
                                       layers: keys.layers)
        var out = stored
        var written = 0
        try typedThrows {
            try out.withUnsafeMutableBytes { b in
                for i in 0..<layout.segmentCount {
                    let range = layout.storedRange(ofSegment: i)
                    let segment = UnsafeMutableRawBufferPointer(
                        rebasing: b[Int(range.lowerBound)..<Int(range.upperBound)])
                    let n = try keys.open(segment, index: i, isFinal: layout.isFinal(segment: i))
                    // Plaintext moves down over the tags of the segments before it (copyMemory is a memmove).
                    if written != Int(range.lowerBound) {
                        UnsafeMutableRawBufferPointer(rebasing: b[written..<(written + n)])
                            .copyMemory(from: UnsafeRawBufferPointer(rebasing: segment[0..<n]))
                    }
                    written += n
                }
            }
        }
        out.removeLast(out.count - written)
        return out
    }
}
