import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import EmulatorServer

@Suite struct ReadAheadTests {
    struct Broken: Error, Equatable {}

    /// Plans `count` jobs (nil: endless) that make four-byte chunks numbered 0, 1, 2, …, counting plans, runs and the
    /// most jobs running at once. Job `failAt` throws; `planFailsAt` makes the planner throw instead; jobs sleep
    /// `delay(n)` microseconds, so that later jobs can finish first.
    final class Numbers: @unchecked Sendable {
        let planned = NIOLockedValueBox(0)
        let ran = NIOLockedValueBox(0)
        let concurrency = NIOLockedValueBox((now: 0, most: 0))
        let count: Int?
        let failAt: Int?
        let planFailsAt: Int?
        let delay: @Sendable (Int) -> UInt32

        init(count: Int?, failAt: Int? = nil, planFailsAt: Int? = nil, delay: @escaping @Sendable (Int) -> UInt32 = { _ in 0 }) {
            self.count = count
            self.failAt = failAt
            self.planFailsAt = planFailsAt
            self.delay = delay
        }

        func plan() throws -> ReadAhead.Job? {
            let n = planned.withLockedValue { v in defer { v += 1 }; return v }
            if n == planFailsAt { throw Broken() }
            if let count, n >= count { return nil }
            return { [self] in
                concurrency.withLockedValue { $0.now += 1; $0.most = max($0.most, $0.now) }
                defer { concurrency.withLockedValue { $0.now -= 1 } }
                usleep(delay(n))
                ran.withLockedValue { $0 += 1 }
                if n == failAt { throw Broken() }
                return ByteBuffer(bytes: withUnsafeBytes(of: UInt32(n).littleEndian, Array.init))
            }
        }
    }

    static func number(_ b: ByteBuffer) -> Int {
        Int(b.getInteger(at: b.readerIndex, endianness: .little, as: UInt32.self) ?? .max)
    }

    /// All chunks arrive once, in order, then nil, whether the consumer is faster or slower than the jobs, and
    /// whether jobs finish in order or not.
    @Test(arguments: [(0, 1), (1, 1), (5, 1), (200, 1), (0, 2), (1, 2), (3, 2), (4, 3), (200, 2), (200, 4)])
    func everyChunkArrivesInOrder(_ count: Int, _ parallel: Int) async throws {
        // Even jobs are slower than odd ones, so with parallel jobs the later often finishes first.
        let source = Numbers(count: count, delay: { $0 % 2 == 0 ? 300 : 0 })
        let ahead = ReadAhead(depth: 4, parallel: parallel) { try source.plan() }
        var got: [Int] = []
        while let b = try await ahead.next() {
            got.append(Self.number(b))
            if got.count % 7 == 3 { try await Task.sleep(nanoseconds: 2_000_000) }  // sometimes slower than the jobs
        }
        #expect(got == Array(0..<count))
        #expect(try await ahead.next() == nil)
        #expect(source.concurrency.withLockedValue { $0.most } <= parallel)
    }

    /// With `parallel` 2, two jobs do run at once.
    @Test func jobsRunInParallel() async throws {
        let source = Numbers(count: 40, delay: { _ in 2_000 })
        let ahead = ReadAhead(depth: 4, parallel: 2) { try source.plan() }
        while try await ahead.next() != nil {}
        #expect(source.concurrency.withLockedValue { $0.most } == 2)
    }

    /// A job's error reaches the consumer after the chunks planned before it (even when later jobs finished
    /// first), and again on the next call.
    @Test(arguments: [1, 2])
    func anErrorFollowsTheChunksBeforeIt(_ parallel: Int) async throws {
        let source = Numbers(count: nil, failAt: 6, delay: { $0 == 6 ? 3_000 : 0 })
        let ahead = ReadAhead(depth: 3, parallel: parallel) { try source.plan() }
        var got: [Int] = []
        await #expect(throws: Broken.self) {
            while let b = try await ahead.next() { got.append(Self.number(b)) }
        }
        #expect(got == Array(0..<6))
        await #expect(throws: Broken.self) { _ = try await ahead.next() }
    }

    /// So does the planner's.
    @Test func aPlannerErrorFollowsTheChunksBeforeIt() async throws {
        let source = Numbers(count: nil, planFailsAt: 5)
        let ahead = ReadAhead(depth: 4, parallel: 2) { try source.plan() }
        var got: [Int] = []
        await #expect(throws: Broken.self) {
            while let b = try await ahead.next() { got.append(Self.number(b)) }
        }
        #expect(got == Array(0..<5))
        await #expect(throws: Broken.self) { _ = try await ahead.next() }
    }

    /// Planning pauses with `depth` chunks planned (a slow client holds no thread and no more memory) and goes on
    /// when the consumer takes one.
    @Test(arguments: [1, 2])
    func productionStopsDepthChunksAhead(_ parallel: Int) async throws {
        let source = Numbers(count: nil)
        let ahead = ReadAhead(depth: 3, parallel: parallel) { try source.plan() }
        try await Task.sleep(nanoseconds: 100_000_000)
        #expect(source.planned.withLockedValue { $0 } == 3)
        #expect(source.ran.withLockedValue { $0 } == 3)
        #expect(try await ahead.next().map(Self.number) == 0)
        try await Task.sleep(nanoseconds: 100_000_000)
        #expect(source.planned.withLockedValue { $0 } == 4)
        #expect(source.ran.withLockedValue { $0 } == 4)
    }

    /// After `cancel()` nothing more is planned and `next()` throws.
    @Test func cancelStopsProduction() async throws {
        let source = Numbers(count: nil)
        let ahead = ReadAhead(depth: 2, parallel: 2) { try source.plan() }
        _ = try await ahead.next()
        ahead.cancel()
        try await Task.sleep(nanoseconds: 50_000_000)
        let after = source.planned.withLockedValue { $0 }
        try await Task.sleep(nanoseconds: 50_000_000)
        #expect(source.planned.withLockedValue { $0 } == after)
        #expect(after <= 4)
        await #expect(throws: CancellationError.self) { _ = try await ahead.next() }
    }
}
