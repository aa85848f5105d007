import AtRestCrypto
import KeyCore
import NIOCore
import Storage
import Testing

@testable import EmulatorServer

@Suite struct PlaintextChunksTests {
    static let segmentSize = 1000
    static let chunkSize = 4 * 1024

    /// Plaintext of part `n` (distinct bytes per part so that a chunk from the wrong part shows).
    static func plaintext(part n: Int, size: Int) -> [UInt8] {
        (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ n &* 101) }
    }

    static func keys(part n: Int) throws -> SegmentKeys {
        try SegmentKeys(dataKey: SecretBytes([UInt8](repeating: UInt8(n + 1), count: 32)),
                        salt: [UInt8](repeating: 9, count: 32),
                        context: SegmentContext(mode: .sseS3, bucket: "b", key: "k", uploadId: "u", partNumber: n + 1),
                        segmentSize: segmentSize)
    }

    /// An object of parts of `sizes`, sealed where `sealed` says, held in memory; its plaintext and its keys.
    static func object(sizes: [Int], sealed: [Bool]) throws -> (OpenedObject, [UInt8], [SegmentKeys?]) {
        var parts: [ObjectPart] = []
        var sources: [BlobSource] = []
        var keys: [SegmentKeys?] = []
        var all: [UInt8] = []
        for (n, size) in sizes.enumerated() {
            let plain = plaintext(part: n, size: size)
            all += plain
            let k = sealed[n] ? try Self.keys(part: n) : nil
            let stored = try k.map { try SegmentSealer.seal(plain, keys: $0) } ?? plain
            parts.append(ObjectPart(number: n + 1, blob: BlobRef(id: "p\(n)", size: Int64(stored.count), inline: true),
                                    etag: "e", attributes: ["size": String(size)]))
            sources.append(.memory(stored))
            keys.append(k)
        }
        let record = ObjectRecord(bucket: "b", key: "k", size: Int64(all.count), etag: "e", lastModifiedMs: 0,
                                  parts: parts, multipart: sizes.count > 1)
        return (OpenedObject(record: record, sources: sources), all, keys)
    }

    static func collect(_ chunks: inout PlaintextChunks) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        while let c = try chunks.next() { out.append(Array(c.readableBytesView)) }
        return out
    }

    /// Every span (whole, inside one segment, across segment and part boundaries, single bytes at the edges) yields
    /// exactly the plaintext's bytes, in chunks no larger than the chunk size, for plain, sealed and mixed parts.
    @Test(arguments: [[true], [false], [true, false, true], [false, true]])
    func spansYieldTheirPlaintext(_ sealed: [Bool]) throws {
        let sizes = [9_500, 3_000, 12_345].prefix(sealed.count).map { $0 }
        let (opened, plain, keys) = try Self.object(sizes: sizes, sealed: sealed)
        let n = Int64(plain.count)
        let spans: [ClosedRange<Int64>] = [0...(n - 1), 0...0, (n - 1)...(n - 1), 10...20, 999...1000, 500...8_700,
                                           (n / 2)...(n - 1), 9_499...9_500, 1...(n - 2)].filter { $0.upperBound < n }
        for span in spans {
            var chunks = PlaintextChunks(opened, span: span, keys: keys, chunkSize: Self.chunkSize)
            let got = try Self.collect(&chunks)
            #expect(got.joined().elementsEqual(plain[Int(span.lowerBound)...Int(span.upperBound)]), "span \(span)")
            #expect(got.allSatisfy { !$0.isEmpty && $0.count <= Self.chunkSize }, "span \(span)")
            #expect(try chunks.next() == nil)
        }
    }

    /// Jobs run out of order and at the same time (three workers, each job on its own task) still give the plaintext
    /// in plan order: each sealed part's consecutive jobs carry cipher contexts of their own.
    @Test(arguments: [[true], [true, false, true]])
    func jobsRunInAnyOrderAndInParallel(_ sealed: [Bool]) async throws {
        let sizes = [30_000, 3_000, 25_000].prefix(sealed.count).map { $0 }
        let (opened, plain, keys) = try Self.object(sizes: sizes, sealed: sealed)
        var chunks = PlaintextChunks(opened, span: 0...Int64(plain.count - 1), keys: keys, chunkSize: Self.chunkSize,
                                     workers: 3)
        var jobs: [PlaintextChunks.Job] = []
        while let job = try chunks.nextJob() { jobs.append(job) }
        let results = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            for (i, job) in jobs.enumerated().reversed() {
                group.addTask { (i, Array(try job.run().readableBytesView)) }
            }
            var out = [[UInt8]](repeating: [], count: jobs.count)
            for try await (i, bytes) in group { out[i] = bytes }
            return out
        }
        #expect(results.joined().elementsEqual(plain))
    }

    /// Through a parallel read-ahead, as a GET body is read.
    @Test func aParallelReadAheadDeliversTheObjectInOrder() async throws {
        let (opened, plain, keys) = try Self.object(sizes: [40_000, 7_000], sealed: [true, true])
        var chunks = PlaintextChunks(opened, span: 0...Int64(plain.count - 1), keys: keys, chunkSize: Self.chunkSize,
                                     workers: 2)
        let ahead = ReadAhead(depth: 4, parallel: 2) { () throws -> ReadAhead.Job? in
            guard let job = try chunks.nextJob() else { return nil }
            return { try job.run() }
        }
        var got: [UInt8] = []
        while let c = try await ahead.next() { got += c.readableBytesView }
        #expect(got == plain)
    }

    /// A flipped stored byte ends the read with an error at the chunk that holds it; the chunks before it are
    /// correct and nothing of the damaged segment comes out.
    @Test func aTamperedSegmentEndsTheReadWithAnError() throws {
        var (opened, plain, keys) = try Self.object(sizes: [20_000], sealed: [true])
        guard case .memory(var stored) = opened.sources[0] else { Issue.record("not in memory"); return }
        stored[10_500] ^= 1  // in the stored segment 10 (each stores 1000 bytes + tag), i.e. the third chunk
        opened.sources[0] = .memory(stored)
        var chunks = PlaintextChunks(opened, span: 0...19_999, keys: keys, chunkSize: Self.chunkSize)
        var got: [UInt8] = []
        #expect(throws: AtRestCryptoError.self) {
            while let c = try chunks.next() { got += c.readableBytesView }
        }
        #expect(got.count < 10_000)
        #expect(got.elementsEqual(plain.prefix(got.count)))
        _ = keys
    }

    /// A source shorter than its part's record is an error, not a short body.
    @Test func aShortSourceIsAnError() throws {
        var (opened, _, keys) = try Self.object(sizes: [5_000, 5_000], sealed: [false, true])
        opened.sources[1] = .memory([UInt8](repeating: 0, count: 100))
        var chunks = PlaintextChunks(opened, span: 0...9_999, keys: keys, chunkSize: Self.chunkSize)
        #expect(throws: (any Error).self) { _ = try Self.collect(&chunks) }
    }
}
