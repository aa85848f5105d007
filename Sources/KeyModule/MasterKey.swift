import Crypto
import CryptoExtras
import Foundation
import KeyCore

/// Where the module's master key comes from. The master key seals the key store; it is never written anywhere.
///
/// ```
/// passphrase:  masterKey = scrypt(passphrase, salt, N = 2^15, r = 8, p = 1, 32 bytes)          kdf byte 1
/// key file:    masterKey = HKDF-SHA256(ikm = file bytes (≥ 32), salt, info = "s3emu keystore master v1", 32)  kdf byte 2
/// development: masterKey = HKDF-SHA256(ikm = the published development passphrase, salt, same info)   kdf byte 3
/// ```
/// The development passphrase is public, so stretching it would only slow every start (scrypt is ~0.1 s in a
/// release build, ~1 s in debug) without protecting anything.
/// `salt` is 16 random bytes stored in the key store header, fixed for the life of the store.
public enum MasterKeySource: Sendable, CustomStringConvertible {
    case passphrase(SecretBytes)
    case keyFile(SecretBytes)
    /// The built-in development default (no protection at rest; said so at start).
    case development

    /// The passphrase used when none is given: fine for local testing, useless as protection. Printed as such.
    public static let developmentPassphrase = "s3emu-development-passphrase-not-a-secret"


    /// Reads a key file; it must hold at least 32 bytes.
    public static func keyFile(at path: String) throws -> MasterKeySource {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KMSFault.internalError("Cannot read the master key file \(path).")
        }
        guard data.count >= 32 else { throw KMSFault.internalError("The master key file \(path) must hold at least 32 bytes.") }
        return .keyFile(SecretBytes(Array(data)))
    }

    var kdfByte: UInt8 {
        switch self {
        case .passphrase: 1
        case .keyFile: 2
        case .development: 3
        }
    }

    public var isDevelopmentDefault: Bool {
        if case .development = self { return true }
        return false
    }

    func derive(salt: [UInt8]) throws -> SymmetricKey {
        switch self {
        case .passphrase(let p):
            return try p.withBytes {
                try KDF.Scrypt.deriveKey(from: $0, salt: salt, outputByteCount: 32, rounds: 1 << 15, blockSize: 8, parallelism: 1)
            }
        case .keyFile(let k):
            return HKDF<SHA256>.deriveKey(
                inputKeyMaterial: k.symmetricKey, salt: salt, info: Array("s3emu keystore master v1".utf8), outputByteCount: 32)
        case .development:
            return HKDF<SHA256>.deriveKey(
                inputKeyMaterial: SymmetricKey(data: Array(Self.developmentPassphrase.utf8)), salt: salt,
                info: Array("s3emu keystore master v1".utf8), outputByteCount: 32)
        }
    }

    public var description: String {
        switch self {
        case .passphrase: "passphrase"
        case .keyFile: "key file"
        case .development: "development passphrase (not a secret)"
        }
    }
}
