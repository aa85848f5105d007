import ClientSideEncryption
import ClientSideTransfer
import Foundation
import KeyCore
import KeyProviders
import NIOCore
import S3EmulatorTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The embedding library, used the way a project's own tests would: the whole emulator in this process, real
/// clients against it over HTTP and HTTPS.
@Suite struct TestEmulatorTests {
    static func s3(_ emulator: TestEmulator, https: Bool = false) throws -> S3ObjectClient {
        try S3ObjectClient(
            endpoint: S3Endpoint(
                url: https ? emulator.httpsURL! : emulator.httpURL, region: emulator.region, accessKeyId: emulator.accessKeyId,
                secretAccessKey: emulator.secretAccessKey, caBundlePath: https ? emulator.caCertificatePath : nil))
    }

    static func kms(_ emulator: TestEmulator) throws -> ExternalKMSProvider {
        try ExternalKMSProvider(
            .init(endpoint: emulator.httpURL, region: emulator.region, accessKeyId: emulator.accessKeyId, secretAccessKey: emulator.secretAccessKey))
    }

    /// Everything under `directory`, concatenated (to look for plaintext at rest).
    static func storedBytes(under directory: URL) -> [UInt8] {
        var all: [UInt8] = []
        let files = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)
        while let url = files?.nextObject() as? URL {
            if let data = FileManager.default.contents(atPath: url.path) { all += data }
        }
        return all
    }

    @Test func servesS3OverHTTPAndHTTPSAndEncryptsAtRest() async throws {
        try await TestEmulator.with { emulator in
            #expect(emulator.httpURL.hasPrefix("http://127.0.0.1:"))
            #expect(emulator.httpsURL?.hasPrefix("https://127.0.0.1:") == true)
            let marker = Array("a plaintext marker that must not be stored: 7c1e9a".utf8)
            for https in [false, true] {
                let s3 = try Self.s3(emulator, https: https)
                try await s3.createBucket("embedded")
                let location = S3Location(bucket: "embedded", key: https ? "over-https" : "over-http")
                try await s3.putObject(location, body: ByteBuffer(bytes: marker), metadata: ["note": "hi"])
                let fetched = try await s3.getSmallObject(location)
                #expect(fetched?.1 == marker)
                #expect(fetched?.0.metadata["note"] == "hi")
                await s3.shutdown()
            }
            let stored = Self.storedBytes(under: emulator.dataDirectory.appendingPathComponent("store"))
            #expect(!stored.isEmpty)
            #expect(!Self.contains(stored, marker), "objects are SSE-S3 encrypted at rest by default")
        }
    }

    @Test func clientSideEncryptionEndToEndInProcess() async throws {
        try await TestEmulator.with { emulator in
            let kms = try Self.kms(emulator)
            let created = try await kms.call("CreateKey", ["Description": "embedded test"])
            let keyId = try #require((created["KeyMetadata"] as? [String: Any])?["KeyId"] as? String)
            let s3 = try Self.s3(emulator)
            try await s3.createBucket("cse")
            let client = S3EncryptionClient(s3: s3, cryptor: EnvelopeCryptor(keyring: KMSKeyring(provider: kms, keyId: keyId)))

            let directory = emulator.dataDirectory.appendingPathComponent("work")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let source = directory.appendingPathComponent("source.bin")
            let plaintext = (0..<(11 << 20) + 123).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
            #expect(FileManager.default.createFile(atPath: source.path, contents: Data(plaintext)))
            let fd = open(source.path, O_RDONLY)
            defer { close(fd) }
            var put = S3EncryptionClient.PutOptions()
            put.context = ["suite": "embedded"]
            put.partSize = 5 << 20
            let location = S3Location(bucket: "cse", key: "big.bin")
            let result = try await client.putObject(location, readingFrom: fd, options: put)
            #expect(result.parts == 3 && result.plaintextBytes == Int64(plaintext.count))

            let head = try await s3.headObject(location)
            #expect(head.contentLength == Int64(plaintext.count) + 16)
            #expect(head.metadata["x-amz-c"] == "115" && head.metadata["x-amz-w"] == "12")

            var get = S3EncryptionClient.GetOptions()
            get.context = ["suite": "embedded"]
            let output = directory.appendingPathComponent("out.bin")
            _ = try await client.getObject(location, to: output.path, options: get)
            #expect(FileManager.default.contents(atPath: output.path) == Data(plaintext))

            get.context = ["suite": "other"]
            let refused = directory.appendingPathComponent("refused.bin")
            await #expect(throws: ClientSideError.contextMismatch) { _ = try await client.getObject(location, to: refused.path, options: get) }
            #expect(!FileManager.default.fileExists(atPath: refused.path))
            await s3.shutdown()
            kms.shutdown()
        }
    }

    @Test func emulatorsAreIsolatedAndCleanedUp() async throws {
        let a = try await TestEmulator.start()
        let b = try await TestEmulator.start(.init())
        #expect(a.httpURL != b.httpURL && a.dataDirectory != b.dataDirectory)
        let s3 = try Self.s3(a)
        try await s3.createBucket("only-in-a")
        await s3.shutdown()
        let s3b = try Self.s3(b)
        await #expect(throws: ClientSideError.self) { _ = try await s3b.headObject(S3Location(bucket: "only-in-a", key: "x")) }
        await s3b.shutdown()
        await a.shutdown()
        await b.shutdown()
        #expect(!FileManager.default.fileExists(atPath: a.dataDirectory.path))
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if haystack[i..<i + needle.count].elementsEqual(needle) { return true }
        }
        return false
    }
}
