/// The arithmetic of a sealed object: how many segments, how many stored bytes, and which stored bytes to read
/// for a plaintext byte range. Pure; sizes and offsets are `Int64` as in `ByteRange`, segment indices `Int`.
///
/// ```
/// n            = max(1, ⌈plaintextSize / S⌉)
/// storedSize   = plaintextSize + 16·L·n
/// segment i    plaintext [i·S, min((i+1)·S, size))   stored [i·(S + 16·L), i·(S + 16·L) + |P[i]| + 16·L)
/// ```
public struct SegmentLayout: Sendable, Hashable {
    /// Plaintext bytes of the object (or part).
    public let plaintextSize: Int64
    /// Plaintext bytes per segment.
    public let segmentSize: Int
    /// Encryption layers (1, or 2 for DSSE).
    public let layers: Int

    /// The layout of `plaintextSize` bytes (≥ 0) cut into `segmentSize`-byte segments under `layers` layers.
    public init(plaintextSize: Int64, segmentSize: Int = AtRestFormat.defaultSegmentSize, layers: Int = 1) {
        precondition(plaintextSize >= 0 && segmentSize > 0 && layers >= 1)
        self.plaintextSize = plaintextSize
        self.segmentSize = segmentSize
        self.layers = layers
    }

    /// The layout whose stored size is `storedSize`; throws `AtRestCryptoError.invalidStoredSize` for a size no
    /// plaintext seals to.
    public init(storedSize: Int64, segmentSize: Int = AtRestFormat.defaultSegmentSize, layers: Int = 1)
        throws(AtRestCryptoError)
    {
        precondition(segmentSize > 0 && layers >= 1)
        let overhead = Int64(AtRestFormat.tagSize * layers)
        let full = Int64(segmentSize) + overhead
        guard storedSize >= overhead else { throw .invalidStoredSize(storedSize) }
        let count = (storedSize + full - 1) / full
        let plaintext = storedSize - count * overhead
        // Every segment but the last is full, and the last is non-empty unless it is the only one.
        guard plaintext > (count - 1) * Int64(segmentSize) || count == 1 else { throw .invalidStoredSize(storedSize) }
        self.init(plaintextSize: plaintext, segmentSize: segmentSize, layers: layers)
    }

    /// Bytes added to each segment (16 per layer).
    public var overhead: Int { AtRestFormat.tagSize * layers }

    /// Stored bytes of a full segment.
    public var storedSegmentSize: Int { segmentSize + overhead }

    /// Number of segments: at least one (an empty object is one empty final segment).
    public var segmentCount: Int {
        plaintextSize == 0 ? 1 : Int((plaintextSize + Int64(segmentSize) - 1) / Int64(segmentSize))
    }

    /// Stored bytes of the whole object.
    public var storedSize: Int64 { plaintextSize + Int64(overhead) * Int64(segmentCount) }

    /// True for the last segment.
    public func isFinal(segment: Int) -> Bool { segment == segmentCount - 1 }

    /// Plaintext bytes of segment `segment`.
    public func plaintextCount(ofSegment segment: Int) -> Int {
        precondition(segment >= 0 && segment < segmentCount)
        return Int(min(Int64(segmentSize), plaintextSize - Int64(segment) * Int64(segmentSize)))
    }

    /// The plaintext offsets segment `segment` covers.
    public func plaintextRange(ofSegment segment: Int) -> Range<Int64> {
        let start = Int64(segment) * Int64(segmentSize)
        return start..<(start + Int64(plaintextCount(ofSegment: segment)))
    }

    /// The stored offsets of segment `segment`.
    public func storedRange(ofSegment segment: Int) -> Range<Int64> {
        let start = Int64(segment) * Int64(storedSegmentSize)
        return start..<(start + Int64(plaintextCount(ofSegment: segment) + overhead))
    }

    /// What to read and keep for the plaintext bytes `range` (inclusive, as `ByteRange.resolve` gives); nil when
    /// the range is empty or reaches outside the object (so always nil for an empty object).
    public func readPlan(for range: ClosedRange<Int64>) -> SegmentReadPlan? {
        guard range.lowerBound >= 0, range.upperBound < plaintextSize else { return nil }
        let size = Int64(segmentSize)
        let first = Int(range.lowerBound / size), last = Int(range.upperBound / size)
        return SegmentReadPlan(
            segments: first...last,
            storedRange: storedRange(ofSegment: first).lowerBound..<storedRange(ofSegment: last).upperBound,
            dropFromFirst: Int(range.lowerBound - Int64(first) * size),
            keepFromLast: Int(range.upperBound - Int64(last) * size) + 1,
            lastIsFinal: isFinal(segment: last),
            plaintextRange: range)
    }

    /// The plan reading the whole object, the empty object included (its one empty final segment).
    public var wholeObjectPlan: SegmentReadPlan {
        let last = segmentCount - 1
        return SegmentReadPlan(
            segments: 0...last, storedRange: 0..<storedSize, dropFromFirst: 0,
            keepFromLast: plaintextCount(ofSegment: last), lastIsFinal: true,
            plaintextRange: plaintextSize == 0 ? nil : 0...(plaintextSize - 1))
    }
}
