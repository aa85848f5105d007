import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import EmulatorServer

@Suite struct ReadAheadTests {
    struct Broken: Error, Equatable {}

    /// A producer of `count` four-byte chunks numbered 0, 1, 2, …, counting its calls; fails at `failAt`.
    final class Numbers: @unchecked Sendable {
        let produced = NIOLockedValueBox(0)
        let count: Int?
        let failAt: Int?
        init(count: Int?, failAt: Int? = nil) {
            self.count = count
            self.failAt = failAt
        }

        func next() throws -> ByteBuffer? {
            let n = produced.withLockedValue { v in defer { v += 1 }; return v }
            if n == failAt { throw Broken() }
            if let count, n >= count { return nil }
            return ByteBuffer(bytes: withUnsafeBytes(of: UInt32(n).littleEndian, Array.init))
        }
    }

    static func number(_ b: ByteBuffer) -> Int {
        Int(b.getInteger(at: b.readerIndex, endianness: .little, as: UInt32.self) ?? .max)
    }

    /// All chunks arrive once, in order, then nil, whether the consumer is faster or slower than the producer.
    @Test(arguments: [0, 1, 3, 4, 5, 200])
    func everyChunkArrivesInOrder(_ count: Int) async throws {
        let source = Numbers(count: count)
        let ahead = ReadAhead(depth: 4) { try source.next() }
        var got: [Int] = []
        while let b = try await ahead.next() {
            got.append(Self.number(b))
            if got.count % 7 == 3 { try await Task.sleep(nanoseconds: 2_000_000) }  // sometimes slower than the producer
        }
        #expect(got == Array(0..<count))
        #expect(try await ahead.next() == nil)
    }

    /// A producer error reaches the consumer after the chunks produced before it, and again on the next call.
    @Test func anErrorFollowsTheChunksBeforeIt() async throws {
        let source = Numbers(count: nil, failAt: 6)
        let ahead = ReadAhead(depth: 2) { try source.next() }
        var got: [Int] = []
        await #expect(throws: Broken.self) {
            while let b = try await ahead.next() { got.append(Self.number(b)) }
        }
        #expect(got == Array(0..<6))
        await #expect(throws: Broken.self) { _ = try await ahead.next() }
        #expect(source.produced.withLockedValue { $0 } == 7)
    }

    /// Production pauses with `depth` chunks waiting (a slow client holds no thread and no more memory) and goes on
    /// when the consumer takes one.
    @Test func productionStopsDepthChunksAhead() async throws {
        let source = Numbers(count: nil)
        let ahead = ReadAhead(depth: 3) { try source.next() }
        try await Task.sleep(nanoseconds: 100_000_000)
        #expect(source.produced.withLockedValue { $0 } == 3)
        #expect(try await ahead.next().map(Self.number) == 0)
        try await Task.sleep(nanoseconds: 100_000_000)
        #expect(source.produced.withLockedValue { $0 } == 4)
    }

    /// After `cancel()` production stops and `next()` throws.
    @Test func cancelStopsProduction() async throws {
        let source = Numbers(count: nil)
        let ahead = ReadAhead(depth: 2) { try source.next() }
        _ = try await ahead.next()
        ahead.cancel()
        try await Task.sleep(nanoseconds: 50_000_000)
        let after = source.produced.withLockedValue { $0 }
        try await Task.sleep(nanoseconds: 50_000_000)
        #expect(source.produced.withLockedValue { $0 } == after)
        #expect(after <= 4)
        await #expect(throws: CancellationError.self) { _ = try await ahead.next() }
    }
}
