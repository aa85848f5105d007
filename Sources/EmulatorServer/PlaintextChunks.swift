import AtRestCrypto
import NIOCore
import Storage

/// The plaintext bytes of a span of an opened object, in order, in chunks of at most about `chunkSize` bytes.
///
/// Plain parts are read as they are. Encrypted parts (those with `keys[i]`) are read whole segments at a time,
/// each segment authenticated and decrypted in place and trimmed to the span, the plaintexts moved down over the
/// tags so that a chunk is one contiguous buffer (no second buffer, no second copy); only the segments the span
/// touches are read. A segment that fails authentication ends the iteration with an error, never with altered bytes.
///
/// Synchronous (`pread` and in-place AEAD), so the same code serves a response writer's thread and read-ahead
/// threads (``ReadAhead``). `nextJob()` splits the work: it decides, cheaply and in order, which bytes the next chunk
/// holds, and returns a ``Job`` that reads and opens them on any thread; jobs are independent, and with `workers` > 1
/// consecutive jobs of an encrypted part use different cipher contexts, so they can run at the same time.
struct PlaintextChunks {
    private let opened: OpenedObject
    private let keys: [SegmentKeys?]
    private let span: ClosedRange<Int64>
    private let chunkSize: Int
    private let workers: Int
    private let allocator: ByteBufferAllocator

    /// Where the next chunk comes from, inside part `part`, whose plaintext starts at object offset `partStart`.
    private enum Cursor {
        /// Part-relative plaintext offsets still to read of a plain part.
        case plain(offset: Int64, end: Int64)
        /// The segments still to open of an encrypted part, from `next` to the plan's last; job `k` of the part uses
        /// `openers[k % openers.count]`.
        case sealed(layout: SegmentLayout, plan: SegmentReadPlan, openers: [SegmentOpener], next: Int, job: Int)
    }

    /// Reads (and, for an encrypted part, opens) one chunk. Independent of every other job.
    struct Job: Sendable {
        fileprivate enum Work: Sendable {
            case plain(offset: Int64, length: Int)
            case sealed(segments: ClosedRange<Int>, layout: SegmentLayout, plan: SegmentReadPlan, opener: SegmentOpener)
        }
        fileprivate let source: BlobSource
        fileprivate let work: Work
        fileprivate let allocator: ByteBufferAllocator

        /// The chunk's plaintext.
        func run() throws -> ByteBuffer {
            switch work {
            case .plain(let offset, let length):
                return try PlaintextChunks.read(source, offset: offset, length: length, allocator: allocator)
            case .sealed(let segments, let layout, let plan, let opener):
                return try PlaintextChunks.open(source, segments: segments, layout: layout, plan: plan, opener: opener,
                                                allocator: allocator)
            }
        }
    }

    private var part = 0
    private var partStart: Int64 = 0
    private var cursor: Cursor?

    init(_ opened: OpenedObject, span: ClosedRange<Int64>, keys: [SegmentKeys?], chunkSize: Int, workers: Int = 1,
         allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        precondition(workers > 0)
        self.opened = opened
        self.keys = keys
        self.span = span
        self.chunkSize = chunkSize
        self.workers = workers
        self.allocator = allocator
    }

    /// The next chunk of plaintext, or nil after the last.
    mutating func next() throws -> ByteBuffer? { try nextJob()?.run() }

    /// The job that produces the next chunk, or nil after the last.
    mutating func nextJob() throws -> Job? {
        while true {
            guard let current = try cursor ?? enterPart() else { return nil }
            switch current {
            case .plain(let offset, let end):
                guard offset < end else { leavePart(); continue }
                let n = Int(min(Int64(chunkSize), end - offset))
                cursor = .plain(offset: offset + Int64(n), end: end)
                return Job(source: opened.sources[part], work: .plain(offset: offset, length: n), allocator: allocator)
            case .sealed(let layout, let plan, let openers, let first, let job):
                guard first <= plan.segments.upperBound else { leavePart(); continue }
                let last = min(first + segmentsPerChunk(layout) - 1, plan.segments.upperBound)
                cursor = .sealed(layout: layout, plan: plan, openers: openers, next: last + 1, job: job + 1)
                let opener = openers[job % openers.count]
                return Job(source: opened.sources[part],
                           work: .sealed(segments: first...last, layout: layout, plan: plan, opener: opener),
                           allocator: allocator)
            }
        }
    }

