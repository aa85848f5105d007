import Crypto
import Foundation
import KeyCore
import Testing

@testable import KeyProviders

/// A fresh directory under the system temporary directory, removed by `cleanup()`.
struct KeyTempDir {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("s3emu-keyprovider-tests-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func write(_ name: String, _ bytes: [UInt8], mode: Int = 0o600) throws -> String {
        let p = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: p)
        return p
    }

    func cleanup() { try? FileManager.default.removeItem(at: url) }
}

/// Runs `body` and returns the ``KMSFault`` it threw (nil when it threw none).
func fault<T>(_ body: () async throws(KMSFault) -> T) async -> KMSFault? {
    do {
        _ = try await body()
        return nil
    } catch {
        return error
    }
}

@Suite struct StaticKeyFileProviderTests {
    static let rootKey: [UInt8] = (0..<32).map { UInt8($0 &* 7 &+ 3) }
    static let context = ["aws:s3:arn": "arn:aws:s3:::bucket/key", "purpose": "test"]

    static func provider(_ key: [UInt8] = rootKey) throws -> StaticKeyFileProvider {
        try StaticKeyFileProvider(rootKey: SecretBytes(key))
    }

    @Test func keyIdIsDerivedFromTheHMACFingerprint() throws {
        let p = try Self.provider()
        let fingerprint = HMAC<SHA256>.authenticationCode(for: Array("s3emu fingerprint".utf8), using: SymmetricKey(data: Self.rootKey))
        let expected = SHA256.hash(data: Array(fingerprint)).prefix(8).map { String(format: "%02x", $0) }.joined()
        #expect(p.keyId == "static-file:" + expected)
        #expect(p.keyId.count == "static-file:".count + 16)
        // Not a plain hash of the key.
        let plain = SHA256.hash(data: Self.rootKey).prefix(8).map { String(format: "%02x", $0) }.joined()
        #expect(!p.keyId.hasSuffix(plain))
        #expect(p.name == "static-file")
        #expect(try Self.provider((0..<32).map { UInt8($0) }).keyId != p.keyId)
    }

    @Test func roundTripWithAContext() async throws {
        let p = try Self.provider()
        let dk = try await p.generateDataKey(keyId: nil, context: Self.context, caller: "test")
        #expect(dk.plaintext.count == 32)
        #expect(dk.sealed.count == StaticKeyFileProvider.sealedSize)
        #expect(dk.sealed.count == 69)
        #expect(dk.sealed[0] == 1)
        #expect(dk.keyId == p.keyId)
        // The header names the key: bytes 1..<9 are the 16 hex digits of the key id.
        #expect(p.keyId == "static-file:" + dk.sealed[1..<9].map { String(format: "%02x", $0) }.joined())
        let plain = try await p.decryptDataKey(dk.sealed, keyId: nil, context: Self.context, caller: "test")
        #expect(plain == dk.plaintext)
        let again = try await p.decryptDataKey(dk.sealed, keyId: p.keyId, context: Self.context, caller: "test")
        #expect(again == dk.plaintext)
        // A second data key is a different key under a different nonce.
        let other = try await p.generateDataKey(keyId: p.keyId, context: Self.context, caller: "test")
        #expect(other.plaintext != dk.plaintext)
        #expect(Array(other.sealed[9..<21]) != Array(dk.sealed[9..<21]))
    }

    @Test func emptyAndAbsentContextsAreTheSame() async throws {
        let p = try Self.provider()
        let dk = try await p.generateDataKey(keyId: "alias/aws/s3", context: [:], caller: "test")
        #expect(try await p.decryptDataKey(dk.sealed, keyId: nil, context: [:], caller: "test") == dk.plaintext)
    }

