@testable import AtRestCrypto
import Crypto
import KeyCore
import Testing

@Suite struct SegmentRoundTripTests {
    static let sizes = [0, 1, 65_535, 65_536, 65_537, 3 * 65_536 + 5]
    static let chunks = [1, 7, 4096, 100_000]

    @Test(arguments: sizes, chunks)
    func roundTrips(size: Int, chunk: Int) throws {
        try roundTrip(size: size, chunk: chunk, layers: 1)
    }

    @Test(arguments: sizes, [7, 100_000])
    func roundTripsWithTwoLayers(size: Int, chunk: Int) throws {
        try roundTrip(size: size, chunk: chunk, layers: 2)
    }

    private func roundTrip(size: Int, chunk: Int, layers: Int) throws {
        let keys = try freshKeys(layers: layers)
        let plaintext = randomBytes(size)
        let (stored, segmentSizes) = try sealInChunks(plaintext, chunk: chunk, keys: keys)
        let layout = keys.layout(plaintextSize: Int64(size))
        let expectedSegments = max(1, (size + 65_535) / 65_536)
        #expect(layout.segmentCount == expectedSegments)
        #expect(stored.count == size + 16 * layers * expectedSegments)
        #expect(Int64(stored.count) == layout.storedSize)
        #expect(segmentSizes == (0..<expectedSegments).map { Int(layout.storedRange(ofSegment: $0).count) })

        // Segment by segment, as a GET does, and the whole object at once.
        let opener = SegmentOpener(keys: keys)
        var opened: [UInt8] = []
        for (i, segment) in try storedSegments(stored, keys: keys).enumerated() {
            opened += try opener.open(segment, index: i, isFinal: layout.isFinal(segment: i))
        }
        #expect(opened == plaintext)
        #expect(try opener.openObject(stored) == plaintext)
        #expect(try opener.openObject(SegmentSealer.seal(plaintext, keys: keys)) == plaintext)
    }

    @Test func chunkingDoesNotChangeTheBytes() throws {
        let keys = try freshKeys(segmentSize: 100)
        let plaintext = randomBytes(1234)
        let reference = try SegmentSealer.seal(plaintext, keys: keys)
        for chunk in [1, 2, 99, 100, 101, 200, 5000] {
            #expect(try sealInChunks(plaintext, chunk: chunk, keys: keys).stored == reference)
        }
    }

    @Test(arguments: [1, 2, 16, 17])
    func smallSegmentsRoundTripEveryLength(segmentSize: Int) throws {
        for layers in 1...2 {
            let keys = try freshKeys(layers: layers, segmentSize: segmentSize)
            for size in 0...(3 * segmentSize + 2) {
                let plaintext = randomBytes(size)
                let stored = try SegmentSealer.seal(plaintext, keys: keys)
                #expect(stored.count == size + 16 * layers * max(1, (size + segmentSize - 1) / segmentSize))
                #expect(try SegmentOpener(keys: keys).openObject(stored) == plaintext)
            }
        }
    }

    @Test func anEmptyObjectIsOneEmptyFinalSegment() throws {
        let keys = try freshKeys()
        let (stored, segments) = try sealInChunks([], chunk: 1, keys: keys)
        #expect(segments == [16])
        #expect(try SegmentOpener(keys: keys).open(stored, index: 0, isFinal: true) == [])
        #expect(throws: AtRestCryptoError.invalidSegmentLength(segment: 0, length: 16)) {
            try SegmentOpener(keys: keys).open(stored, index: 0, isFinal: false)
        }
    }

    @Test func matchesTheGoldenVectors() throws {
        // Computed independently from the pseudo-code in `AtRestFormat` (Python, `cryptography`).
        let context = objectContext()
        #expect(hexString(context.encoded) == """
            7333656d752061742d7265737420763120636f6e7465787402000000066275636b65740000000e70686f746f732f636174\
            2e6a70670000
            """)
        #expect(hexString(context.digest) == "163eb4f98aea04e176ab4db45df0b06c44658366f05640f3ca012aa36d255641")
        let part = SegmentContext(mode: .dsseKMS, bucket: "b", key: "k", uploadId: "upload-1", partNumber: 7)
        #expect(hexString(part.digest) == "3c8c5f35bb53930ae405d7574e872ed9bf434b01bb1541d9c4268f201f823516")

        let one = try SegmentKeys(dataKey: Golden.dataKey, salt: Golden.salt, context: context, segmentSize: 16)
        #expect(hexString(try SegmentSealer.seal(Golden.plaintext, keys: one)) == """
            ca434e671112b8f1b1f636babd4bb5a5a2eb9ebf837a4c882af9e0e1eacd85f4b71303120a09e56518298aa026332bfb\
            12904214ef3352955a29cf9912665467a6e03bcfe32507982715c0c59faf994ed198169d110110bb
            """)
        let dsse = try SegmentKeys(dataKey: Golden.dataKey, outerDataKey: Golden.outerDataKey, salt: Golden.salt,
                                   context: part, segmentSize: 16)
        #expect(hexString(try SegmentSealer.seal(Golden.plaintext, keys: dsse)) == """
            4725df7dbc6e7f91cf2e64a9ef517bcc124e28743002fea5fe61500b91a6bb2579023d536c3d555ae5e3f8078d164303\
            808df3d5e57683bb784c31640a7606490f64a6fc96158b44610fa48a92432c1a71b5a8d3778909cf75326d34f773b64e\
            ad19335b6ee1c5ea573ae42fbbda10527b941e4454a7ecf87f92f0415ed4acfce5f9fc23d4b051f4
            """)
        let empty = try SegmentKeys(dataKey: Golden.dataKey, salt: Golden.salt, context: context)
        #expect(hexString(try SegmentSealer.seal([], keys: empty)) == "5e81341c9e5722793730e9edb79dd040")
    }

    @Test func aNewSaltGivesUnrelatedBytes() throws {
        let context = objectContext()
        let a = try SegmentKeys(dataKey: Golden.dataKey, salt: AtRestFormat.newSalt(), context: context)
        let b = try SegmentKeys(dataKey: Golden.dataKey, salt: AtRestFormat.newSalt(), context: context)
        let plaintext = [UInt8](repeating: 0, count: 64)
        #expect(try SegmentSealer.seal(plaintext, keys: a) != SegmentSealer.seal(plaintext, keys: b))
    }

    @Test func readsARangeByThePlan() throws {
        let keys = try freshKeys(layers: 2, segmentSize: 16)
        let plaintext = randomBytes(100)
        let stored = try SegmentSealer.seal(plaintext, keys: keys)
        let layout = keys.layout(plaintextSize: 100)
        let opener = SegmentOpener(keys: keys)
        for first in stride(from: 0, to: 100, by: 3) {
            for last in first..<100 {
                let plan = try #require(layout.readPlan(for: Int64(first)...Int64(last)))
                var bytes = Array(stored[Int(plan.storedRange.lowerBound)..<Int(plan.storedRange.upperBound)])
                var out: [UInt8] = []
                var at = 0
                try bytes.withUnsafeMutableBytes { b in
                    for i in plan.segments {
                        let n = Int(layout.storedRange(ofSegment: i).count)
                        let segment = UnsafeMutableRawBufferPointer(rebasing: b[at..<(at + n)])
                        let count = try opener.open(segment, index: i, isFinal: plan.isFinal(segment: i))
                        out += segment[plan.keep(inSegment: i, plaintextCount: count)]
                        at += n
                    }
                }
                #expect(out == Array(plaintext[first...last]))
                #expect(Int64(out.count) == plan.plaintextCount)
            }
        }
    }
}