    /// The cursor of the first part from `part` on that the span touches, or nil when none is left.
    private mutating func enterPart() throws -> Cursor? {
        let parts = opened.record.parts
        while part < parts.count {
            let plainSize = parts[part].plainSize
            let lo = max(span.lowerBound, partStart) - partStart
            let hi = min(span.upperBound + 1, partStart + plainSize) - partStart  // exclusive
            if lo < hi {
                if part < keys.count, let k = keys[part] {
                    let layout = SegmentLayout(plaintextSize: plainSize, segmentSize: k.segmentSize, layers: k.layers)
                    if let plan = layout.readPlan(for: lo...(hi - 1)) {
                        // More than one context only when the part has more chunks than one.
                        let copies = plan.segments.count > segmentsPerChunk(layout) ? workers - 1 : 0
                        var openers = [SegmentOpener(keys: k)]
                        for _ in 0..<copies { openers.append(SegmentOpener(keys: try k.independentCopy())) }
                        cursor = .sealed(layout: layout, plan: plan, openers: openers, next: plan.segments.lowerBound, job: 0)
                        return cursor
                    }
                } else {
                    cursor = .plain(offset: lo, end: hi)
                    return cursor
                }
            }
            leavePart()
        }
        return nil
    }

    /// Whole stored segments in one chunk (at least one).
    private func segmentsPerChunk(_ layout: SegmentLayout) -> Int { max(1, chunkSize / layout.storedSegmentSize) }

    private mutating func leavePart() {
        partStart += opened.record.parts[part].plainSize
        part += 1
        cursor = nil
    }

    /// Reads, opens and trims `segments` of a part's `source` into one buffer.
    fileprivate static func open(_ source: BlobSource, segments: ClosedRange<Int>, layout: SegmentLayout,
                                 plan: SegmentReadPlan, opener: SegmentOpener, allocator: ByteBufferAllocator) throws
        -> ByteBuffer
    {
        let from = layout.storedRange(ofSegment: segments.lowerBound).lowerBound
        let to = layout.storedRange(ofSegment: segments.upperBound).upperBound
        var buffer = try read(source, offset: from, length: Int(to - from), allocator: allocator)
        let kept = try buffer.withUnsafeMutableReadableBytes { raw in
            var written = 0
            for s in segments {
                let r = layout.storedRange(ofSegment: s)
                let segment = UnsafeMutableRawBufferPointer(rebasing: raw[Int(r.lowerBound - from)..<Int(r.upperBound - from)])
                let n = try opener.open(segment, index: s, isFinal: layout.isFinal(segment: s))
                let keep = plan.keep(inSegment: s, plaintextCount: n)
                let start = Int(r.lowerBound - from) + keep.lowerBound
                if start != written {  // copyMemory is a memmove: the plaintext moves down over earlier tags
                    UnsafeMutableRawBufferPointer(rebasing: raw[written..<(written + keep.count)])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[start..<(start + keep.count)]))
                }
                written += keep.count
            }
            return written
        }
        buffer.moveWriterIndex(to: buffer.readerIndex + kept)
        return buffer
    }

    /// `length` stored bytes at `offset` of a part's source; throws when the source is shorter.
    fileprivate static func read(_ source: BlobSource, offset: Int64, length: Int, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        switch source {
        case .memory(let bytes):
            guard offset + Int64(length) <= Int64(bytes.count) else { throw AtRestCryptoError.invalidStoredSize(offset + Int64(length)) }
            var buffer = allocator.buffer(capacity: length)
            buffer.writeBytes(bytes[Int(offset)..<(Int(offset) + length)])
            return buffer
        case .file(let file):
            return try file.read(offset: offset, length: length, allocator: allocator)
        }
    }
}
