import Foundation
import KeyCore
import Testing

@testable import KeyProviders

/// SoftHSM2's module and tool, where Debian, Ubuntu and Homebrew put them.
private enum SoftHSM {
    static let library = [
        "/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
        "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so", "/usr/local/lib/softhsm/libsofthsm2.so",
        "/opt/homebrew/lib/softhsm/libsofthsm2.so",
    ].first { FileManager.default.fileExists(atPath: $0) }

    static let util = ["/usr/bin/softhsm2-util", "/usr/local/bin/softhsm2-util", "/opt/homebrew/bin/softhsm2-util"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    static var installed: Bool { library != nil && util != nil }

    /// `S3EMU_REQUIRE_SOFTHSM=1` turns a missing SoftHSM2 from a skip into a failure.
    static var required: Bool { ProcessInfo.processInfo.environment["S3EMU_REQUIRE_SOFTHSM"] == "1" }
}

/// A SoftHSM2 token directory of its own, with one or more initialised tokens.
///
/// SoftHSM reads `SOFTHSM2_CONF` at `C_Initialize`. The suite is serialised and every test closes its providers, so
/// the library is finalised between tests and the next test's `C_Initialize` reads the next test's configuration.
private struct SoftHSMTokens {
    static let userPIN = "1234"
    static let soPIN = "5678"

    let dir: URL

    /// Creates the directory and configuration, points `SOFTHSM2_CONF` at it and initialises a token per label.
    init(labels: [String]) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("s3emu-pkcs11-tests-" + UUID().uuidString)
        let tokens = dir.appendingPathComponent("tokens")
        try FileManager.default.createDirectory(at: tokens, withIntermediateDirectories: true)
        let conf = dir.appendingPathComponent("softhsm2.conf")
        try """
        directories.tokendir = \(tokens.path)
        objectstore.backend = file
        log.level = ERROR
        slots.removable = false

        """.write(to: conf, atomically: true, encoding: .utf8)
        setenv("SOFTHSM2_CONF", conf.path, 1)
        for label in labels {
            try Self.run(["--init-token", "--free", "--label", label, "--pin", Self.userPIN, "--so-pin", Self.soPIN], conf: conf)
        }
    }

    func cleanup() { try? FileManager.default.removeItem(at: dir) }

    func configuration(token: String, pin: String = userPIN, rootKeyLabel: String = "s3emu-root") throws -> PKCS11KeyProvider.Configuration {
        let library = try #require(SoftHSM.library, "SoftHSM2 (libsofthsm2.so) is not installed")
        return PKCS11KeyProvider.Configuration(libraryPath: library, tokenLabel: token, userPIN: pin, rootKeyLabel: rootKeyLabel)
    }

    struct ToolFailed: Error, CustomStringConvertible {
        var description: String
    }

    private static func run(_ arguments: [String], conf: URL) throws {
        guard let util = SoftHSM.util else { throw ToolFailed(description: "softhsm2-util is not installed") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: util)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SOFTHSM2_CONF"] = conf.path
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ToolFailed(description: "softhsm2-util \(arguments.prefix(3).joined(separator: " ")) failed: \(text)")
        }
    }
}

/// The fault a throwing async call gave, or nil when it succeeded.
private func fault<T>(_ body: () async throws -> T) async -> KMSFault? {
    do {
        _ = try await body()
        return nil
    } catch let fault as KMSFault {
        return fault
    } catch {
        return KMSFault("UnexpectedError", "\(error)")
    }
}

@Suite(.serialized, .enabled(if: SoftHSM.installed || SoftHSM.required, "SoftHSM2 is not installed (S3EMU_REQUIRE_SOFTHSM=1 makes this a failure)"))
struct PKCS11KeyProviderTests {
    let context = ["aws:s3:arn": "arn:aws:s3:::bucket/key", "purpose": "test"]

    @Test func softHSMIsInstalled() {
        #expect(SoftHSM.library != nil, "libsofthsm2.so not found")
        #expect(SoftHSM.util != nil, "softhsm2-util not found")
    }

