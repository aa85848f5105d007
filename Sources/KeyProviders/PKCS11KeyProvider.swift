import Foundation
import KeyCore
import Logging
import Synchronization

/// A ``KeyProvider`` whose root key lives on a PKCS#11 token (SoftHSM2, CloudHSM, a YubiHSM, …) and never leaves it.
///
/// On open the provider initialises the library (`CKF_OS_LOCKING_OK`), finds the token by label, opens an R/W
/// session, logs in as the user and finds the AES secret key labelled ``Configuration/rootKeyLabel``. When the token
/// has no such key it generates one there (`CKM_AES_KEY_GEN`, 256-bit, token, private, sensitive, not extractable,
/// encrypt/decrypt only). Data keys are 32 bytes from the system CSPRNG, sealed on the token with `CKM_AES_GCM`:
///
/// ```
/// sealed  = 0x01 ‖ u8 n ‖ label ‖ iv (12) ‖ ciphertext (32) ‖ tag (16)
///           label = the root key's CKA_LABEL, n = its UTF-8 length (1...255); iv from the token's C_GenerateRandom
/// header  = 0x01 ‖ u8 n ‖ label
/// AAD     = header ‖ EncryptionContext.canonical(context)
/// ```
/// The key id is the object's PKCS#11 URI (RFC 7512), `pkcs11:token=<token label>;object=<key label>` with both
/// labels percent-encoded; `keyVersion` is `nil` (a label names one key). Callers may name the key by that URI or by
/// its bare label; `nil` means the root key.
///
/// Errors: a blob with an unknown version, the wrong length, another key's label, a changed byte or another
/// encryption context is `InvalidCiphertextException` with no detail; a `keyId` that names another key is
/// `IncorrectKeyException` on decrypt and `NotFoundException` elsewhere. A missing library, missing token, wrong
/// PIN or lost token is `KeyUnavailableException`, naming the library path and token label, never the PIN.
///
/// PKCS#11 sessions are not thread-safe, so the one session sits behind a mutex; calls block their thread for the
/// duration of the token operation. A session the token drops (`CKR_SESSION_HANDLE_INVALID`, `CKR_DEVICE_REMOVED`, …)
/// is reopened once per call, and a reopened session never generates a root key. Random 96-bit IVs: rotate the root
/// key (a new label) well before 2³² data keys.
public final class PKCS11KeyProvider: KeyProvider {
    /// Which library, token, PIN and key label. `description`, `debugDescription` and reflection never show the PIN.
    public struct Configuration: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
        /// The path of the PKCS#11 module (`dlopen`ed).
        public var libraryPath: String
        /// The token's label (`CKA_LABEL` of the token, at most 32 UTF-8 bytes; trailing padding is not part of it).
        public var tokenLabel: String
        /// The token's user PIN. Never printed.
        public var userPIN: SecretBytes
        /// The `CKA_LABEL` of the root key on the token (1...255 UTF-8 bytes).
        public var rootKeyLabel: String

        /// SoftHSM2's module on Debian and Ubuntu.
        public static let defaultLibraryPath = "/usr/lib/softhsm/libsofthsm2.so"
        public static let defaultRootKeyLabel = "s3emu-root"

        public init(libraryPath: String = defaultLibraryPath, tokenLabel: String, userPIN: SecretBytes,
                    rootKeyLabel: String = defaultRootKeyLabel) {
            self.libraryPath = libraryPath
            self.tokenLabel = tokenLabel
            self.userPIN = userPIN
            self.rootKeyLabel = rootKeyLabel
        }

        /// The same, with the PIN as a string (its UTF-8 bytes).
        public init(libraryPath: String = defaultLibraryPath, tokenLabel: String, userPIN: String,
                    rootKeyLabel: String = defaultRootKeyLabel) {
            self.init(libraryPath: libraryPath, tokenLabel: tokenLabel, userPIN: SecretBytes(Array(userPIN.utf8)),
                      rootKeyLabel: rootKeyLabel)
        }

