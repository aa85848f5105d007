@testable import AtRestCrypto
import KeyCore
import Testing

/// Every alteration of stored bytes, keys or context must end in a typed error, never in plaintext.
@Suite struct TamperTests {
    /// Three 16-byte segments (the last one 8 bytes) under fixed keys.
    struct Sample {
        let keys: SegmentKeys
        let plaintext = [UInt8](0..<40)
        let stored: [UInt8]
        let segments: [[UInt8]]

        init(layers: Int, context: SegmentContext = objectContext()) throws {
            keys = try SegmentKeys(dataKey: Golden.dataKey, outerDataKey: layers == 2 ? Golden.outerDataKey : nil,
                                   salt: Golden.salt, context: context, segmentSize: 16)
            stored = try SegmentSealer.seal(plaintext, keys: keys)
            segments = try storedSegments(stored, keys: keys)
        }

        var opener: SegmentOpener { SegmentOpener(keys: keys) }
    }

    @Test(arguments: [1, 2])
    func everyFlippedBitFails(layers: Int) throws {
        let s = try Sample(layers: layers)
        #expect(try s.opener.openObject(s.stored) == s.plaintext)
        for i in s.stored.indices {
            for bit in [0, 7] {
                var bytes = s.stored
                bytes[i] ^= 1 << bit
                #expect(throws: AtRestCryptoError.self) { try s.opener.openObject(bytes) }
            }
        }
        // The cipher contexts are still good after all those failures.
        #expect(try s.opener.openObject(s.stored) == s.plaintext)
    }

