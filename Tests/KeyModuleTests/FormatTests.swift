import Crypto
import Foundation
import KeyCore
@testable import KeyModule
import Testing

@Suite struct EncryptionContextTests {
    @Test func lengthPrefixesKeepPairsApart() {
        #expect(EncryptionContext.canonical(["ab": "c"]) != EncryptionContext.canonical(["a": "bc"]))
        #expect(EncryptionContext.canonical([:]) == [])
        #expect(EncryptionContext.canonical(["b": "2", "a": "1"]) == [0, 0, 0, 1, 0x61, 0, 0, 0, 1, 0x31, 0, 0, 0, 1, 0x62, 0, 0, 0, 1, 0x32])
    }
}

@Suite struct CiphertextBlobTests {
    @Test func layoutMatchesTheDocumentedFormat() throws {
        let key = SymmetricKey(size: .bits256)
        let id = "1234abcd-12ab-34cd-56ef-1234567890ab"
        let blob = CiphertextBlob.seal(Array(repeating: 1, count: 32), keyId: id, materialIndex: 7, key: key, context: [])
        let bytes = blob.bytes
        #expect(bytes.count == 102)
        #expect(bytes[0] == 1 && bytes[1] == 36)
        #expect(Array(bytes[2..<38]) == Array(id.utf8))
        #expect(Array(bytes[38..<42]) == [0, 0, 0, 7])
        let parsed = try CiphertextBlob.parse(bytes)
        #expect(parsed == blob)
        #expect(try parsed.open(key: key, context: []) == Array(repeating: 1, count: 32))
    }

    @Test(arguments: [[UInt8](), [2], [1, 36], Array(repeating: 1, count: 50)])
    func malformedBlobsAreInvalidCiphertext(bytes: [UInt8]) {
        #expect(throws: KMSFault.invalidCiphertext) { try CiphertextBlob.parse(bytes) }
    }

    /// Blobs are standard AES-256-GCM: ones sealed through swift-crypto (as releases before the OpenSSL shim did)
    /// open, new ones open through swift-crypto, and any flipped byte of ciphertext, tag or context fails.
    @Test func blobsInteroperateWithSwiftCryptoGCM() throws {
        let key = SymmetricKey(size: .bits256)
        let context = EncryptionContext.canonical(["aws:s3:arn": "arn:aws:s3:::b/k"])
        for length in [0, 1, 32, 4096] {
            let plain = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            var old = CiphertextBlob(keyId: "k-1", materialIndex: 2, nonce: [], ciphertextAndTag: [])
            let nonce = AES.GCM.Nonce()
            let box = try AES.GCM.seal(plain, using: key, nonce: nonce, authenticating: old.header + context)
            old.nonce = Array(nonce)
            old.ciphertextAndTag = Array(box.ciphertext) + Array(box.tag)
            #expect(try CiphertextBlob.parse(old.bytes).open(key: key, context: context) == plain)

            let new = CiphertextBlob.seal(plain, keyId: "k-1", materialIndex: 2, key: key, context: context)
            let reopened = try AES.GCM.open(
                AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: new.nonce), ciphertext: new.ciphertextAndTag.dropLast(16),
                                  tag: new.ciphertextAndTag.suffix(16)),
                using: key, authenticating: new.header + context)
            #expect(Array(reopened) == plain)