        public var description: String {
            "PKCS11KeyProvider.Configuration(libraryPath: \(libraryPath), tokenLabel: \(tokenLabel), userPIN: <redacted>, "
                + "rootKeyLabel: \(rootKeyLabel))"
        }

        public var debugDescription: String { description }

        public var customMirror: Mirror {
            Mirror(self, children: [
                "libraryPath": libraryPath, "tokenLabel": tokenLabel, "userPIN": "<redacted>", "rootKeyLabel": rootKeyLabel,
            ])
        }
    }

    /// The sealed format's version byte.
    public static let sealedVersion: UInt8 = 1
    static let ivLength = 12
    static let tagLength = 16
    static let dataKeyLength = 32

    public var name: String { "pkcs11" }

    /// The configuration this provider was opened with.
    public let configuration: Configuration
    /// The root key's stable name: `pkcs11:token=<token label>;object=<key label>`.
    public let keyId: String
    /// Whether opening this provider generated the root key (the token had none with that label).
    public let generatedRootKey: Bool

    private struct State {
        var session: PKCS11Session?
        var closed = false
    }

    private let module: PKCS11Module
    private let state: Mutex<State>
    private let logger: Logger

    /// Opens the token and finds (or makes) the root key; see the type's documentation. Throws
    /// `ValidationException` for labels PKCS#11 cannot hold and `KeyUnavailableException` when the library, the
    /// token, the login or the key cannot be had.
    public init(configuration: Configuration, logger: Logger = Logger(label: "s3emu.pkcs11")) throws(KMSFault) {
        let tokenBytes = configuration.tokenLabel.utf8.count, keyBytes = configuration.rootKeyLabel.utf8.count
        guard (1...32).contains(tokenBytes) else {
            throw .validation("The PKCS#11 token label must be 1 to 32 UTF-8 bytes, not \(tokenBytes).")
        }
        guard (1...255).contains(keyBytes) else {
            throw .validation("The PKCS#11 root key label must be 1 to 255 UTF-8 bytes, not \(keyBytes).")
        }
        let module = try PKCS11Libraries.acquire(configuration.libraryPath)
        let opened: (session: PKCS11Session, generated: Bool)
        do throws(KMSFault) {
            opened = try PKCS11Session.open(
                module: module, libraryPath: configuration.libraryPath, tokenLabel: configuration.tokenLabel,
                pin: configuration.userPIN, keyLabel: configuration.rootKeyLabel, mayGenerate: true)
        } catch {
            PKCS11Libraries.release(configuration.libraryPath)
            throw error
        }
        self.configuration = configuration
        self.module = module
        self.logger = logger
        self.keyId = Self.keyURI(token: configuration.tokenLabel, object: configuration.rootKeyLabel)
        self.generatedRootKey = opened.generated
        self.state = Mutex(State(session: opened.session))

        if opened.generated {
            logger.notice("Generated the root key on the PKCS#11 token", metadata: ["keyId": "\(keyId)"])
        }
        if let attributes = try? opened.session.keyAttributes(), !attributes.sensitive || attributes.extractable {
            logger.warning(
                "The PKCS#11 root key can leave the token",
                metadata: ["keyId": "\(keyId)", "sensitive": "\(attributes.sensitive)", "extractable": "\(attributes.extractable)"])
        }
    }

    deinit { close() }

    /// Closes the session and, when this was the library's last user in the process, finalises the library.
    /// Later calls throw `KeyUnavailableException`. Safe to call more than once.
    public func close() {
        let wasOpen = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.closed = true
            state.session?.close()
            state.session = nil
            return true
        }
        if wasOpen { PKCS11Libraries.release(configuration.libraryPath) }
    }

    // MARK: KeyProvider

    public func generateDataKey(keyId: String?, context: [String: String], caller: String) async throws(KMSFault) -> DataKey {
        guard let keyId else { return try sealFresh(context: context) }
        guard objectLabel(namedBy: keyId) == configuration.rootKeyLabel else { throw .notFound("Key '\(keyId)' does not exist") }
        return try sealFresh(context: context)
    }

    public func decryptDataKey(_ sealed: [UInt8], keyId: String?, context: [String: String], caller: String) async throws(KMSFault) -> SecretBytes {
        guard let blob = SealedBlob(parsing: sealed) else { throw .invalidCiphertext }
        if let keyId, objectLabel(namedBy: keyId) != blob.label {
            throw KMSFault("IncorrectKeyException", "The key ID in the request does not identify the key that sealed this data key.")
        }
        guard blob.label == configuration.rootKeyLabel else { throw .invalidCiphertext }
        let aad = blob.header + EncryptionContext.canonical(context)
        let plaintext = try withSession(
            { (session) throws(PKCS11Failure) -> SecretBytes in
                try session.unseal(sealed[blob.body], iv: blob.iv, aad: aad)
            },
            failure: { failure in failure.rv.meansSessionLost ? nil : .invalidCiphertext })
        guard plaintext.count == Self.dataKeyLength else { throw .invalidCiphertext }
        return plaintext
    }

    public func describeKey(_ keyId: String?, caller: String) async throws(KMSFault) -> KeyDescription {
        if let keyId, objectLabel(namedBy: keyId) != configuration.rootKeyLabel {
            throw .notFound("Key '\(keyId)' does not exist")
        }
        _ = try withSession { (session) throws(PKCS11Failure) -> PKCS11KeyAttributes in try session.keyAttributes() }
        return KeyDescription(keyId: self.keyId, state: "Enabled")
    }

    /// What the token reports about the root key (sensitive, not extractable, its value refused).
    public func rootKeyAttributes() throws(KMSFault) -> PKCS11KeyAttributes {
        try withSession { (session) throws(PKCS11Failure) -> PKCS11KeyAttributes in try session.keyAttributes() }
    }

    // MARK: Sealing

    /// The parts of a sealed data key; `nil` from the parser for anything but a well-formed version-1 blob.
    struct SealedBlob {
        var label: String
        var header: [UInt8]
        var iv: [UInt8]
        /// Where ciphertext ‖ tag sits in the blob.
        var body: Range<Int>

        init?(parsing sealed: [UInt8]) {
            guard sealed.count >= 2, sealed[0] == PKCS11KeyProvider.sealedVersion else { return nil }
            let n = Int(sealed[1])
            let headerEnd = 2 + n, ivEnd = headerEnd + PKCS11KeyProvider.ivLength
            guard n > 0, sealed.count == ivEnd + PKCS11KeyProvider.dataKeyLength + PKCS11KeyProvider.tagLength,
                let label = String(validating: sealed[2..<headerEnd], as: UTF8.self)
            else { return nil }
            self.label = label
            header = Array(sealed[0..<headerEnd])
            iv = Array(sealed[headerEnd..<ivEnd])
            body = ivEnd..<sealed.count
        }

        /// `0x01 ‖ u8 n ‖ label`.
        static func header(label: String) -> [UInt8] {
            let bytes = Array(label.utf8)
            return [PKCS11KeyProvider.sealedVersion, UInt8(bytes.count)] + bytes
        }
    }

    private func sealFresh(context: [String: String]) throws(KMSFault) -> DataKey {
        let dataKey = SecretBytes.random(count: Self.dataKeyLength)
        let header = SealedBlob.header(label: configuration.rootKeyLabel)
        let aad = header + EncryptionContext.canonical(context)
        let sealed = try withSession { (session) throws(PKCS11Failure) -> [UInt8] in
            let iv = try session.random(count: Self.ivLength)
            return header + iv + (try session.seal(dataKey, iv: iv, aad: aad))
        }
        guard sealed.count == header.count + Self.ivLength + Self.dataKeyLength + Self.tagLength else {
            throw .internalError("The PKCS#11 token returned a sealed data key of an unexpected length.")
        }
        return DataKey(plaintext: dataKey, sealed: sealed, keyId: keyId, keyVersion: nil)
    }

    // MARK: Sessions

    /// Runs `body` on the session, reopening it once when the token says it is gone. `failure` maps a failed call to
    /// the fault to throw; `nil` (and the default for anything it does not claim) gives `KeyUnavailableException`
    /// for a lost session and `KMSInternalException` otherwise.
    private func withSession<R: Sendable>(
        _ body: (borrowing PKCS11Session) throws(PKCS11Failure) -> R,
        failure: (PKCS11Failure) -> KMSFault? = { _ in nil }
    ) throws(KMSFault) -> R {
        let config = configuration
        return try state.withLock { (state) throws(KMSFault) -> R in
            guard !state.closed else {
                throw .unavailable("The PKCS#11 provider for token '\(config.tokenLabel)' (\(config.libraryPath)) is closed.")
            }
            var attempt = 0
            while true {
                attempt += 1
                if state.session == nil {
                    state.session = try PKCS11Session.open(
                        module: module, libraryPath: config.libraryPath, tokenLabel: config.tokenLabel,
                        pin: config.userPIN, keyLabel: config.rootKeyLabel, mayGenerate: false
                    ).session
                }
                do throws(PKCS11Failure) {
                    return try body(state.session!)
                } catch {
                    if let fault = failure(error) { throw fault }
                    guard error.rv.meansSessionLost else {
                        throw .internalError("PKCS#11 \(error.function) on token '\(config.tokenLabel)' failed: \(error.rv).")
                    }
                    state.session?.close()
                    state.session = nil
                    guard attempt < 2 else {
                        throw .unavailable(
                            "PKCS#11 \(error.function) on token '\(config.tokenLabel)' (\(config.libraryPath)) failed: \(error.rv).")
                    }
                    logger.warning(
                        "PKCS#11 session lost; reopening",
                        metadata: ["function": "\(error.function)", "rv": "\(error.rv)", "token": "\(config.tokenLabel)"])
                }
            }
        }
    }

    /// For tests: closes the session behind the provider's back, as a token that dropped it would. The next call
    /// sees `CKR_SESSION_HANDLE_INVALID` and reopens.
    func dropSessionForTesting() {
        state.withLock { state in state.session?.close() }
    }

    // MARK: Key names

    /// The key label a caller's key id names: a bare label, or a `pkcs11:` URI whose `token` (when present) is this
    /// provider's token. `nil` for a URI of another token or one without an `object`.
    func objectLabel(namedBy keyId: String) -> String? {
        guard keyId.hasPrefix("pkcs11:") else { return keyId }
        let path = keyId.dropFirst("pkcs11:".count).prefix { $0 != "?" }
        var token: String?, object: String?
        for attribute in path.split(separator: ";") {
            guard let eq = attribute.firstIndex(of: "="), let value = Self.percentDecoded(attribute[attribute.index(after: eq)...])
            else { return nil }
            switch attribute[..<eq] {
            case "token": token = value
            case "object": object = value
            default: break
            }
        }
        if let token, token != configuration.tokenLabel { return nil }
        return object
    }

    /// `pkcs11:token=…;object=…`, percent-encoding everything but RFC 3986's unreserved characters.
    static func keyURI(token: String, object: String) -> String {
        "pkcs11:token=\(percentEncoded(token));object=\(percentEncoded(object))"
    }

    static func percentEncoded(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }

    static func percentDecoded(_ s: Substring) -> String? {
        var bytes: [UInt8] = []
        var i = s.utf8.startIndex
        while i < s.utf8.endIndex {
            let byte = s.utf8[i]
            if byte == UInt8(ascii: "%") {
                let hi = s.utf8.index(after: i)
                guard hi < s.utf8.endIndex, s.utf8.index(after: hi) < s.utf8.endIndex,
                    let value = UInt8(String(s[hi..<s.utf8.index(hi, offsetBy: 2)]), radix: 16)
                else { return nil }
                bytes.append(value)
                i = s.utf8.index(hi, offsetBy: 2)
            } else {
                bytes.append(byte)
                i = s.utf8.index(after: i)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