    @Test(arguments: [1, 2])
    func reorderedSegmentsFail(layers: Int) throws {
        let s = try Sample(layers: layers)
        let swapped = s.segments[1] + s.segments[0] + s.segments[2]
        #expect(throws: AtRestCryptoError.authenticationFailed(segment: 0)) { try s.opener.openObject(swapped) }
        #expect(throws: AtRestCryptoError.authenticationFailed(segment: 1)) {
            try s.opener.open(s.segments[0], index: 1, isFinal: false)
        }
        #expect(throws: AtRestCryptoError.self) { try s.opener.open(s.segments[2], index: 1, isFinal: true) }
    }

    @Test(arguments: [1, 2])
    func truncationAndExtensionFail(layers: Int) throws {
        let s = try Sample(layers: layers)
        // The final segment dropped: segment 1 was sealed as not final.
        let truncated = s.segments[0] + s.segments[1]
        #expect(throws: AtRestCryptoError.authenticationFailed(segment: 1)) { try s.opener.openObject(truncated) }
        #expect(throws: AtRestCryptoError.authenticationFailed(segment: 1)) {
            try s.opener.open(s.segments[1], index: 1, isFinal: true)
        }
        // A segment appended after the final one: the old final segment now reads as not final.
        let extended = s.stored + s.segments[0]
        #expect(throws: AtRestCryptoError.self) { try s.opener.openObject(extended) }
        // Cut inside the last segment.
        #expect(throws: AtRestCryptoError.self) { try s.opener.openObject(Array(s.stored.dropLast(1))) }
        #expect(throws: AtRestCryptoError.invalidStoredSize(Int64(s.keys.overhead - 1))) {
            try s.opener.openObject(Array(repeating: 0, count: s.keys.overhead - 1))
        }
    }

    @Test(arguments: [
        objectContext("photos/dog.jpg"),
        objectContext(bucket: "other"),
        objectContext(mode: .sseS3),
        SegmentContext(mode: .sseKMS, bucket: "bucket", key: "photos/cat.jpg", uploadId: "u", partNumber: 1),
        SegmentContext(mode: .sseKMS, bucket: "bucket", key: "photos/cat.jpg", uploadId: "u"),
        SegmentContext(mode: .sseKMS, bucket: "bucketp", key: "hotos/cat.jpg"),
    ])
    func segmentsSplicedIntoAnotherContextFail(context: SegmentContext) throws {
        // Same data key and salt, other identity: nothing decrypts.
        let s = try Sample(layers: 1)
        let elsewhere = try SegmentKeys(dataKey: Golden.dataKey, salt: Golden.salt, context: context, segmentSize: 16)
        #expect(throws: AtRestCryptoError.self) { try SegmentOpener(keys: elsewhere).openObject(s.stored) }
        #expect(throws: AtRestCryptoError.authenticationFailed(segment: 0)) {
            try SegmentOpener(keys: elsewhere).open(s.segments[0], index: 0, isFinal: false)
        }
    }

    @Test func partsOfOneUploadDoNotMix() throws {
        let part = { (n: Int) in
            SegmentContext(mode: .sseKMS, bucket: "b", key: "k", uploadId: "upload", partNumber: n)
        }
        let one = try Sample(layers: 1, context: part(1))
        let two = try Sample(layers: 1, context: part(2))
        #expect(one.stored != two.stored)
        let spliced = one.segments[0] + two.segments[1] + one.segments[2]
        #expect(throws: AtRestCryptoError.authenticationFailed(segment: 1)) { try one.opener.openObject(spliced) }
    }

    @Test func segmentsFromAnotherObjectFail() throws {
        let keys = try freshKeys(segmentSize: 16)
        let other = try freshKeys(segmentSize: 16)
        let plaintext = randomBytes(40)
        let a = try storedSegments(SegmentSealer.seal(plaintext, keys: keys), keys: keys)
        let b = try storedSegments(SegmentSealer.seal(plaintext, keys: other), keys: other)
        #expect(throws: AtRestCryptoError.authenticationFailed(segment: 1)) {
            try SegmentOpener(keys: keys).openObject(a[0] + b[1] + a[2])
        }
    }

    @Test func wrongKeysSaltOrSegmentSizeFail() throws {
        let s = try Sample(layers: 1)
        let context = objectContext()
        let variants = [
            try SegmentKeys(dataKey: Golden.outerDataKey, salt: Golden.salt, context: context, segmentSize: 16),
            try SegmentKeys(dataKey: Golden.dataKey, salt: [UInt8](repeating: 0xA4, count: 32), context: context,
                            segmentSize: 16),
        ]
        for keys in variants {
            #expect(throws: AtRestCryptoError.authenticationFailed(segment: 0)) {
                try SegmentOpener(keys: keys).openObject(s.stored)
            }
        }
        let resized = try SegmentKeys(dataKey: Golden.dataKey, salt: Golden.salt, context: context, segmentSize: 20)
        #expect(throws: AtRestCryptoError.self) { try SegmentOpener(keys: resized).openObject(s.stored) }
        // Segment size enters the associated data: cutting the same bytes the same way under another size fails.
        let eight = try SegmentKeys(dataKey: Golden.dataKey, salt: Golden.salt, context: context, segmentSize: 24)
        #expect(throws: AtRestCryptoError.authenticationFailed(segment: 2)) {
            try SegmentOpener(keys: eight).open(s.segments[2], index: 2, isFinal: true)
        }
    }

    @Test func layersCannotBeSwappedOrPeeled() throws {
        let s = try Sample(layers: 2)
        let context = objectContext()
        let swapped = try SegmentKeys(dataKey: Golden.outerDataKey, outerDataKey: Golden.dataKey, salt: Golden.salt,
                                      context: context, segmentSize: 16)
        #expect(throws: AtRestCryptoError.authenticationFailed(segment: 0)) {
            try SegmentOpener(keys: swapped).openObject(s.stored)
        }
        // Either key alone, as a one-layer object, opens nothing (lengths differ, and so do keys and AAD).
        for key in [Golden.dataKey, Golden.outerDataKey] {
            let single = try SegmentKeys(dataKey: key, salt: Golden.salt, context: context, segmentSize: 16)
            #expect(throws: AtRestCryptoError.self) { try SegmentOpener(keys: single).openObject(s.stored) }
            #expect(throws: AtRestCryptoError.self) {
                try SegmentOpener(keys: single).open(Array(s.segments[0].dropLast(16)), index: 0, isFinal: false)
            }
        }
        // A one-layer object does not open as the inner layer of a DSSE object either.
        let one = try Sample(layers: 1)
        #expect(throws: AtRestCryptoError.self) { try s.opener.openObject(one.stored + [UInt8](repeating: 0, count: 48)) }
    }

    @Test func lengthsArePolicedBeforeDecrypting() throws {
        let s = try Sample(layers: 1)
        #expect(throws: AtRestCryptoError.invalidSegmentLength(segment: 0, length: 31)) {
            try s.opener.open(Array(s.segments[0].dropLast()), index: 0, isFinal: false)
        }
        #expect(throws: AtRestCryptoError.invalidSegmentLength(segment: 2, length: 16)) {
            try s.opener.open(Array(repeating: 0, count: 16), index: 2, isFinal: true)
        }
        #expect(throws: AtRestCryptoError.invalidSegmentLength(segment: 0, length: 33)) {
            try s.opener.open(s.segments[0] + [0], index: 0, isFinal: true)
        }
    }

    @Test(arguments: [1, 2])
    func aFailedSegmentLeavesNoPlaintext(layers: Int) throws {
        let s = try Sample(layers: layers)
        var bytes = s.segments[0]
        bytes[bytes.count - 1] ^= 1  // the outermost tag
        let result = bytes.withUnsafeMutableBytes { b in
            Result { () throws(AtRestCryptoError) in try s.opener.open(b, index: 0, isFinal: false) }
        }
        #expect(throws: AtRestCryptoError.authenticationFailed(segment: 0)) { try result.get() }
        #expect(bytes[0..<16].allSatisfy { $0 == 0 })
    }

    @Test func anInnerLayerFailureAfterTheOuterOpensLeavesNoPlaintext() throws {
        // Same outer key, salt and context, different inner key: the outer layer opens, the inner one fails.
        let s = try Sample(layers: 2)
        let otherInner = try SegmentKeys(dataKey: .random(count: 32), outerDataKey: Golden.outerDataKey,
                                         salt: Golden.salt, context: objectContext(), segmentSize: 16)
        var bytes = s.segments[0]
        let result = bytes.withUnsafeMutableBytes { b in
            Result { () throws(AtRestCryptoError) in
                try SegmentOpener(keys: otherInner).open(b, index: 0, isFinal: false)
            }
        }
        #expect(throws: AtRestCryptoError.authenticationFailed(segment: 0)) { try result.get() }
        #expect(bytes[0..<16].allSatisfy { $0 == 0 })
    }
}
