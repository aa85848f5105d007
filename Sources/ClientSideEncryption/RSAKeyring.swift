import CAEAD
import CryptoExtras
import Foundation
import KeyCore

/// Data keys wrapped under an RSA key pair, as the Java client's `RsaKeyring` does (`RSA-OAEP-SHA1`, V3 code
/// `22`): EDK = RSA-OAEP(SHA-1, MGF1-SHA-1)(len(DK) ‖ DK ‖ cekAlg). Reads the legacy
/// `RSA/ECB/OAEPWithSHA-256AndMGF1Padding` and V1 PKCS#1 v1.5 wraps too, when legacy modes are allowed.
///
/// `@unchecked Sendable`: swift-crypto's RSA key types are immutable wrappers of BoringSSL keys, which are safe to
/// use from several threads, but are not marked `Sendable`.
public struct RSAKeyring: Keyring, @unchecked Sendable {
    private let publicKey: _RSA.Encryption.PublicKey
    private let privateKey: _RSA.Encryption.PrivateKey?
    public let materialDescription: [String: String]

    /// From a PEM file's text: a private key (PKCS#1 or PKCS#8; wraps and unwraps) or a public key (wraps only).
    public init(pem: String, materialDescription: [String: String] = [:]) throws(ClientSideError) {
        if let key = try? _RSA.Encryption.PrivateKey(unsafePEMRepresentation: pem) {
            privateKey = key
            publicKey = key.publicKey
        } else if let key = try? _RSA.Encryption.PublicKey(unsafePEMRepresentation: pem) {
            privateKey = nil
            publicKey = key
        } else {
            throw .io("the RSA key is not a PEM RSA private or public key (2048 bits or more are expected)")
        }
        self.materialDescription = materialDescription
    }

    public var kind: String { "RSA" }
    public var wrapAlgorithm: KeyWrapAlgorithm { .rsaOAEPSHA1 }

    public func makeDataKey(format: FormatVersion, context: [String: String]) async throws(ClientSideError) -> WrappedDataKey {
        let dataKey = SecretBytes.random(count: 32)
        let pseudoKey = [UInt8(32)] + dataKey.bytes + Array(format.cekAlgorithmName.utf8)
        let edk: Data
        do {
            edk = try publicKey.encrypt(pseudoKey, padding: .PKCS1_OAEP)
        } catch {
            throw .io("RSA-OAEP key wrapping failed (is the RSA key at least 2048 bits?)")
        }
        return WrappedDataKey(dataKey: dataKey, encryptedDataKey: Array(edk), storedContext: context.isEmpty ? materialDescription : context)
    }

    public func unwrapDataKey(_ metadata: ContentMetadata, context: [String: String], allowLegacy: Bool) async throws(ClientSideError) -> SecretBytes {
        try checkUnwrap(metadata, context: context, allowLegacy: allowLegacy, accepts: [.rsaOAEPSHA1, .rsaOAEPSHA256, .v1RSA])
        guard let privateKey else { throw .unwrapFailed("reading needs the RSA private key; a public key was given") }
        let plain: [UInt8]
        switch metadata.wrapAlgorithm {
        case .rsaOAEPSHA256:
            // Java's OAEPWithSHA-256AndMGF1Padding: SHA-256 label hash, MGF1 with SHA-1 (the SunJCE default).
            plain = try Self.oaepSHA256MGF1SHA1(privateKey, metadata.encryptedDataKey)
        default:
            do {
                plain = Array(try privateKey.decrypt(
                    metadata.encryptedDataKey, padding: metadata.wrapAlgorithm == .rsaOAEPSHA1 ? .PKCS1_OAEP : ._WEAK_AND_INSECURE_PKCS_V1_5))
            } catch {
                throw .unwrapFailed("the RSA key does not unwrap it (wrong key, or the wrapped key was altered)")
            }
        }
        guard metadata.wrapAlgorithm == .rsaOAEPSHA1 else {
            guard plain.count == 32 else { throw .unwrapFailed("the unwrapped data key is \(plain.count) bytes, not 32") }
            return SecretBytes(plain)
        }
        // Pseudo-key: one length byte, the key, then the content-cipher name the writer bound it to.
        let suffix = Array(metadata.version.cekAlgorithmName.utf8)
        guard let length = plain.first, length == 32, plain.count == 1 + Int(length) + suffix.count,
            Array(plain.suffix(suffix.count)) == suffix
        else {
            throw .unwrapFailed("the RSA-unwrapped key is not bound to this object's content cipher")
        }
        return SecretBytes(Array(plain[1...Int(length)]))
    }

    private static func oaepSHA256MGF1SHA1(_ key: _RSA.Encryption.PrivateKey, _ wrapped: [UInt8]) throws(ClientSideError) -> [UInt8] {
        let der = Array(key.derRepresentation)
        var out = [UInt8](repeating: 0, count: 1024)
        let n = s3emu_rsa_oaep_decrypt(der, der.count, 1, 0, wrapped, wrapped.count, &out, out.count)
        guard n >= 0 else { throw .unwrapFailed("the RSA key does not unwrap it (wrong key, or the wrapped key was altered)") }
        return Array(out.prefix(n))
    }
}
