@testable import AtRestCrypto
import Testing

/// One row of the range table: an object, a plaintext range, and the plan expected for it (nil: unsatisfiable).
struct RangeCase: Sendable, CustomStringConvertible {
    let name: String
    let size: Int64
    let layers: Int
    let range: ClosedRange<Int64>
    let plan: (segments: ClosedRange<Int>, stored: Range<Int64>, drop: Int, keep: Int, final: Bool)?
    var description: String { name }
}

let k64: Int64 = 65_536

let rangeTable: [RangeCase] = [
    RangeCase(name: "empty object, first byte", size: 0, layers: 1, range: 0...0, plan: nil),
    RangeCase(name: "one byte, first byte", size: 1, layers: 1, range: 0...0, plan: (0...0, 0..<17, 0, 1, true)),
    RangeCase(name: "one byte, past the end", size: 1, layers: 1, range: 1...1, plan: nil),
    RangeCase(name: "64 KiB, whole", size: k64, layers: 1, range: 0...(k64 - 1),
              plan: (0...0, 0..<65_552, 0, 65_536, true)),
    RangeCase(name: "64 KiB, last byte", size: k64, layers: 1, range: (k64 - 1)...(k64 - 1),
              plan: (0...0, 0..<65_552, 65_535, 65_536, true)),
    RangeCase(name: "64 KiB, first byte", size: k64, layers: 1, range: 0...0, plan: (0...0, 0..<65_552, 0, 1, true)),
    RangeCase(name: "64 KiB + 1, last byte", size: k64 + 1, layers: 1, range: k64...k64,
              plan: (1...1, 65_552..<65_569, 0, 1, true)),
    RangeCase(name: "64 KiB + 1, first byte", size: k64 + 1, layers: 1, range: 0...0,
              plan: (0...0, 0..<65_552, 0, 1, false)),
    RangeCase(name: "64 KiB + 1, the boundary pair", size: k64 + 1, layers: 1, range: (k64 - 1)...k64,
              plan: (0...1, 0..<65_569, 65_535, 1, true)),
    RangeCase(name: "64 KiB + 1, end beyond the object", size: k64 + 1, layers: 1, range: 0...k64 + 1, plan: nil),
    RangeCase(name: "3×64 KiB + 5, spanning three segments", size: 3 * k64 + 5, layers: 1, range: 65_530...131_080,
              plan: (0...2, 0..<196_656, 65_530, 9, false)),
    RangeCase(name: "3×64 KiB + 5, middle segment exactly", size: 3 * k64 + 5, layers: 1, range: k64...(2 * k64 - 1),
              plan: (1...1, 65_552..<131_104, 0, 65_536, false)),
    RangeCase(name: "3×64 KiB + 5, the last five bytes", size: 3 * k64 + 5, layers: 1, range: (3 * k64)...(3 * k64 + 4),
              plan: (3...3, 196_656..<196_677, 0, 5, true)),
    RangeCase(name: "3×64 KiB + 5, last byte", size: 3 * k64 + 5, layers: 1, range: (3 * k64 + 4)...(3 * k64 + 4),
              plan: (3...3, 196_656..<196_677, 4, 5, true)),
    RangeCase(name: "DSSE, 64 KiB + 1, last byte", size: k64 + 1, layers: 2, range: k64...k64,
              plan: (1...1, 65_568..<65_601, 0, 1, true)),
    RangeCase(name: "DSSE, 3×64 KiB + 5, from the second segment to the end", size: 3 * k64 + 5, layers: 2,
              range: (k64 + 10)...(3 * k64 + 4), plan: (1...3, 65_568..<196_741, 10, 5, true)),
]