    @Test(arguments: [
        [String: String](), ["aws:s3:arn": "arn:aws:s3:::bucket/key"], ["aws:s3:arn": "arn:aws:s3:::bucket/key", "purpose": "Test"],
        ["aws:s3:arn": "arn:aws:s3:::bucket/key", "purpose": "test", "extra": ""],
    ])
    func aDifferentContextIsInvalidCiphertext(_ wrong: [String: String]) async throws {
        let p = try Self.provider()
        let dk = try await p.generateDataKey(keyId: nil, context: Self.context, caller: "test")
        let f = await fault { () async throws(KMSFault) in try await p.decryptDataKey(dk.sealed, keyId: nil, context: wrong, caller: "test") }
        #expect(f == KMSFault("InvalidCiphertextException", ""))
    }

    @Test func anotherRootKeyIsInvalidCiphertext() async throws {
        let dk = try await Self.provider().generateDataKey(keyId: nil, context: Self.context, caller: "test")
        let other = try Self.provider((0..<32).map { UInt8(255 - $0) })
        let f = await fault { () async throws(KMSFault) in try await other.decryptDataKey(dk.sealed, keyId: nil, context: Self.context, caller: "test") }
        #expect(f == .invalidCiphertext)
    }

    @Test func everyFlippedByteIsInvalidCiphertext() async throws {
        let p = try Self.provider()
        let dk = try await p.generateDataKey(keyId: nil, context: Self.context, caller: "test")
        for i in dk.sealed.indices {
            for bit in [0, 7] {
                var bad = dk.sealed
                bad[i] ^= UInt8(1 << bit)
                let f = await fault { () async throws(KMSFault) in try await p.decryptDataKey(bad, keyId: nil, context: Self.context, caller: "test") }
                #expect(f == .invalidCiphertext, "byte \(i) bit \(bit)")
            }
        }
    }

    @Test func truncatedOrExtendedBlobsAreInvalidCiphertext() async throws {
        let p = try Self.provider()
        let dk = try await p.generateDataKey(keyId: nil, context: Self.context, caller: "test")
        for n in 0..<dk.sealed.count {
            let cut = Array(dk.sealed.prefix(n))
            let f = await fault { () async throws(KMSFault) in try await p.decryptDataKey(cut, keyId: nil, context: Self.context, caller: "test") }
            #expect(f == .invalidCiphertext, "\(n) bytes")
        }
        let longer = dk.sealed + [0]
        let f = await fault { () async throws(KMSFault) in try await p.decryptDataKey(longer, keyId: nil, context: Self.context, caller: "test") }
        #expect(f == .invalidCiphertext)
    }

    @Test func aKeyIdMismatchIsIncorrectKey() async throws {
        let p = try Self.provider()
        let dk = try await p.generateDataKey(keyId: nil, context: Self.context, caller: "test")
        for wrong in ["static-file:0000000000000000", "alias/other", "arn:aws:kms:us-east-1:123456789012:key/abc"] {
            let f = await fault { () async throws(KMSFault) in try await p.decryptDataKey(dk.sealed, keyId: wrong, context: Self.context, caller: "test") }
            #expect(f?.type == "IncorrectKeyException")
        }
    }

    @Test func otherKeyIdsAreNotFound() async throws {
        let p = try Self.provider()
        let g = await fault { () async throws(KMSFault) in try await p.generateDataKey(keyId: "alias/nope", context: [:], caller: "test") }
        #expect(g?.type == "NotFoundException")
        let d = await fault { () async throws(KMSFault) in try await p.describeKey("static-file:0000000000000000", caller: "test") }
        #expect(d?.type == "NotFoundException")
    }

    @Test func describeKeyIsEnabled() async throws {
        let p = try Self.provider()
        for id in [nil, p.keyId, "alias/aws/s3"] as [String?] {
            let d = try await p.describeKey(id, caller: "test")
            #expect(d == KeyDescription(keyId: p.keyId, state: "Enabled"))
            #expect(d.enabled)
        }
    }

    @Test func aRootKeyOfTheWrongSizeIsRefused() {
        #expect(throws: KMSFault.self) { try StaticKeyFileProvider(rootKey: SecretBytes([UInt8](repeating: 1, count: 16))) }
    }

