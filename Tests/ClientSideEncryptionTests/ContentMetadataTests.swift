@testable import ClientSideEncryption
import Testing

@Suite struct ContentMetadataTests {
    static let v3: [String: String] = [
        "x-amz-c": "115", "x-amz-3": "AAECAw==", "x-amz-w": "12", "x-amz-t": "{\"aws:x-amz-cek-alg\": \"115\"}",
        "x-amz-d": "tOA0ltwKVBomR2Rf1Ge5VCvy8gQ9tUyhUAbGMg==", "x-amz-i": "sF7oQ4rducWNvYmwtWF13SCye1BxN3NH0MsquA==",
    ]
    static let v2: [String: String] = [
        "x-amz-cek-alg": "AES/GCM/NoPadding", "x-amz-iv": "xkgFiyfiiNKQdBkH", "x-amz-key-v2": "AAECAw==",
        "x-amz-matdesc": "{\"aws:x-amz-cek-alg\":\"AES/GCM/NoPadding\"}", "x-amz-tag-len": "128", "x-amz-wrap-alg": "kms+context",
    ]
    static let v1: [String: String] = ["x-amz-key": "AAECAw==", "x-amz-iv": "AAAAAAAAAAAAAAAAAAAAAA==", "x-amz-matdesc": "{}"]

    struct LocateCase: CustomTestStringConvertible, Sendable {
        let name: String
        let metadata: [String: String]
        let expected: ContentMetadata.Location?
        var testDescription: String { name }
    }

    static let locateCases: [LocateCase] = [
        .init(name: "V3", metadata: v3, expected: .object(.v3)),
        .init(name: "V3 with S3 prefix and upper case", metadata: Dictionary(uniqueKeysWithValues: v3.map { ("X-Amz-Meta-\($0.key.uppercased())", $0.value) }), expected: .object(.v3)),
        .init(name: "V2", metadata: v2, expected: .object(.v2)),
        .init(name: "V1", metadata: v1, expected: .object(.v1)),
        .init(name: "V3 content keys only → instruction file", metadata: v3.filter { ["x-amz-c", "x-amz-d", "x-amz-i"].contains($0.key) }, expected: .instructionFile),
        .init(name: "nothing → instruction file", metadata: ["color": "blue"], expected: .instructionFile),
        .init(name: "V2 + V3 key → refused", metadata: v2.merging(["x-amz-3": "AA=="]) { a, _ in a }, expected: nil),
        .init(name: "V1 + V2 key → refused", metadata: v1.merging(["x-amz-key-v2": "AA=="]) { a, _ in a }, expected: nil),
        .init(name: "V2 + V3 content key → refused", metadata: v2.merging(["x-amz-d": "AA=="]) { a, _ in a }, expected: nil),
        .init(name: "V1 + x-amz-w → refused", metadata: v1.merging(["x-amz-w": "02"]) { a, _ in a }, expected: nil),
    ]

    @Test(arguments: locateCases)
    func locate(_ c: LocateCase) {
        if let expected = c.expected {
            #expect((try? ContentMetadata.locate(c.metadata)) == expected)
        } else {
            #expect(throws: ClientSideError.self) { try ContentMetadata.locate(c.metadata) }
        }
    }

    @Test func parsesTheObservedV3AndV2Objects() throws {
        let v3 = try ContentMetadata.parse(object: Self.v3)
        #expect(v3.version == .v3 && v3.wrapAlgorithm == .kmsContext && v3.contentCipher == .aesGCMCommitting)
        #expect(v3.context == ["aws:x-amz-cek-alg": "115"] && v3.callerContext.isEmpty)
        #expect(v3.commitment?.count == 28 && v3.messageID?.count == 28 && v3.encryptedDataKey == [0, 1, 2, 3])
        let v2 = try ContentMetadata.parse(object: Self.v2)
        #expect(v2.version == .v2 && v2.iv.count == 12 && v2.wrapAlgorithm == .kmsContext && v2.contentCipher == .aesGCM)
        let v1 = try ContentMetadata.parse(object: Self.v1)
        #expect(v1.version == .v1 && v1.contentCipher == .aesCBC && v1.wrapAlgorithm == .v1AESECB && v1.iv.count == 16)
    }

    struct BadCase: CustomTestStringConvertible, Sendable {
        let name: String
        let metadata: [String: String]
        let message: String
        var testDescription: String { name }
    }

