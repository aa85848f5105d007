import Foundation
import NIOCore
import Testing

@testable import Storage

@Suite struct BlobStoreTests {
    @Test(arguments: [0, 1, 1000, 64 * 1024])
    func bodiesUpToTheInlineLimitStayInMemory(_ size: Int) async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let blobs = try BlobStore(root: dir.url)
        #expect(blobs.inlineLimit == 65536)
        let w = blobs.makeWriter()
        let data = pattern(size)
        try data.withUnsafeBytes { try w.write($0) }
        #expect(dir.tmpFiles().isEmpty)
        let pending = try await w.finish()
        #expect(pending.ref == BlobRef(id: w.id, size: Int64(size), inline: true))
        #expect(pending.inlineData == data)
        #expect(dir.blobFiles().isEmpty)
        #expect(dir.tmpFiles().isEmpty)
    }

    @Test(arguments: [64 * 1024 + 1, 200_000])
    func largerBodiesGoToAFile(_ size: Int) async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let blobs = try BlobStore(root: dir.url)
        let w = blobs.makeWriter()
        let data = pattern(size, seed: 3)
        var i = 0
        while i < data.count {
            let end = min(i + 30_000, data.count)
            var b = ByteBufferAllocator().buffer(capacity: end - i)
            b.writeBytes(data[i..<end])
            try w.write(b)
            i = end
        }
        #expect(dir.tmpFiles() == [w.id])
        let pending = try await w.finish()
        #expect(pending.ref == BlobRef(id: w.id, size: Int64(size), inline: false))
        #expect(pending.inlineData == nil)
        #expect(dir.tmpFiles().isEmpty)
        #expect(dir.blobFiles() == [w.id])
        #expect(FileManager.default.fileExists(atPath: dir.url.appendingPathComponent("blobs/\(w.id.prefix(2))/\(w.id)").path))
        let file = try blobs.open(pending.ref)
        #expect(file.size == Int64(size))
        var whole = try file.read(offset: 0, length: size, allocator: ByteBufferAllocator())
        #expect(whole.readBytes(length: whole.readableBytes) == data)
        var middle = try file.read(offset: 1000, length: 5000, allocator: ByteBufferAllocator())
        #expect(middle.readBytes(length: middle.readableBytes) == Array(data[1000..<6000]))
        #expect(throws: StorageError.corrupt("blob shorter than recorded")) {
            try file.read(offset: Int64(size - 10), length: 20, allocator: ByteBufferAllocator())
        }
        blobs.remove([pending.ref])
        #expect(dir.blobFiles().isEmpty)
        #expect(throws: StorageError.corrupt("blob \(w.id) is missing")) { try blobs.open(pending.ref) }
    }

    /// 17 MiB crosses the staging buffer 17 times and the 4 MiB writeback step of page-cache writes four times;
    /// every byte must still land where it belongs.
    @Test func largeBlobAcrossWritebackSteps() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let blobs = try BlobStore(root: dir.url)
        let w = blobs.makeWriter()
        let mib = 1024 * 1024
        let pieces = 17
        for i in 0..<pieces {
            let piece = [UInt8](repeating: UInt8(i + 1), count: mib)
            try piece.withUnsafeBytes { try w.write($0) }
        }
        let tail: [UInt8] = [0xAA, 0xBB, 0xCC]
        try tail.withUnsafeBytes { try w.write($0) }
        let pending = try await w.finish()
        #expect(pending.ref == BlobRef(id: w.id, size: Int64(pieces * mib + 3), inline: false))
        let file = try blobs.open(pending.ref)
        for i in 0..<pieces {
            var b = try file.read(offset: Int64(i * mib), length: mib, allocator: ByteBufferAllocator())
            let got = b.readBytes(length: b.readableBytes) ?? []
            #expect(got.count == mib && got.allSatisfy { $0 == UInt8(i + 1) }, "MiB \(i)")
        }
        var end = try file.read(offset: Int64(pieces * mib - 1), length: 4, allocator: ByteBufferAllocator())
        #expect(end.readBytes(length: 4) == [UInt8(pieces), 0xAA, 0xBB, 0xCC])
    }

    /// File blobs go through a block-aligned staging buffer (O_DIRECT where the filesystem has it, the last block
    /// padded and the file truncated): sizes around the block and staging boundaries, written in odd pieces, read
    /// back byte for byte with the exact size, here and on tmpfs (no O_DIRECT: the page-cache fallback).
    @Test(arguments: [
        64 * 1024 + 1, 4096 * 17, 4096 * 17 + 1, 1024 * 1024 - 1, 1024 * 1024, 1024 * 1024 + 1, 3 * 1024 * 1024 + 4097,
    ])
    func fileBlobsRoundTripAtEverySize(_ size: Int) async throws {
        var bases = [FileManager.default.temporaryDirectory]
        if FileManager.default.isWritableFile(atPath: "/dev/shm") { bases.append(URL(fileURLWithPath: "/dev/shm")) }
        for base in bases {
            let dir = try TempDir(base: base)
            defer { dir.cleanup() }
            let blobs = try BlobStore(root: dir.url)
            let w = blobs.makeWriter()
            let data = pattern(size, seed: 11)
            var i = 0
            var piece = 1
            while i < data.count {
                let end = min(i + piece, data.count)
                try data[i..<end].withUnsafeBytes { try w.write($0) }
                i = end
                piece = piece * 3 + 7  // 1, 10, 37, 118, … up to whole MiBs
            }
            let pending = try await w.finish()
            #expect(pending.ref == BlobRef(id: w.id, size: Int64(size), inline: false))
            let path = dir.url.appendingPathComponent("blobs/\(w.id.prefix(2))/\(w.id)").path
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.size] as? NSNumber)?.intValue == size, "\(base.path)")
            let file = try blobs.open(pending.ref)
            var whole = try file.read(offset: 0, length: size, allocator: ByteBufferAllocator())
            #expect(whole.readBytes(length: whole.readableBytes) == data, "\(base.path)")
            #expect(dir.tmpFiles().isEmpty)
        }
    }

    @Test func releasedBlobsGoInTheBackground() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let blobs = try BlobStore(root: dir.url)
        var refs: [BlobRef] = []
        for seed in 0..<3 {
            let w = blobs.makeWriter()
            try pattern(100_000, seed: UInt8(seed)).withUnsafeBytes { try w.write($0) }
            refs.append(try await w.finish().ref)
        }
        let inline = BlobRef(id: BlobStore.newID(), size: 3, inline: true)
        #expect(dir.blobFiles().count == 3)
        blobs.release(refs[0..<2] + [inline])
        blobs.waitForReleases()
        #expect(dir.blobFiles() == [refs[2].id])
        // An open reader keeps the bytes of a released blob.
        let file = try blobs.open(refs[2])
        blobs.release([refs[2]])
        blobs.waitForReleases()
        #expect(dir.blobFiles().isEmpty)
        var b = try file.read(offset: 0, length: 100_000, allocator: ByteBufferAllocator())
        #expect(b.readBytes(length: b.readableBytes) == pattern(100_000, seed: 2))
    }

    @Test func discardRemovesTheTemporaryFile() async throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let blobs = try BlobStore(root: dir.url)
        let w = blobs.makeWriter()
        let data = pattern(100_000)
        try data.withUnsafeBytes { try w.write($0) }
        #expect(dir.tmpFiles().count == 1)
        w.discard()
        #expect(dir.tmpFiles().isEmpty)
        #expect(dir.blobFiles().isEmpty)
    }

    @Test func abandonedWriterCleansUp() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let blobs = try BlobStore(root: dir.url)
        do {
            let w = blobs.makeWriter()
            let data = pattern(100_000)
            try data.withUnsafeBytes { try w.write($0) }
            #expect(dir.tmpFiles().count == 1)
        }
        #expect(dir.tmpFiles().isEmpty)
    }

    /// Discarding a writer with whole MiBs still queued for the disk waits for them, then removes the file.
    @Test func discardWithQueuedWritesCleansUp() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let blobs = try BlobStore(root: dir.url)
        let w = blobs.makeWriter()
        let mib = [UInt8](repeating: 7, count: 1024 * 1024)
        for _ in 0..<5 { try mib.withUnsafeBytes { try w.write($0) } }
        w.discard()
        #expect(dir.tmpFiles().isEmpty)
    }

    @Test func idsAreRandomHex() {
        let ids = (0..<100).map { _ in BlobStore.newID() }
        #expect(Set(ids).count == 100)
        #expect(ids.allSatisfy { $0.count == 32 && $0.allSatisfy { "0123456789abcdef".contains($0) } })
    }
}