@Suite struct SegmentLayoutTests {
    @Test(arguments: rangeTable)
    func plansRanges(c: RangeCase) {
        let layout = SegmentLayout(plaintextSize: c.size, layers: c.layers)
        let plan = layout.readPlan(for: c.range)
        guard let expected = c.plan else {
            #expect(plan == nil)
            return
        }
        guard let plan else {
            Issue.record("no plan")
            return
        }
        #expect(plan.segments == expected.segments)
        #expect(plan.storedRange == expected.stored)
        #expect(plan.dropFromFirst == expected.drop)
        #expect(plan.keepFromLast == expected.keep)
        #expect(plan.lastIsFinal == expected.final)
        #expect(plan.plaintextCount == c.range.upperBound - c.range.lowerBound + 1)
    }

    /// (plaintext size, segments, layers, stored size)
    static let counts: [(Int64, Int, Int, Int64)] = [
        (0, 1, 1, 16), (1, 1, 1, 17), (65_535, 1, 1, 65_551), (65_536, 1, 1, 65_552), (65_537, 2, 1, 65_569),
        (3 * 65_536 + 5, 4, 1, 196_677), (0, 1, 2, 32), (65_536, 1, 2, 65_568), (65_537, 2, 2, 65_601),
        (5_497_558_138_880, 83_886_080, 1, 5_498_900_316_160),  // 5 TiB, S3's largest object
    ]

    @Test(arguments: counts)
    func countsSegmentsAndStoredBytes(size: Int64, segments: Int, layers: Int, stored: Int64) throws {
        let layout = SegmentLayout(plaintextSize: size, layers: layers)
        #expect(layout.segmentCount == segments)
        #expect(layout.storedSize == stored)
        #expect(try SegmentLayout(storedSize: stored, layers: layers) == layout)
        #expect(layout.storedRange(ofSegment: segments - 1).upperBound == stored)
        #expect(layout.isFinal(segment: segments - 1))
        #expect(segments == 1 || !layout.isFinal(segment: segments - 2))
    }

    static let impossibleStoredSizes: [Int64] = [0, 15, 65_553, 65_552 + 16, 2 * 65_552 + 16, 2 * 65_552 + 15]

    @Test(arguments: impossibleStoredSizes)
    func rejectsStoredSizesNoObjectHas(stored: Int64) {
        #expect(throws: AtRestCryptoError.invalidStoredSize(stored)) { try SegmentLayout(storedSize: stored) }
    }

    @Test func theWholeObjectPlanCoversEmptyObjects() {
        let empty = SegmentLayout(plaintextSize: 0, layers: 2).wholeObjectPlan
        #expect(empty.segments == 0...0 && empty.storedRange == 0..<32 && empty.keepFromLast == 0)
        #expect(empty.lastIsFinal && empty.plaintextRange == nil && empty.plaintextCount == 0)
        let big = SegmentLayout(plaintextSize: 3 * k64 + 5).wholeObjectPlan
        #expect(big.segments == 0...3 && big.storedRange == 0..<196_677 && big.keepFromLast == 5)
        #expect(big.plaintextRange == 0...(3 * k64 + 4))
    }

    @Test func everyRangeOfSmallObjectsMatchesBruteForce() throws {
        // Segment size 4: check each plan against the segments that hold each byte.
        for layers in 1...2 {
            for size in Int64(0)...13 {
                let layout = SegmentLayout(plaintextSize: size, segmentSize: 4, layers: layers)
                let perSegment = Int64(4 + 16 * layers)
                for first in 0..<max(size, 1) {
                    for last in first..<max(size, 1) {
                        guard let plan = layout.readPlan(for: first...last) else {
                            #expect(size == 0)
                            continue
                        }
                        let segments = Int(first / 4)...Int(last / 4)
                        #expect(plan.segments == segments)
                        #expect(plan.storedRange.lowerBound == Int64(segments.lowerBound) * perSegment)
                        #expect(plan.storedRange.upperBound
                            == min(Int64(segments.upperBound + 1) * perSegment, layout.storedSize))
                        var kept: Int64 = 0
                        for i in segments {
                            kept += Int64(plan.keep(inSegment: i, plaintextCount: layout.plaintextCount(ofSegment: i)).count)
                        }
                        #expect(kept == last - first + 1)
                    }
                }
            }
        }
    }
}