    static let badCases: [BadCase] = [
        .init(name: "V3 without x-amz-w", metadata: v3.filter { $0.key != "x-amz-w" }, message: "malformed encryption metadata: x-amz-w is missing"),
        .init(name: "V3 unknown wrap code", metadata: v3.merging(["x-amz-w": "99"]) { _, b in b }, message: "unsupported: V3 wrap algorithm code 99"),
        .init(name: "V3 unknown suite", metadata: v3.merging(["x-amz-c": "114"]) { _, b in b }, message: "unsupported: V3 content cipher 114"),
        .init(name: "V3 short commitment", metadata: v3.merging(["x-amz-d": "AAAA"]) { _, b in b }, message: "malformed encryption metadata: x-amz-d is not 28 bytes"),
        .init(name: "V3 bad base64", metadata: v3.merging(["x-amz-3": "%%%"]) { _, b in b }, message: "malformed encryption metadata: x-amz-3 is not base64"),
        .init(name: "V3 context not JSON", metadata: v3.merging(["x-amz-t": "tenant=acme"]) { _, b in b }, message: "malformed encryption metadata: x-amz-t is not a JSON object"),
        .init(name: "V2 tag length 96", metadata: v2.merging(["x-amz-tag-len": "96"]) { _, b in b }, message: "unsupported: GCM tag length 96"),
        .init(name: "V2 unknown wrap", metadata: v2.merging(["x-amz-wrap-alg": "ROT13"]) { _, b in b }, message: "unsupported: key wrap algorithm ROT13"),
        .init(name: "V2 16-byte IV for GCM", metadata: v2.merging(["x-amz-iv": "AAAAAAAAAAAAAAAAAAAAAA=="]) { _, b in b }, message: "malformed encryption metadata: x-amz-iv is 16 bytes, not 12"),
        .init(name: "V2 matdesc value not a string", metadata: v2.merging(["x-amz-matdesc": "{\"a\": 1}"]) { _, b in b }, message: "malformed encryption metadata: x-amz-matdesc has a value that is not a string"),
        .init(name: "plain object", metadata: ["color": "blue"], message: "not a client-side-encrypted object (no S3 Encryption Client metadata and no instruction file)"),
    ]

    @Test(arguments: badCases)
    func refusesBadMetadata(_ c: BadCase) {
        do {
            _ = try ContentMetadata.parse(object: c.metadata)
            Issue.record("parsed")
        } catch {
            #expect(error.description == c.message)
        }
    }

    @Test func instructionFileLayouts() throws {
        // V3: c, d, i stay on the object; 3, w, t go to the file.
        let full = try ContentMetadata.parse(object: Self.v3)
        let split = full.encoded(instructionFile: true)
        #expect(Set(split.object.keys) == ["x-amz-c", "x-amz-d", "x-amz-i"])
        #expect(Set(split.instructionFile!.keys) == ["x-amz-3", "x-amz-w", "x-amz-t"])
        var back = try ContentMetadata.parse(object: split.object, instructionFile: split.instructionFile)
        #expect(back.fromInstructionFile)
        back.fromInstructionFile = false
        #expect(back == full)
        // V2: everything goes to the file.
        let v2 = try ContentMetadata.parse(object: Self.v2).encoded(instructionFile: true)
        #expect(v2.object.isEmpty && v2.instructionFile!.count == 6)
        #expect(try ContentMetadata.parse(object: [:], instructionFile: v2.instructionFile).version == .v2)
        // A file holding c/d/i, or V2 keys split across object and file, is refused.
        #expect(throws: ClientSideError.self) {
            try ContentMetadata.parse(object: split.object, instructionFile: split.instructionFile!.merging(["x-amz-c": "115"]) { a, _ in a })
        }
        #expect(throws: ClientSideError.self) {
            try ContentMetadata.parse(object: ["x-amz-iv": "AAAA"], instructionFile: v2.instructionFile)
        }
    }

    @Test func jsonMapsAreWrittenThePythonWayAndReadEitherWay() throws {
        #expect(JSONMap.encode(["b": "2", "a": "1"]) == "{\"a\": \"1\", \"b\": \"2\"}")
        #expect(JSONMap.encode([:]) == "{}")
        #expect(JSONMap.encode(["q": "say \"hi\"\\", "é": "ü"]) == "{\"q\": \"say \\\"hi\\\"\\\\\", \"\\u00e9\": \"\\u00fc\"}")
        #expect(try JSONMap.decode("{\"a\":\"1\",\"b\":\"2\"}", name: "x") == ["a": "1", "b": "2"])
        #expect(try JSONMap.decode(JSONMap.encode(["é": "ü\n"]), name: "x") == ["é": "ü\n"])
    }

    @Test func kmsBlobKeyHints() {
        let ours: [UInt8] = [1, 8] + Array("abcd-123".utf8) + [UInt8](repeating: 0, count: 4 + 12 + 16 + 32)
        #expect(KMSBlobKeyHint.keyId(in: ours) == "abcd-123")
        let moto = Array("8ce668aa-f0ec-4f51-9ff6-cd7d352f1aba".utf8) + [UInt8](repeating: 9, count: 60)
        #expect(KMSBlobKeyHint.keyId(in: moto) == "8ce668aa-f0ec-4f51-9ff6-cd7d352f1aba")
        #expect(KMSBlobKeyHint.keyId(in: [UInt8](repeating: 0x41, count: 100)) == nil)
    }
}