            for i in [0, new.ciphertextAndTag.count / 2, new.ciphertextAndTag.count - 1] {
                var flipped = new
                flipped.ciphertextAndTag[i] ^= 0x01
                #expect(throws: KMSFault.invalidCiphertext) { try flipped.open(key: key, context: context) }
            }
            #expect(throws: KMSFault.invalidCiphertext) { try new.open(key: key, context: context.dropLast(1) + [0]) }
            #expect(throws: KMSFault.invalidCiphertext) { try new.open(key: SymmetricKey(size: .bits256), context: context) }
        }
    }

    /// `open` hands the nonce to C as a 12-byte array: any other length is refused before, never read past.
    @Test func aNonceOfAnotherLengthIsInvalidCiphertext() {
        let key = SymmetricKey(size: .bits256)
        var blob = CiphertextBlob.seal([1, 2, 3], keyId: "k", materialIndex: 0, key: key, context: [])
        for count in [0, 11, 13] {
            blob.nonce = Array(repeating: 0, count: count)
            #expect(throws: KMSFault.invalidCiphertext) { try blob.open(key: key, context: []) }
        }
    }

    @Test func aHeaderMovedToAnotherVersionFails() throws {
        let key = SymmetricKey(size: .bits256)
        var blob = CiphertextBlob.seal([9, 9], keyId: "k", materialIndex: 0, key: key, context: [])
        blob.materialIndex = 1
        #expect(throws: KMSFault.invalidCiphertext) { try blob.open(key: key, context: []) }
    }
}

@Suite struct KeyStoreFileTests {
    @Test func reopensWithTheSamePassphraseOnly() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("ks").path
        let pass = MasterKeySource.passphrase(SecretBytes(Array("right".utf8)))
        let e = try KeyEngine(storePath: path, masterKey: pass, auditPath: dir.appendingPathComponent("a").path, configuration: .init())
        let id = try e.newKey()
        let blob = try e.run("Encrypt", ["KeyId": id, "Plaintext": b64("persist")])["CiphertextBlob"]!
        let again = try KeyEngine(storePath: path, masterKey: pass, auditPath: dir.appendingPathComponent("a").path, configuration: .init())
        #expect(try again.run("Decrypt", ["CiphertextBlob": blob])["Plaintext"] as? String == b64("persist"))
        #expect(throws: KeyStoreFile.OpenError.self) {
            try KeyEngine(storePath: path, masterKey: .passphrase(SecretBytes(Array("wrong".utf8))),
                          auditPath: dir.appendingPathComponent("a").path, configuration: .init())
        }
    }

    @Test func theFileHoldsNoKeyMaterialInTheClear() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("ks").path
        let e = try KeyEngine(storePath: path, masterKey: .development, auditPath: dir.appendingPathComponent("a").path, configuration: .init())
        _ = try e.newKey()
        let material = e.lock.withLock { e.state.keys[0].materials[0].secret }
        let file = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(file.range(of: material) == nil)
        #expect(file.range(of: Data(material.base64EncodedString().utf8)) == nil)
        #expect(file.range(of: Data("materials".utf8)) == nil)
    }

    @Test func anEditedByteRefusesToOpen() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("ks").path
        _ = try KeyEngine(storePath: path, masterKey: .development, auditPath: dir.appendingPathComponent("a").path, configuration: .init()).newKey()
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count - 20] ^= 1
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect(throws: KeyStoreFile.OpenError.self) {
            try KeyEngine(storePath: path, masterKey: .development, auditPath: dir.appendingPathComponent("a").path, configuration: .init())
        }
    }
}

@Suite final class AuditLogTests {
    /// Removed when the test ends (each test has its own instance).
    private var directories: [URL] = []

    deinit { for d in directories { try? FileManager.default.removeItem(at: d) } }

    func trail() throws -> (KeyEngine, String) {
        let dir = try temporaryDirectory()
        directories.append(dir)
        let audit = dir.appendingPathComponent("audit.jsonl").path
        let e = try KeyEngine(storePath: dir.appendingPathComponent("ks").path, masterKey: .development, auditPath: audit, configuration: .init())
        let id = try e.newKey()
        let gdk = try e.run("GenerateDataKey", ["KeyId": id, "KeySpec": "AES_256", "EncryptionContext": ["aws:s3:arn": "arn:aws:s3:::b/k"]])
        _ = e.outcome("Decrypt", ["CiphertextBlob": gdk["CiphertextBlob"]!])
        #expect(!(try String(contentsOfFile: audit, encoding: .utf8)).contains(gdk["Plaintext"] as! String))
        return (e, audit)
    }

