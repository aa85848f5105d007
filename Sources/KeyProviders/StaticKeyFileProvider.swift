import Crypto
import Foundation
import KeyCore
import Logging
import S3Wire

/// The simplest SSE-S3 setup: one 256-bit root key read from a file, sealing data keys locally with AES-256-GCM.
///
/// The file holds 32 raw bytes, 64 hex digits, or the base64 of 32 bytes; the text forms may end with one `\n`
/// (or `\r\n`). With `create: true` a missing file is generated (64 hex digits and `\n`, mode 0600). The key has
/// one id and no versions; it never rotates (replacing the file makes every sealed data key unreadable).
///
/// Sealed data key, format version 1 (69 bytes):
/// ```
/// root     = the 32-byte key from the file
/// fp       = HMAC-SHA256(root, "s3emu fingerprint")
/// kid      = SHA-256(fp)[0..<8]                                     (names the key without revealing it)
/// keyId    = "static-file:" ‖ hex(kid)                              (16 lower-case hex digits)
/// wrapKey  = HMAC-SHA256(root, "s3emu static-file wrap v1")         (the root key itself never encrypts)
/// header   = 0x01 ‖ kid                                             (9 bytes)
/// AAD      = header ‖ EncryptionContext.canonical(context)
/// sealed   = header ‖ nonce(12, random) ‖ AES-256-GCM(wrapKey, nonce, dataKey(32), AAD) ‖ tag(16)
/// ```
/// Key ids accepted: `nil`, ``keyId`` and `alias/aws/s3` (the default SSE-S3 key) all mean the one key.
/// `generateDataKey` and `describeKey` answer `NotFoundException` for any other id; `decryptDataKey` answers
/// `IncorrectKeyException`. A blob from another key, another context, with a changed byte or cut short is
/// `InvalidCiphertextException` with an empty message.
public final class StaticKeyFileProvider: KeyProvider {
    public var name: String { "static-file" }

    /// `static-file:` and 16 hex digits derived from the key (see the type's documentation).
    public let keyId: String
    /// The key file, when the key came from one.
    public let path: String?

    private let kid: [UInt8]
    private let wrapKey: SymmetricKey

    static let version: UInt8 = 1
    static let headerSize = 9
    static let nonceSize = 12
    static let tagSize = 16
    static let dataKeySize = 32
    /// The length of a version 1 sealed data key.
    public static let sealedSize = headerSize + nonceSize + dataKeySize + tagSize

    /// Reads the root key from `path`; with `create`, generates it there first when the file does not exist (and
    /// its directory too, mode 0700). Throws `KeyUnavailableException` naming the path (never the contents) when
    /// the file cannot be read, created or parsed.
    public convenience init(path: String, create: Bool = false, logger: Logger = Logger(label: "s3emu.static-file")) throws(KMSFault) {
        var info = stat()
        if stat(path, &info) != 0 {
            let err = errno
            guard err == ENOENT, create else {
                throw .unavailable("Cannot read the static key file \(path): \(Self.describe(err)).")
            }
            try Self.createKeyFile(at: path)
            logger.notice("Generated a new static root key", metadata: ["path": "\(path)"])
        } else if info.st_mode & S_IFMT == S_IFREG, info.st_mode & 0o077 != 0 {
            logger.warning(
                "The static key file is readable by other users; chmod 600 it",
                metadata: ["path": "\(path)", "mode": "\(String(info.st_mode & 0o777, radix: 8))"])
        }
        let contents = try Self.readFile(path)
        guard let root = Self.parseKey(contents) else {
            throw .unavailable(
                "The static key file \(path) does not hold a 256-bit key (expected 32 raw bytes, 64 hex digits or the base64 of 32 bytes; "
                    + "the file has \(contents.count) bytes).")
        }
        try self.init(rootKey: SecretBytes(root), path: path)
    }

    /// Uses `rootKey` (32 bytes) directly, for embedding and tests.
    public convenience init(rootKey: SecretBytes) throws(KMSFault) {
        try self.init(rootKey: rootKey, path: nil)
    }

