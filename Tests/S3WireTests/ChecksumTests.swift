import Testing

@testable import S3Wire

@Suite struct ChecksumTests {
    static func oneShot(_ algorithm: ChecksumAlgorithm, _ text: String) -> ChecksumHasher {
        var h = ChecksumHasher(algorithm)
        h.update(Array(text.utf8))
        return h
    }

    @Test(arguments: [
        (ChecksumAlgorithm.crc32, "123456789", "cbf43926", "y/Q5Jg=="),
        (.crc32c, "123456789", "e3069283", "4waSgw=="),
        (.crc64nvme, "123456789", "ae8b14860a799888", "rosUhgp5mIg="),
        (.sha1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d", "qZk+NkcGgWq6PiVxeFDCbJzQ2J0="),
        (.sha256, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="),
        (.crc32, "hello", "3610a686", "NhCmhg=="),
        (.crc32, "", "00000000", "AAAAAA=="),
        (.crc32c, "", "00000000", "AAAAAA=="),
        (.crc64nvme, "", "0000000000000000", "AAAAAAAAAAA="),
    ])
    func knownAnswers(_ algorithm: ChecksumAlgorithm, _ input: String, _ hex: String, _ base64: String) {
        let h = Self.oneShot(algorithm, input)
        #expect(h.finalizeRaw().hexString == hex)
        #expect(h.finalizeRaw().count == algorithm.digestLength)
        #expect(h.finalize() == base64)
        #expect(algorithm.isWellFormed(base64))
    }

    @Test(arguments: ChecksumAlgorithm.allCases)
    func incrementalEqualsOneShot(_ algorithm: ChecksumAlgorithm) {
        var data: [UInt8] = []
        var state: UInt32 = 12345
        for _ in 0..<100_003 {
            state = state &* 1_103_515_245 &+ 12345
            data.append(UInt8(truncatingIfNeeded: state >> 16))
        }
        var whole = ChecksumHasher(algorithm)
        whole.update(data)
        for pieceSize in [1, 7, 64, 4096, 65537] {
            var pieces = ChecksumHasher(algorithm)
            var i = 0
            while i < data.count {
                let end = min(i + pieceSize, data.count)
                data[i..<end].withUnsafeBytes { pieces.update($0) }
                i = end
            }
            #expect(pieces.finalizeRaw() == whole.finalizeRaw(), "piece size \(pieceSize)")
        }
        // Splitting "123456789" anywhere gives the known answer too.
        let text = Array("123456789".utf8)
        let expected = Self.oneShot(algorithm, "123456789").finalize()
        for cut in 0...text.count {
            var h = ChecksumHasher(algorithm)
            h.update(text[..<cut])
            h.update(text[cut...])
            #expect(h.finalize() == expected)
        }
    }

    @Test func finalizeDoesNotConsumeTheState() {
        var h = ChecksumHasher(.sha256)
        h.update(Array("ab".utf8))
        _ = h.finalize()
        h.update(Array("c".utf8))
        #expect(h.finalize() == "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=")
    }

    @Test func algorithmNames() {
        #expect(ChecksumAlgorithm(name: "crc32") == .crc32)
        #expect(ChecksumAlgorithm(name: "Crc32C") == .crc32c)
        #expect(ChecksumAlgorithm(name: "CRC64NVME") == .crc64nvme)
        #expect(ChecksumAlgorithm(name: "md5") == nil)
        #expect(ChecksumAlgorithm(headerName: "x-amz-checksum-sha256") == .sha256)
        #expect(ChecksumAlgorithm(headerName: "x-amz-checksum-crc64nvme") == .crc64nvme)
        #expect(ChecksumAlgorithm(headerName: "x-amz-checksum-algorithm") == nil)
        #expect(ChecksumAlgorithm(headerName: "content-md5") == nil)
        #expect(ChecksumAlgorithm.allCases.map(\.headerName) == [
            "x-amz-checksum-crc32", "x-amz-checksum-crc32c", "x-amz-checksum-crc64nvme", "x-amz-checksum-sha1", "x-amz-checksum-sha256",
        ])
        #expect(ChecksumAlgorithm.allCases.map(\.digestLength) == [4, 4, 8, 20, 32])
    }

    @Test func wellFormedValues() {
        #expect(ChecksumAlgorithm.crc32.isWellFormed("NhCmhg=="))
        #expect(!ChecksumAlgorithm.crc32.isWellFormed("NhCmhg"))
        #expect(!ChecksumAlgorithm.crc32.isWellFormed("rosUhgp5mIg="))
        #expect(!ChecksumAlgorithm.crc64nvme.isWellFormed("NhCmhg=="))
        #expect(!ChecksumAlgorithm.sha1.isWellFormed("not base64!"))
        #expect(!ChecksumAlgorithm.crc32.isWellFormed(""))
    }

    @Test func base64() {
        #expect(Base64.encode([UInt8]()) == "")
        #expect(Base64.encode(Array("hello".utf8)) == "aGVsbG8=")
        #expect(Base64.decode("aGVsbG8=") == Array("hello".utf8))
        #expect(Base64.decode("") == [])
        #expect(Base64.decode("aGVsbG8") == nil)
        #expect(Base64.decode("aGVs bG8=") == nil)
        #expect(Base64.decode("aGVsbG8*") == nil)
    }
}

/// The accelerated CRC64/NVME path against a bit-at-a-time reference, over lengths around every boundary it has.
@Suite struct CRC64NVMEAccelerationTests {
    static func reference(_ data: [UInt8]) -> UInt64 {
        var crc: UInt64 = ~0
        for byte in data {
            crc ^= UInt64(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x9A6C_9329_AC4B_C9B5 : crc >> 1 }
        }
        return ~crc
    }

    @Test func matchesReferenceForManyLengths() {
        var g = SystemRandomNumberGenerator()
        let data = (0..<5000).map { _ in UInt8.random(in: 0...255, using: &g) }
        for length in Array(0..<200) + [255, 256, 257, 1023, 1024, 1025, 4096, 4999] {
            var h = ChecksumHasher(.crc64nvme)
            h.update(data[0..<length])
            let expected = Self.reference(Array(data[0..<length]))
            let bytes = (0..<8).map { UInt8(expected >> (56 - 8 * UInt64($0)) & 0xff) }
            #expect(h.finalizeRaw() == bytes, "length \(length)")
        }
    }

    @Test func incrementalEqualsOneShotAcrossOddSplits() {
        var g = SystemRandomNumberGenerator()
        let data = (0..<3000).map { _ in UInt8.random(in: 0...255, using: &g) }
        var one = ChecksumHasher(.crc64nvme)
        one.update(data)
        for split in [1, 15, 16, 17, 63, 64, 65, 1000] {
            var inc = ChecksumHasher(.crc64nvme)
            inc.update(data[0..<split])
            inc.update(data[split...])
            #expect(inc.finalize() == one.finalize(), "split \(split)")
        }
    }
}