    // MARK: Key file

    static var fileForms: [(String, [UInt8])] {
        let hex = rootKey.map { String(format: "%02x", $0) }.joined()
        let b64 = Data(rootKey).base64EncodedString()
        return [
            ("raw", rootKey), ("raw + newline", rootKey + [0x0A]), ("hex", Array(hex.utf8)), ("hex + newline", Array((hex + "\n").utf8)),
            ("HEX + CRLF", Array((hex.uppercased() + "\r\n").utf8)), ("base64", Array(b64.utf8)), ("base64 + newline", Array((b64 + "\n").utf8)),
        ]
    }

    @Test func everyFileFormGivesTheSameKey() async throws {
        let dir = try KeyTempDir()
        defer { dir.cleanup() }
        let reference = try Self.provider()
        let dk = try await reference.generateDataKey(keyId: nil, context: Self.context, caller: "test")
        for (i, (form, bytes)) in Self.fileForms.enumerated() {
            let path = try dir.write("key\(i)", bytes)
            let p = try StaticKeyFileProvider(path: path)
            #expect(p.keyId == reference.keyId, "\(form)")
            #expect(p.path == path)
            #expect(try await p.decryptDataKey(dk.sealed, keyId: nil, context: Self.context, caller: "test") == dk.plaintext, "\(form)")
        }
    }

    @Test func createGeneratesAPrivateKeyFileOnce() async throws {
        let dir = try KeyTempDir()
        defer { dir.cleanup() }
        let path = dir.path("sub/dir/root.key")
        let first = try StaticKeyFileProvider(path: path, create: true)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let contents = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(contents.count == 65)
        #expect(contents.last == 0x0A)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path("sub/dir"))
        #expect(leftovers == ["root.key"])
        // Opening again (with or without create) reads the same key and does not replace it.
        let second = try StaticKeyFileProvider(path: path, create: true)
        let third = try StaticKeyFileProvider(path: path)
        #expect(second.keyId == first.keyId)
        #expect(third.keyId == first.keyId)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == contents)
        let dk = try await first.generateDataKey(keyId: nil, context: Self.context, caller: "test")
        #expect(try await third.decryptDataKey(dk.sealed, keyId: first.keyId, context: Self.context, caller: "test") == dk.plaintext)
    }

    @Test func aMissingFileWithoutCreateNamesThePath() throws {
        let dir = try KeyTempDir()
        defer { dir.cleanup() }
        let path = dir.path("absent.key")
        #expect {
            try StaticKeyFileProvider(path: path)
        } throws: { error in
            guard let f = error as? KMSFault else { return false }
            return f.type == "KeyUnavailableException" && f.message.contains(path) && f.message.contains("No such file")
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test(arguments: [
        Array("not a key at all\n".utf8), [UInt8](repeating: 0x41, count: 31), [UInt8](repeating: 0x41, count: 34), [],
        Array(String(repeating: "zz", count: 32).utf8), Array(Data([UInt8](repeating: 9, count: 31)).base64EncodedString().utf8),
        Array((String(repeating: "ab", count: 32) + "\n\n").utf8),
    ])
    func aMalformedFileNamesThePathNotTheContents(_ bytes: [UInt8]) throws {
        let dir = try KeyTempDir()
        defer { dir.cleanup() }
        let path = try dir.write("bad.key", bytes)
        #expect {
            try StaticKeyFileProvider(path: path, create: true)
        } throws: { error in
            guard let f = error as? KMSFault else { return false }
            let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return f.type == "KeyUnavailableException" && f.message.contains(path) && (text.count < 4 || !f.message.contains(text))
        }
    }

    @Test func aDirectoryIsNotAKeyFile() throws {
        let dir = try KeyTempDir()
        defer { dir.cleanup() }
        #expect {
            try StaticKeyFileProvider(path: dir.url.path, create: true)
        } throws: { error in
            (error as? KMSFault)?.message.contains(dir.url.path) == true
        }
    }
}