    @Test func sealsAndUnsealsADataKey() async throws {
        let tokens = try SoftHSMTokens(labels: ["s3emu roundtrip"])
        defer { tokens.cleanup() }
        let provider = try PKCS11KeyProvider(configuration: tokens.configuration(token: "s3emu roundtrip"))
        defer { provider.close() }

        #expect(provider.name == "pkcs11")
        #expect(provider.generatedRootKey)
        #expect(provider.keyId == "pkcs11:token=s3emu%20roundtrip;object=s3emu-root")

        let key = try await provider.generateDataKey(keyId: nil, context: context, caller: "test")
        #expect(key.plaintext.count == 32)
        #expect(key.keyId == provider.keyId)
        #expect(key.keyVersion == nil)
        // 0x01 ‖ u8 10 ‖ "s3emu-root" ‖ iv(12) ‖ ciphertext(32) ‖ tag(16)
        #expect(key.sealed.count == 72)
        let header: [UInt8] = [0x01, 10] + Array("s3emu-root".utf8)
        #expect(Array(key.sealed.prefix(12)) == header)
        let plaintextInBlob = key.plaintext.withBytes { plaintext in
            (0...(key.sealed.count - 32)).contains { Array(key.sealed[$0..<($0 + 32)]) == plaintext }
        }
        #expect(!plaintextInBlob)

        for keyId in [nil, provider.keyId, "s3emu-root", "pkcs11:object=s3emu-root", "pkcs11:object=s3emu%2Droot;token=s3emu%20roundtrip"] {
            let plaintext = try await provider.decryptDataKey(key.sealed, keyId: keyId, context: context, caller: "test")
            #expect(plaintext == key.plaintext)
        }
        // Same context in another order of insertion: still the same canonical form.
        let reordered = Dictionary(uniqueKeysWithValues: context.reversed().map { ($0.key, $0.value) })
        #expect(try await provider.decryptDataKey(key.sealed, keyId: nil, context: reordered, caller: "test") == key.plaintext)

        let other = try await provider.generateDataKey(keyId: provider.keyId, context: [:], caller: "test")
        #expect(other.plaintext != key.plaintext)
        #expect(Array(other.sealed[12..<24]) != Array(key.sealed[12..<24]), "a fresh IV each time")
        #expect(try await provider.decryptDataKey(other.sealed, keyId: nil, context: [:], caller: "test") == other.plaintext)

        #expect(try await provider.describeKey(nil, caller: "test") == KeyDescription(keyId: provider.keyId, state: "Enabled"))
        #expect(try await provider.describeKey("s3emu-root", caller: "test").enabled)
    }

    @Test func anotherContextOrAChangedByteIsInvalidCiphertext() async throws {
        let tokens = try SoftHSMTokens(labels: ["s3emu tamper"])
        defer { tokens.cleanup() }
        let provider = try PKCS11KeyProvider(configuration: tokens.configuration(token: "s3emu tamper"))
        defer { provider.close() }
        let key = try await provider.generateDataKey(keyId: nil, context: context, caller: "test")
        let invalid = KMSFault("InvalidCiphertextException", "")

        var contexts: [[String: String]] = [[:], ["purpose": "test"], context.merging(["extra": "x"]) { a, _ in a }]
        contexts.append(context.merging(["purpose": "other"]) { _, b in b })
        for other in contexts {
            #expect(await fault { try await provider.decryptDataKey(key.sealed, keyId: nil, context: other, caller: "t") } == invalid)
        }

        for index in key.sealed.indices {
            var flipped = key.sealed
            flipped[index] ^= 0x01
            let result = await fault { try await provider.decryptDataKey(flipped, keyId: nil, context: context, caller: "t") }
            #expect(result == invalid, "flipping byte \(index)")
        }
        for length in [0, 1, 2, 12, 24, key.sealed.count - 1] {
            let truncated = Array(key.sealed.prefix(length))
            #expect(await fault { try await provider.decryptDataKey(truncated, keyId: nil, context: context, caller: "t") } == invalid)
        }
        #expect(await fault { try await provider.decryptDataKey(key.sealed + [0], keyId: nil, context: context, caller: "t") } == invalid)
        var version2 = key.sealed
        version2[0] = 2
        #expect(await fault { try await provider.decryptDataKey(version2, keyId: nil, context: context, caller: "t") } == invalid)

        // The session is still good after all those failures.
        #expect(try await provider.decryptDataKey(key.sealed, keyId: nil, context: context, caller: "t") == key.plaintext)
    }

