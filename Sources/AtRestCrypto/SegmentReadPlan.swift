/// The stored bytes to read for a plaintext range, and what to keep of them once decrypted (`SegmentLayout`).
///
/// Read `storedRange`, open segments `segments` in order (the one at `segments.upperBound` is final only if
/// `lastIsFinal`), then keep `keep(inSegment:)` of each: the first drops `dropFromFirst` bytes from its start,
/// the last keeps its first `keepFromLast` bytes (both apply when the range lies in one segment).
public struct SegmentReadPlan: Sendable, Hashable {
    /// The segment indices to open, in order.
    public let segments: ClosedRange<Int>
    /// The stored byte offsets holding those segments.
    public let storedRange: Range<Int64>
    /// Plaintext bytes to drop from the start of the first segment.
    public let dropFromFirst: Int
    /// Plaintext bytes to keep from the start of the last segment (counted before `dropFromFirst` when the first
    /// and the last are the same segment).
    public let keepFromLast: Int
    /// Whether the last segment read is the object's final segment.
    public let lastIsFinal: Bool
    /// The plaintext offsets the plan yields; nil only for the whole-object plan of an empty object.
    public let plaintextRange: ClosedRange<Int64>?

    /// Plaintext bytes the plan yields.
    public var plaintextCount: Int64 { plaintextRange.map { $0.upperBound - $0.lowerBound + 1 } ?? 0 }

    /// The offsets to keep of decrypted segment `segment`, which has `plaintextCount` bytes.
    public func keep(inSegment segment: Int, plaintextCount: Int) -> Range<Int> {
        precondition(segments.contains(segment))
        let start = segment == segments.lowerBound ? dropFromFirst : 0
        let end = segment == segments.upperBound ? keepFromLast : plaintextCount
        return start..<end
    }

    /// True when `segment` is the object's final segment.
    public func isFinal(segment: Int) -> Bool { lastIsFinal && segment == segments.upperBound }
}