    @Test func recordsChainAndVerify() throws {
        let (_, path) = try trail()
        let summary = try AuditChain.verify(path: path)
        #expect(summary.records == 3)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines[1].contains(#""op":"GenerateDataKey""#) && lines[1].contains(#""context":{"aws:s3:arn":"arn:aws:s3:::b/k"}"#))
        #expect(lines[2].contains(#""result":"InvalidCiphertextException""#))
    }

    /// The exact bytes of a record, head file included (the expected line was computed outside Swift with Python's
    /// `json.dumps` and `hashlib`), with every kind of escape a caller name or context can need.
    @Test func aRecordHasTheDocumentedBytes() throws {
        let dir = try temporaryDirectory()
        directories.append(dir)
        let path = dir.appendingPathComponent("audit.jsonl").path
        let log = try AuditLog(path: path, clock: { Date(timeIntervalSince1970: 1_796_920_576.865) })
        log.append(AuditEvent(operation: "Decrypt", caller: "a\"b\\c\nd\te\u{1}é日", keyId: "k-1", keyVersion: 3,
                              context: ["z": "1", "aws:s3:arn": "arn:aws:s3:::b/k"]))
        let hash = "afdb741dfeb77ff1c3a92df72df9a8a507bf3ca5666d2f385db19ff21d52763f"
        let expected = #"{"seq":1,"time":"2026-12-10T16:36:16.865Z","op":"Decrypt","caller":"a\"b\\c\nd\te\u0001é日","keyId":"k-1","keyVersion":3,"context":{"aws:s3:arn":"arn:aws:s3:::b/k","z":"1"},"result":"ok","prev":""#
            + String(repeating: "0", count: 64) + #"","hash":""# + hash + "\"}\n"
        #expect(try String(contentsOfFile: path, encoding: .utf8) == expected)
        #expect(try String(contentsOfFile: AuditChain.headPath(path), encoding: .utf8) == "00000000000000000001 \(hash)\n")
        log.append(AuditEvent(operation: "ListKeys", caller: "x"))
        let second = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")[1]
        #expect(second.hasPrefix(#"{"seq":2,"time":"2026-12-10T16:36:16.865Z","op":"ListKeys","caller":"x","result":"ok","prev":"\#(hash)","hash":""#))
        #expect(try AuditChain.verify(path: path).records == 2)
    }

    @Test func anEditedLineIsDetected() throws {
        let (_, path) = try trail()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: "\"caller\":\"tester\"", with: "\"caller\":\"someone\"").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: AuditChain.Problem.self) { try AuditChain.verify(path: path) }
    }

    @Test func aDeletedLineIsDetected() throws {
        let (_, path) = try trail()
        var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        lines.remove(at: 1)
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: AuditChain.Problem.self) { try AuditChain.verify(path: path) }
    }

    @Test func recordsCutOffTheEndAreDetectedThroughTheHead() throws {
        let (_, path) = try trail()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        try (lines.dropLast().joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: AuditChain.Problem.self) { try AuditChain.verify(path: path) }
        // Without the head file only the chain itself can be checked, and a shorter whole chain passes.
        try FileManager.default.removeItem(atPath: AuditChain.headPath(path))
        #expect(try AuditChain.verify(path: path).records == 2)
    }

    @Test func aTornLastLineIsCutAtRestart() throws {
        let (_, path) = try trail()
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        h.seekToEndOfFile()
        h.write(Data("{\"seq\":4,\"time\":\"2026".utf8))
        try h.close()
        let again = try AuditLog(path: path, clock: { Date() })
        again.append(AuditEvent(operation: "ListKeys", caller: "later"))
        #expect(try AuditChain.verify(path: path).records == 4)
    }

    @Test func theChainContinuesAfterARestart() throws {
        let (e, path) = try trail()
        let again = try AuditLog(path: path, clock: { Date() })
        again.append(AuditEvent(operation: "DescribeKey", caller: "later"))
        _ = e
        #expect(try AuditChain.verify(path: path).records == 4)
    }
}