    private init(rootKey: SecretBytes, path: String?) throws(KMSFault) {
        guard rootKey.count == 32 else { throw .validation("A static root key must be 32 bytes, not \(rootKey.count).") }
        let root = rootKey.symmetricKey
        let fingerprint = HMAC<SHA256>.authenticationCode(for: Array("s3emu fingerprint".utf8), using: root)
        kid = Array(SHA256.hash(data: Array(fingerprint)).prefix(8))
        keyId = "static-file:" + kid.hexString
        wrapKey = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array("s3emu static-file wrap v1".utf8), using: root))
        self.path = path
    }

    // MARK: KeyProvider

    public func generateDataKey(keyId: String?, context: [String: String], caller: String) async throws(KMSFault) -> DataKey {
        guard names(keyId) else { throw .notFound("Key '\(keyId ?? "")' does not exist") }
        let dataKey = SecretBytes.random(count: Self.dataKeySize)
        let header = [Self.version] + kid
        let nonce = AES.GCM.Nonce()
        let box: AES.GCM.SealedBox
        do {
            let aad = header + EncryptionContext.canonical(context)
            box = try dataKey.withBytes { try AES.GCM.seal($0, using: wrapKey, nonce: nonce, authenticating: aad) }
        } catch {
            throw .internalError("Sealing a data key failed.")
        }
        let sealed = header + Array(nonce) + Array(box.ciphertext) + Array(box.tag)
        return DataKey(plaintext: dataKey, sealed: sealed, keyId: self.keyId, keyVersion: nil)
    }

    public func decryptDataKey(_ sealed: [UInt8], keyId: String?, context: [String: String], caller: String) async throws(KMSFault) -> SecretBytes {
        guard sealed.count == Self.sealedSize, sealed[0] == Self.version else { throw .invalidCiphertext }
        guard names(keyId) else {
            throw KMSFault("IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.")
        }
        let header = Array(sealed[0..<Self.headerSize])
        guard constantTimeEqual(Array(header[1...]), kid) else { throw .invalidCiphertext }
        let nonceEnd = Self.headerSize + Self.nonceSize
        let tagStart = sealed.count - Self.tagSize
        do {
            let box = try AES.GCM.SealedBox(
                nonce: AES.GCM.Nonce(data: sealed[Self.headerSize..<nonceEnd]), ciphertext: sealed[nonceEnd..<tagStart], tag: sealed[tagStart...])
            let plain = try AES.GCM.open(box, using: wrapKey, authenticating: header + EncryptionContext.canonical(context))
            return SecretBytes(Array(plain))
        } catch {
            throw .invalidCiphertext
        }
    }

    public func describeKey(_ keyId: String?, caller: String) async throws(KMSFault) -> KeyDescription {
        guard names(keyId) else { throw .notFound("Key '\(keyId ?? "")' does not exist") }
        return KeyDescription(keyId: self.keyId, state: "Enabled")
    }

    // MARK: Key file

    private func names(_ id: String?) -> Bool {
        guard let id else { return true }
        return id == keyId || id == ExternalKMSProvider.awsManagedS3Key
    }

    /// The 32-byte key in a key file's contents, or nil when it holds none.
    static func parseKey(_ contents: [UInt8]) -> [UInt8]? {
        if contents.count == 32 { return contents }
        var text = contents[...]
        if text.last == 0x0A {
            text = text.dropLast()
            if text.last == 0x0D { text = text.dropLast() }
        }
        if text.count == 32 { return Array(text) }
        let string = String(decoding: text, as: UTF8.self)
        if text.count == 64, let hex = [UInt8](hex: string) { return hex }
        if let decoded = Base64.decode(string), decoded.count == 32 { return decoded }
        return nil
    }

    static func readFile(_ path: String) throws(KMSFault) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unavailable("Cannot read the static key file \(path): \(describe(errno)).") }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unavailable("Cannot read the static key file \(path): \(describe(errno)).")
            }
            if n == 0 { break }
            out += chunk[0..<n]
            // A key file is at most 66 bytes; anything much larger is not one (and is not read whole).
            if out.count > 1024 { break }
        }
        for i in chunk.indices { chunk[i] = 0 }
        return out
    }

    /// Writes a fresh key to `path` without ever exposing a partial file or replacing one that appeared meanwhile:
    /// a 0600 temporary file in the same directory, fsynced, then hard-linked into place.
    static func createKeyFile(at path: String) throws(KMSFault) {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw .unavailable("Cannot create the directory of the static key file \(path): \(error.localizedDescription)")
            }
        }
        let key = SecretBytes.random(count: 32)
        let text = Array((key.withBytes { $0.hexString } + "\n").utf8)
        let temporary = path + ".tmp-" + UUID().uuidString
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .unavailable("Cannot create the static key file \(path): \(describe(errno)).") }
        var failure: Int32 = 0
        if fchmod(fd, 0o600) != 0 { failure = errno }
        if failure == 0 {
            let written = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written != text.count { failure = written < 0 ? errno : EIO }
        }
        if failure == 0, fsync(fd) != 0 { failure = errno }
        close(fd)
        defer { unlink(temporary) }
        guard failure == 0 else { throw .unavailable("Cannot create the static key file \(path): \(describe(failure)).") }
        if link(temporary, path) != 0 {
            let err = errno
            // Someone else created it first: use theirs. Anything else is a real failure.
            guard err == EEXIST else { throw .unavailable("Cannot create the static key file \(path): \(describe(err)).") }
            return
        }
        let dirFD = open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
        if dirFD >= 0 {
            _ = fsync(dirFD)
            close(dirFD)
        }
    }

    static func describe(_ err: Int32) -> String { String(cString: strerror(err)) }
}
