import Foundation
import Testing

@testable import Storage

@Suite struct DirectWriteQueueTests {
    /// Buffers queued back to back land at their offsets, whatever the queue's depth; buffers are reused, never more
    /// than depth + 1 of them.
    @Test(arguments: [1, 2, 4])
    func writesLandInPlaceAndBuffersAreReused(depth: Int) throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = dir.url.appendingPathComponent("f").path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        #expect(fd >= 0)
        defer { close(fd) }
        let size = 64 * 1024
        var seen = Set<UnsafeMutableRawPointer>()
        do {
            let queue = DirectWriteQueue(fd: fd, bufferSize: size, alignment: 4096, depth: depth)
            for i in 0..<20 {
                let b = queue.take()
                seen.insert(b.baseAddress!)
                b.initializeMemory(as: UInt8.self, repeating: UInt8(i + 1))
                try queue.submit(b, length: i == 19 ? 100 : size, offset: Int64(i * size))
            }
            #expect(queue.drain() == 0)
        }
        #expect(seen.count <= depth + 1)
        let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(data.count == 19 * size + 100)
        for i in 0..<20 {
            let piece = data[(i * size)..<min((i + 1) * size, data.count)]
            #expect(piece.allSatisfy { $0 == UInt8(i + 1) }, "piece \(i)")
        }
    }

    /// A failed write is reported by `drain` and by the next `submit`; nothing after it is written.
    @Test func aFailedWriteIsReportedAndStopsTheRest() throws {
        let queue = DirectWriteQueue(fd: -1, bufferSize: 4096, alignment: 4096)
        try queue.submit(queue.take(), length: 4096, offset: 0)
        #expect(queue.drain() == EBADF)
        #expect(throws: DirectWriteFailure.self) { try queue.submit(queue.take(), length: 4096, offset: 4096) }
        #expect(queue.drain() == EBADF)
    }
}