    @Test func anotherKeyIdIsRefused() async throws {
        let tokens = try SoftHSMTokens(labels: ["s3emu keyids"])
        defer { tokens.cleanup() }
        let provider = try PKCS11KeyProvider(configuration: tokens.configuration(token: "s3emu keyids"))
        defer { provider.close() }
        let key = try await provider.generateDataKey(keyId: nil, context: context, caller: "test")

        for other in ["other-key", "pkcs11:token=s3emu%20keyids;object=other-key", "pkcs11:token=elsewhere;object=s3emu-root",
                      "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"] {
            let decrypt = await fault { try await provider.decryptDataKey(key.sealed, keyId: other, context: context, caller: "t") }
            #expect(decrypt?.type == "IncorrectKeyException", "\(other)")
            let generate = await fault { try await provider.generateDataKey(keyId: other, context: context, caller: "t") }
            #expect(generate == KMSFault.notFound("Key '\(other)' does not exist"))
            let describe = await fault { try await provider.describeKey(other, caller: "t") }
            #expect(describe?.type == "NotFoundException")
        }
    }

    @Test func aReopenedProviderFindsTheSameRootKey() async throws {
        let tokens = try SoftHSMTokens(labels: ["s3emu reopen", "s3emu other"])
        defer { tokens.cleanup() }
        let first = try PKCS11KeyProvider(configuration: tokens.configuration(token: "s3emu reopen"))
        let key: DataKey
        do {
            defer { first.close() }
            #expect(first.generatedRootKey)
            key = try await first.generateDataKey(keyId: nil, context: context, caller: "test")
        }
        // Closed: further calls are refused.
        #expect(await fault { try await first.describeKey(nil, caller: "t") }?.type == "KeyUnavailableException")

        let second = try PKCS11KeyProvider(configuration: tokens.configuration(token: "s3emu reopen"))
        defer { second.close() }
        #expect(!second.generatedRootKey, "found the root key the first provider made")
        #expect(second.keyId == first.keyId)
        #expect(try await second.decryptDataKey(key.sealed, keyId: first.keyId, context: context, caller: "test") == key.plaintext)

        // Two providers at once (one library initialisation between them); a root key of the same label on another
        // token is another key.
        let other = try PKCS11KeyProvider(configuration: tokens.configuration(token: "s3emu other"))
        defer { other.close() }
        #expect(other.generatedRootKey)
        #expect(await fault { try await other.decryptDataKey(key.sealed, keyId: nil, context: context, caller: "t") }
                == KMSFault("InvalidCiphertextException", ""))
        #expect(try await second.decryptDataKey(key.sealed, keyId: nil, context: context, caller: "test") == key.plaintext)
    }

    @Test func theRootKeyStaysOnTheToken() async throws {
        let tokens = try SoftHSMTokens(labels: ["s3emu attrs"])
        defer { tokens.cleanup() }
        let provider = try PKCS11KeyProvider(configuration: tokens.configuration(token: "s3emu attrs", rootKeyLabel: "root key/α"))
        defer { provider.close() }
        #expect(provider.keyId == "pkcs11:token=s3emu%20attrs;object=root%20key%2F%CE%B1")
        let attributes = try provider.rootKeyAttributes()
        #expect(attributes.sensitive)
        #expect(!attributes.extractable)
        #expect(attributes.alwaysSensitive)
        #expect(attributes.neverExtractable)
        #expect(attributes.valueLength == 32)
        #expect(attributes.valueRequest == .attributeSensitive)
        #expect(attributes.valueRequest.description == "CKR_ATTRIBUTE_SENSITIVE")

        let key = try await provider.generateDataKey(keyId: "root key/α", context: [:], caller: "test")
        #expect(try await provider.decryptDataKey(key.sealed, keyId: provider.keyId, context: [:], caller: "test") == key.plaintext)
    }

    @Test func aWrongPINIsUnavailableAndNeverShown() async throws {
        let tokens = try SoftHSMTokens(labels: ["s3emu pin"])
        defer { tokens.cleanup() }
        let wrongPIN = "wrong-pin-738291"
        let configuration = try tokens.configuration(token: "s3emu pin", pin: wrongPIN)
        #expect(!"\(configuration)".contains(wrongPIN))
        #expect(!String(reflecting: configuration).contains(wrongPIN))
        var dumped = ""
        dump(configuration, to: &dumped)
        #expect(!dumped.contains(wrongPIN))

        let error = #expect(throws: KMSFault.self) { try PKCS11KeyProvider(configuration: configuration) }
        #expect(error?.type == "KeyUnavailableException")
        #expect(error?.message.contains("s3emu pin") == true)
        #expect(error?.message.contains("CKR_PIN_INCORRECT") == true)
        #expect(error.map { !"\($0)".contains(wrongPIN) && !$0.message.contains(wrongPIN) } == true)

        // The right PIN still works afterwards.
        let provider = try PKCS11KeyProvider(configuration: tokens.configuration(token: "s3emu pin"))
        provider.close()
    }

    @Test func anUnknownTokenOrLibraryIsUnavailable() async throws {
        let tokens = try SoftHSMTokens(labels: ["s3emu present"])
        defer { tokens.cleanup() }
        let library = try #require(SoftHSM.library)

        let noToken = #expect(throws: KMSFault.self) { try PKCS11KeyProvider(configuration: tokens.configuration(token: "s3emu absent")) }
        #expect(noToken?.type == "KeyUnavailableException")
        #expect(noToken?.message.contains("'s3emu absent'") == true)
        #expect(noToken?.message.contains(library) == true)

        let missing = "/nonexistent/libpkcs11-\(UUID().uuidString).so"
        let noLibrary = #expect(throws: KMSFault.self) {
            try PKCS11KeyProvider(configuration: .init(libraryPath: missing, tokenLabel: "s3emu present", userPIN: SoftHSMTokens.userPIN))
        }
        #expect(noLibrary?.type == "KeyUnavailableException")
        #expect(noLibrary?.message.contains(missing) == true)
        #expect(noLibrary.map { !$0.message.contains(SoftHSMTokens.userPIN) } == true)

        let notAModule = #expect(throws: KMSFault.self) {
            try PKCS11KeyProvider(configuration: .init(libraryPath: "libc.so.6", tokenLabel: "s3emu present", userPIN: "1234"))
        }
        #expect(notAModule?.type == "KeyUnavailableException")

        let tooLong = #expect(throws: KMSFault.self) {
            try PKCS11KeyProvider(configuration: tokens.configuration(token: String(repeating: "t", count: 33)))
        }
        #expect(tooLong?.type == "ValidationException")
    }

    @Test func aDroppedSessionIsReopened() async throws {
        let tokens = try SoftHSMTokens(labels: ["s3emu dropped"])
        defer { tokens.cleanup() }
        let provider = try PKCS11KeyProvider(configuration: tokens.configuration(token: "s3emu dropped"))
        defer { provider.close() }
        let key = try await provider.generateDataKey(keyId: nil, context: context, caller: "test")

        provider.dropSessionForTesting()
        #expect(try await provider.decryptDataKey(key.sealed, keyId: nil, context: context, caller: "test") == key.plaintext)
        provider.dropSessionForTesting()
        let again = try await provider.generateDataKey(keyId: nil, context: context, caller: "test")
        #expect(try await provider.decryptDataKey(again.sealed, keyId: nil, context: context, caller: "test") == again.plaintext)
        provider.dropSessionForTesting()
        #expect(try provider.rootKeyAttributes().neverExtractable)
    }

    @Test func concurrentCallsShareTheSession() async throws {
        let tokens = try SoftHSMTokens(labels: ["s3emu concurrent"])
        defer { tokens.cleanup() }
        let provider = try PKCS11KeyProvider(configuration: tokens.configuration(token: "s3emu concurrent"))
        defer { provider.close() }
        let matches = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<32 {
                group.addTask {
                    let context = ["n": "\(i)"]
                    let key = try await provider.generateDataKey(keyId: nil, context: context, caller: "test")
                    return try await provider.decryptDataKey(key.sealed, keyId: nil, context: context, caller: "test") == key.plaintext
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(matches.count == 32 && matches.allSatisfy { $0 })
    }
}
