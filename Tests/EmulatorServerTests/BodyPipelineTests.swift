import Crypto
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import S3Wire
import Testing

@testable import EmulatorServer

@Suite struct BodyPipelineTests {
    /// Buffers of uneven sizes adding up to `total` bytes of a repeating pattern.
    static func buffers(total: Int) -> [ByteBuffer] {
        var out: [ByteBuffer] = []
        var offset = 0
        var size = 1
        while offset < total {
            let n = min(size, total - offset)
            out.append(ByteBuffer(bytes: (offset..<(offset + n)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }))
            offset += n
            size = size * 2 + 4093
        }
        return out
    }

    /// Both stages see every byte in order: the sink's bytes, the MD5/SHA-256 and the checksum match a direct
    /// computation, for bodies below, at and well above the batch size.
    @Test(arguments: [0, 1, 1024 * 1024 - 1, 1024 * 1024, 5 * 1024 * 1024 + 17])
    func everyByteReachesEveryStageInOrder(_ total: Int) async throws {
        let input = Self.buffers(total: total)
        let sunk = NIOLockedValueBox<[UInt8]>([])
        let pipeline = BodyPipeline(
            digests: PayloadDigests(md5: true, sha256: true), checksum: ChecksumHasher(.crc64nvme),
            sink: { b in sunk.withLockedValue { $0.append(contentsOf: b.readableBytesView) } })
        for b in input { try await pipeline.add(b) }
        let checksum = try await pipeline.finishStoring()
        let digests = await pipeline.finishHashing()

        let all = input.flatMap { Array($0.readableBytesView) }
        #expect(sunk.withLockedValue { $0 } == all)
        #expect(digests.md5.map { Array($0.finalize()) } == Array(Insecure.MD5.hash(data: all)))
        #expect(digests.sha256.map { Array($0.finalize()) } == Array(SHA256.hash(data: all)))
        var direct = ChecksumHasher(.crc64nvme)
        all.withUnsafeBytes { direct.update($0) }
        #expect(checksum?.finalize() == direct.finalize())
    }

    @Test func skippedDigestsStaySkipped() async throws {
        let pipeline = BodyPipeline(digests: PayloadDigests(md5: false, sha256: false), checksum: nil, sink: { _ in })
        for b in Self.buffers(total: 3 * 1024 * 1024) { try await pipeline.add(b) }
        #expect(try await pipeline.finishStoring() == nil)
        let digests = await pipeline.finishHashing()
        #expect(digests.md5 == nil && digests.sha256 == nil)
    }

    struct DiskFull: Error, Equatable {}

    /// A failing sink stops the pipeline: the error comes back from a later `add` (the reader stops reading) and
    /// from `finishStoring`, and the sink is not called again.
    @Test func aSinkErrorStopsTheUpload() async throws {
        let calls = NIOLockedValueBox(0)
        let pipeline = BodyPipeline(
            digests: PayloadDigests(md5: true, sha256: false), checksum: nil,
            sink: { _ in
                let n = calls.withLockedValue { $0 += 1; return $0 }
                if n == 3 { throw DiskFull() }
            })
        let chunk = ByteBuffer(repeating: 1, count: 1024 * 1024)
        var thrownByAdd: (any Error)?
        for _ in 0..<64 {
            do { try await pipeline.add(chunk) } catch {
                thrownByAdd = error
                break
            }
        }
        #expect(thrownByAdd is DiskFull)
        await #expect(throws: DiskFull.self) { try await pipeline.finishStoring() }
        #expect(calls.withLockedValue { $0 } == 3)
    }

    /// After `cancel` returns, the sink is not running and never runs again (the caller may close its file).
    @Test func cancelWaitsForTheRunningBatch() async throws {
        let running = NIOLockedValueBox(false)
        let afterCancel = NIOLockedValueBox(false)
        let cancelled = NIOLockedValueBox(false)
        let pipeline = BodyPipeline(
            digests: PayloadDigests(md5: false, sha256: false), checksum: nil,
            sink: { _ in
                if cancelled.withLockedValue({ $0 }) { afterCancel.withLockedValue { $0 = true } }
                running.withLockedValue { $0 = true }
                usleep(2000)
                running.withLockedValue { $0 = false }
            })
        let chunk = ByteBuffer(repeating: 2, count: 256 * 1024)
        for _ in 0..<20 { try await pipeline.add(chunk) }
        await pipeline.cancel()
        cancelled.withLockedValue { $0 = true }
        #expect(running.withLockedValue { $0 } == false)
        usleep(20_000)
        #expect(afterCancel.withLockedValue { $0 } == false)
    }
}
