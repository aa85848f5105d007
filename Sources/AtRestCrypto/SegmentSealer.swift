/// Seals a stream of plaintext into stored segments in constant memory: feed chunks of any size with `append`,
/// then call `finish` once. Each sealed segment is handed to `sink` as soon as it is complete, as a view of an
/// internal buffer that is reused for the next segment (copy or write it before returning).
///
/// A full segment is emitted only when the next byte arrives, since whether it is the final one is part of its
/// associated data; `finish` emits the last segment (possibly empty, for an empty object). If `sink` throws, the
/// error propagates and the sealer must be discarded.
///
/// ```swift
/// var sealer = SegmentSealer(keys: keys)
/// for chunk in body { try sealer.append(chunk) { sealed in try file.write(sealed) } }
/// try sealer.finish { sealed in try file.write(sealed) }
/// ```
public struct SegmentSealer: Sendable {
    /// The keys segments are sealed with.
    public let keys: SegmentKeys
    /// One stored segment: plaintext collects at the start, then is sealed in place and tags appended.
    private var buffer: [UInt8]
    /// Plaintext bytes waiting in `buffer`.
    private var pending = 0
    private var nextIndex = 0
    /// True once `finish` has run.
    public private(set) var isFinished = false
    /// Plaintext bytes appended so far.
    public private(set) var plaintextCount: Int64 = 0
    /// Stored bytes emitted so far.
    public private(set) var storedCount: Int64 = 0

    /// A sealer writing segments 0, 1, … under `keys`.
    public init(keys: SegmentKeys) {
        self.keys = keys
        buffer = [UInt8](repeating: 0, count: keys.storedSegmentSize)
    }

    /// Segments emitted so far.
    public var segmentCount: Int { nextIndex }

    /// Adds plaintext; emits every segment this completes and that is known not to be the final one.
    public mutating func append(_ chunk: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void)
        throws
    {
        precondition(!isFinished, "SegmentSealer.append after finish")
        let size = keys.segmentSize
        var offset = 0
        while offset < chunk.count {
            if pending == size {
                try emit(final: false, from: nil, into: sink)
            }
            let remaining = chunk.count - offset
            if pending == 0 && remaining > size {
                // A whole segment with more input behind it: seal straight from the caller's bytes.
                try emit(final: false, from: UnsafeRawBufferPointer(rebasing: chunk[offset..<(offset + size)]),
                         into: sink)
                offset += size
                continue
            }
            let n = min(size - pending, remaining)
            let start = pending
            buffer.withUnsafeMutableBytes { b in
                UnsafeMutableRawBufferPointer(rebasing: b[start..<(start + n)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: chunk[offset..<(offset + n)]))
            }
            pending += n
            offset += n
        }
        plaintextCount += Int64(chunk.count)
    }

    /// Adds plaintext from an array.
    public mutating func append(_ chunk: [UInt8], into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try chunk.withUnsafeBytes { try append($0, into: sink) }
    }

    /// Emits the final segment (what is pending, possibly nothing). Call exactly once, after the last `append`.
    public mutating func finish(into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition(!isFinished, "SegmentSealer.finish called twice")
        try emit(final: true, from: nil, into: sink)
        isFinished = true
    }

    /// Seals one segment into `buffer`, from `source` or (nil) from the pending bytes, and hands it to `sink`.
    private mutating func emit(final: Bool, from source: UnsafeRawBufferPointer?,
                               into sink: (UnsafeRawBufferPointer) throws -> Void) throws
    {
        let keys = self.keys
        let index = nextIndex
        let count = source?.count ?? pending
        let stored = count + keys.overhead
        try buffer.withUnsafeMutableBytes { b in
            let input = source ?? UnsafeRawBufferPointer(rebasing: b[0..<count])
            try keys.seal(input, into: UnsafeMutableRawBufferPointer(rebasing: b[0..<stored]), index: index,
                          isFinal: final)
            try sink(UnsafeRawBufferPointer(rebasing: b[0..<stored]))
        }
        pending = 0
        nextIndex += 1
        storedCount += Int64(stored)
    }

    /// Seals a whole object held in memory (small bodies, tests).
    public static func seal(_ plaintext: [UInt8], keys: SegmentKeys) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Int(keys.layout(plaintextSize: Int64(plaintext.count)).storedSize))
        var sealer = SegmentSealer(keys: keys)
        try sealer.append(plaintext) { out.append(contentsOf: $0) }
        try sealer.finish { out.append(contentsOf: $0) }
        return out
    }
}
