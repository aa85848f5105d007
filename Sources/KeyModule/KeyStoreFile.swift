import CFileSync
import Crypto
import Foundation
import KeyCore

/// The module's key store on disk: one sealed file, rewritten atomically on every change.
///
/// ```
/// file   = magic "S3EMUKS" ‖ u8 format (=1) ‖ u8 kdf (1 passphrase, 2 key file) ‖ salt(16)
///          ‖ nonce(12) ‖ AES-256-GCM(masterKey, nonce, plaintext = JSON(KeyStoreState), aad = magic…salt) ‖ tag(16)
/// write  = tmp file → write → fsync → rename over the old file → fsync the directory
/// ```
/// A wrong passphrase or key file, or any edited byte, fails the GCM check: the module refuses to start rather than
/// start empty. A reader for every format byte ever written is kept here.
struct KeyStoreFile: Sendable {
    static let magic = Array("S3EMUKS".utf8)
    static let format: UInt8 = 1

    let path: String
    let masterKey: SymmetricKey
    let header: [UInt8]

    enum OpenError: Error, CustomStringConvertible {
        case wrongMasterKey(String)
        case unreadable(String)
        var description: String {
            switch self {
            case .wrongMasterKey(let p): "The key store \(p) cannot be unsealed: wrong passphrase or key file, or the file was altered."
            case .unreadable(let p): "The key store \(p) is not a key store file (bad header)."
            }
        }
    }

    /// Opens (or creates) the store at `path`, returning it and its current state.
    static func open(path: String, source: MasterKeySource) throws -> (KeyStoreFile, KeyStoreState) {
        if let data = FileManager.default.contents(atPath: path) {
            let bytes = Array(data)
            let headerLength = magic.count + 2 + 16
            guard bytes.count >= headerLength + 12 + 16, Array(bytes[0..<magic.count]) == magic,
                bytes[magic.count] == format
            else { throw OpenError.unreadable(path) }
            let kdf = bytes[magic.count + 1]
            // Stores sealed with the development passphrase before it had its own kdf byte used scrypt (kdf 1).
            let effective: MasterKeySource =
                kdf == 1 && source.isDevelopmentDefault ? .passphrase(SecretBytes(Array(MasterKeySource.developmentPassphrase.utf8))) : source
            guard kdf == effective.kdfByte else { throw OpenError.wrongMasterKey(path) }
            let header = Array(bytes[0..<headerLength])
            let salt = Array(bytes[(magic.count + 2)..<headerLength])
            let key = try effective.derive(salt: salt)
            let store = KeyStoreFile(path: path, masterKey: key, header: header)
            guard let box = try? AES.GCM.SealedBox(combined: bytes[headerLength...]),
                let plain = try? AES.GCM.open(box, using: key, authenticating: header)
            else { throw OpenError.wrongMasterKey(path) }
            let state = try JSONDecoder().decode(KeyStoreState.self, from: plain)
            return (store, state)
        }
        var salt = [UInt8](repeating: 0, count: 16)
        var g = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = UInt8.random(in: 0...255, using: &g) }
        let header = magic + [format, source.kdfByte] + salt
        let store = KeyStoreFile(path: path, masterKey: try source.derive(salt: salt), header: header)
        let state = KeyStoreState()
        try store.write(state)
        return (store, state)
    }

    /// Seals and atomically replaces the file.
    func write(_ state: KeyStoreState) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var plain = try encoder.encode(state)
        defer { plain.resetBytes(in: 0..<plain.count) }
        let box = try AES.GCM.seal(plain, using: masterKey, authenticating: header)
        let bytes = header + Array(box.combined!)
        try Self.atomicWrite(bytes, to: path)
    }

    static func atomicWrite(_ bytes: [UInt8], to path: String) throws {
        let tmp = path + ".tmp"
        let fd = Foundation.open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw KMSFault.internalError("Cannot write the key store (errno \(errno)).") }
        var ok = bytes.withUnsafeBytes { raw -> Bool in
            var off = 0
            while off < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + off, raw.count - off)
                if n <= 0 { return false }
                off += n
            }
            return true
        }
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok, rename(tmp, path) == 0 else {
            unlink(tmp)
            throw KMSFault.internalError("Cannot write the key store (errno \(errno)).")
        }
        let dir = (path as NSString).deletingLastPathComponent
        let dfd = Foundation.open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }
}
