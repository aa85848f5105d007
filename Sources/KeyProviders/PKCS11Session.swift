internal import CPKCS11
import Foundation
import KeyCore
import Synchronization

/// A PKCS#11 return value (`CK_RV`), printed by its specification name (`CKR_PIN_INCORRECT`).
public struct PKCS11ReturnValue: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt

    public init(rawValue: UInt) { self.rawValue = rawValue }

    public static let ok = PKCS11ReturnValue(rawValue: CKR_OK)
    /// The token refuses to reveal an attribute (the value of a sensitive key).
    public static let attributeSensitive = PKCS11ReturnValue(rawValue: CKR_ATTRIBUTE_SENSITIVE)
    public static let pinIncorrect = PKCS11ReturnValue(rawValue: CKR_PIN_INCORRECT)
    public static let pinLocked = PKCS11ReturnValue(rawValue: CKR_PIN_LOCKED)
    public static let userAlreadyLoggedIn = PKCS11ReturnValue(rawValue: CKR_USER_ALREADY_LOGGED_IN)
    public static let cryptokiAlreadyInitialized = PKCS11ReturnValue(rawValue: CKR_CRYPTOKI_ALREADY_INITIALIZED)
    /// The shim's own code: no initialised token carries the wanted label.
    public static let tokenNotFound = PKCS11ReturnValue(rawValue: S3PK_RV_TOKEN_NOT_FOUND)
    /// The shim's own code: `dlopen` failed.
    public static let loadFailed = PKCS11ReturnValue(rawValue: S3PK_RV_LOAD_FAILED)
    /// The shim's own code: the library exports no `C_GetFunctionList`.
    public static let notAModule = PKCS11ReturnValue(rawValue: S3PK_RV_NOT_A_MODULE)

    private static let names: [UInt: String] = [
        CKR_OK: "CKR_OK", CKR_HOST_MEMORY: "CKR_HOST_MEMORY", CKR_SLOT_ID_INVALID: "CKR_SLOT_ID_INVALID",
        CKR_GENERAL_ERROR: "CKR_GENERAL_ERROR", CKR_FUNCTION_FAILED: "CKR_FUNCTION_FAILED",
        CKR_ARGUMENTS_BAD: "CKR_ARGUMENTS_BAD", CKR_ATTRIBUTE_SENSITIVE: "CKR_ATTRIBUTE_SENSITIVE",
        CKR_ATTRIBUTE_TYPE_INVALID: "CKR_ATTRIBUTE_TYPE_INVALID", CKR_DATA_LEN_RANGE: "CKR_DATA_LEN_RANGE",
        CKR_DEVICE_ERROR: "CKR_DEVICE_ERROR", CKR_DEVICE_MEMORY: "CKR_DEVICE_MEMORY",
        CKR_DEVICE_REMOVED: "CKR_DEVICE_REMOVED", CKR_ENCRYPTED_DATA_INVALID: "CKR_ENCRYPTED_DATA_INVALID",
        CKR_ENCRYPTED_DATA_LEN_RANGE: "CKR_ENCRYPTED_DATA_LEN_RANGE", CKR_KEY_HANDLE_INVALID: "CKR_KEY_HANDLE_INVALID",
        CKR_MECHANISM_INVALID: "CKR_MECHANISM_INVALID", CKR_MECHANISM_PARAM_INVALID: "CKR_MECHANISM_PARAM_INVALID",
        CKR_OBJECT_HANDLE_INVALID: "CKR_OBJECT_HANDLE_INVALID", CKR_OPERATION_ACTIVE: "CKR_OPERATION_ACTIVE",
        CKR_PIN_INCORRECT: "CKR_PIN_INCORRECT", CKR_PIN_LOCKED: "CKR_PIN_LOCKED",
        CKR_SESSION_CLOSED: "CKR_SESSION_CLOSED", CKR_SESSION_HANDLE_INVALID: "CKR_SESSION_HANDLE_INVALID",
        CKR_TEMPLATE_INCOMPLETE: "CKR_TEMPLATE_INCOMPLETE", CKR_TEMPLATE_INCONSISTENT: "CKR_TEMPLATE_INCONSISTENT",
        CKR_TOKEN_NOT_PRESENT: "CKR_TOKEN_NOT_PRESENT", CKR_TOKEN_NOT_RECOGNIZED: "CKR_TOKEN_NOT_RECOGNIZED",
        CKR_USER_ALREADY_LOGGED_IN: "CKR_USER_ALREADY_LOGGED_IN", CKR_USER_NOT_LOGGED_IN: "CKR_USER_NOT_LOGGED_IN",
        CKR_USER_PIN_NOT_INITIALIZED: "CKR_USER_PIN_NOT_INITIALIZED", CKR_BUFFER_TOO_SMALL: "CKR_BUFFER_TOO_SMALL",
        CKR_CRYPTOKI_NOT_INITIALIZED: "CKR_CRYPTOKI_NOT_INITIALIZED",
        CKR_CRYPTOKI_ALREADY_INITIALIZED: "CKR_CRYPTOKI_ALREADY_INITIALIZED",
        S3PK_RV_LOAD_FAILED: "S3PK_LOAD_FAILED", S3PK_RV_NOT_A_MODULE: "S3PK_NOT_A_MODULE",
        S3PK_RV_TOKEN_NOT_FOUND: "S3PK_TOKEN_NOT_FOUND",
    ]

    public var description: String { Self.names[rawValue] ?? "CKR_0x" + String(rawValue, radix: 16, uppercase: true) }

    /// The session, its login or the token behind it is gone; a fresh session may work.
    var meansSessionLost: Bool {
        switch rawValue {
        case CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED, CKR_DEVICE_REMOVED, CKR_DEVICE_ERROR, CKR_TOKEN_NOT_PRESENT,
            CKR_USER_NOT_LOGGED_IN, CKR_KEY_HANDLE_INVALID, CKR_OBJECT_HANDLE_INVALID, CKR_CRYPTOKI_NOT_INITIALIZED:
            true
        default: false
        }
    }
}

/// A failed PKCS#11 call: which function and what it returned.
struct PKCS11Failure: Error {
    var function: String
    var rv: PKCS11ReturnValue
}

/// What the token says about a key: the properties that keep it on the token.
public struct PKCS11KeyAttributes: Sendable, Equatable {
    /// `CKA_SENSITIVE`: the value may not be revealed in plaintext.
    public var sensitive: Bool
    /// `CKA_EXTRACTABLE`: the key may be wrapped out of the token.
    public var extractable: Bool
    /// `CKA_ALWAYS_SENSITIVE`: the key has been sensitive since it was made.
    public var alwaysSensitive: Bool
    /// `CKA_NEVER_EXTRACTABLE`: the key has never been extractable.
    public var neverExtractable: Bool
    /// `CKA_VALUE_LEN`: the key length in bytes.
    public var valueLength: Int
    /// What the token answered when asked for the key's value (`CKA_VALUE`): `CKR_ATTRIBUTE_SENSITIVE` for a key
    /// that stays on the token. Any bytes a token does hand out are wiped, never returned.
    public var valueRequest: PKCS11ReturnValue

    public init(sensitive: Bool, extractable: Bool, alwaysSensitive: Bool, neverExtractable: Bool, valueLength: Int,
                valueRequest: PKCS11ReturnValue) {
        self.sensitive = sensitive
        self.extractable = extractable
        self.alwaysSensitive = alwaysSensitive
        self.neverExtractable = neverExtractable
        self.valueLength = valueLength
        self.valueRequest = valueRequest
    }
}

/// A module pointer that may be kept in the process-wide registry.
struct PKCS11Module: @unchecked Sendable {
    let raw: OpaquePointer
}

/// The loaded PKCS#11 libraries, one per resolved path, initialised while at least one provider uses them.
///
/// Cryptoki is initialised once per process, not per caller: two providers on the same library share one
/// `C_Initialize`, and the last one to close calls `C_Finalize`. Libraries stay loaded after that (see CPKCS11.h).
/// When someone else in the process initialised the library first, it is theirs to finalise.
enum PKCS11Libraries {
    private struct Entry {
        var module: PKCS11Module
        var users = 0
        var owned = false
    }

    private static let entries = Mutex<[String: Entry]>([:])

    /// The library's module, loaded and initialised; pair with ``release(_:)``.
    static func acquire(_ path: String) throws(KMSFault) -> PKCS11Module {
        try entries.withLock { (entries) throws(KMSFault) -> PKCS11Module in
            let key = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            var entry: Entry
            if let known = entries[key] {
                entry = known
            } else {
                var raw: OpaquePointer?
                var why = [CChar](repeating: 0, count: 512)
                let rv = PKCS11ReturnValue(rawValue: s3pk_load(path, &raw, &why, why.count))
                guard rv == .ok, let raw else {
                    let detail = String(decoding: why.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
                    switch rv {
                    case .loadFailed:
                        throw .unavailable("The PKCS#11 library '\(path)' could not be loaded\(detail.isEmpty ? "" : ": \(detail)").")
                    case .notAModule:
                        throw .unavailable("'\(path)' is not a PKCS#11 library (it exports no C_GetFunctionList).")
                    default:
                        throw .unavailable("C_GetFunctionList of the PKCS#11 library '\(path)' failed: \(rv).")
                    }
                }
                entry = Entry(module: PKCS11Module(raw: raw))
            }
            if entry.users == 0 {
                let rv = PKCS11ReturnValue(rawValue: s3pk_initialize(entry.module.raw))
                switch rv {
                case .ok: entry.owned = true
                case .cryptokiAlreadyInitialized: entry.owned = false
                default:
                    entries[key] = entry
                    throw .unavailable("C_Initialize of the PKCS#11 library '\(path)' failed: \(rv).")
                }
            }
            entry.users += 1
            entries[key] = entry
            return entry.module
        }
    }

    /// Gives back a module from ``acquire(_:)``; the last user finalises the library.
    static func release(_ path: String) {
        entries.withLock { entries in
            let key = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            guard var entry = entries[key], entry.users > 0 else { return }
            entry.users -= 1
            if entry.users == 0, entry.owned {
                _ = s3pk_finalize(entry.module.raw)
                entry.owned = false
            }
            entries[key] = entry
        }
    }
}

/// One logged-in R/W session on the token and the handle of the root key in it. Not thread-safe: the provider
/// keeps it behind a mutex.
struct PKCS11Session {
    let module: PKCS11Module
    let handle: CK_SESSION_HANDLE
    let key: CK_OBJECT_HANDLE

    /// Finds the token, opens a session, logs in as the user and finds the root key, generating it when it is
    /// missing and `mayGenerate` is set. Messages name the library and the token, never the PIN.
    static func open(module: PKCS11Module, libraryPath: String, tokenLabel: String, pin: SecretBytes, keyLabel: String,
                     mayGenerate: Bool) throws(KMSFault) -> (session: PKCS11Session, generated: Bool) {
        let where_ = "PKCS#11 token '\(tokenLabel)' (\(libraryPath))"
        var slot: CK_SLOT_ID = 0
        let token = Array(tokenLabel.utf8)
        var rv = PKCS11ReturnValue(rawValue: s3pk_find_slot(module.raw, token, UInt(token.count), &slot))
        switch rv {
        case .ok: break
        case .tokenNotFound:
            throw .unavailable("No initialised PKCS#11 token labelled '\(tokenLabel)' in '\(libraryPath)'.")
        default:
            throw .unavailable("Listing the tokens of the PKCS#11 library '\(libraryPath)' failed: \(rv).")
        }

        var handle: CK_SESSION_HANDLE = 0
        rv = PKCS11ReturnValue(rawValue: s3pk_open_session(module.raw, slot, &handle))
        guard rv == .ok else { throw .unavailable("Opening a session on \(where_) failed: \(rv).") }
        var keepSession = false
        defer { if !keepSession { _ = s3pk_close_session(module.raw, handle) } }

        rv = pin.withBytes { PKCS11ReturnValue(rawValue: s3pk_login_user(module.raw, handle, $0, UInt($0.count))) }
        switch rv {
        case .ok, .userAlreadyLoggedIn: break
        case .pinIncorrect: throw .unavailable("Login to \(where_) failed: \(rv) (wrong user PIN).")
        case .pinLocked: throw .unavailable("Login to \(where_) failed: \(rv) (the user PIN is locked).")
        default: throw .unavailable("Login to \(where_) failed: \(rv).")
        }

        let label = Array(keyLabel.utf8)
        var key: CK_OBJECT_HANDLE = 0
        var found: CK_ULONG = 0
        rv = PKCS11ReturnValue(rawValue: s3pk_find_aes_key(module.raw, handle, label, UInt(label.count), &key, &found))
        guard rv == .ok else { throw .unavailable("Searching \(where_) for the key '\(keyLabel)' failed: \(rv).") }
        var generated = false
        switch found {
        case 1: break
        case 0:
            guard mayGenerate else { throw .unavailable("The root key '\(keyLabel)' is no longer on \(where_).") }
            rv = PKCS11ReturnValue(rawValue: s3pk_generate_aes_key(module.raw, handle, label, UInt(label.count), 32, &key))
            guard rv == .ok else { throw .unavailable("Generating the root key '\(keyLabel)' on \(where_) failed: \(rv).") }
            generated = true
        default:
            throw .unavailable("\(where_) holds more than one AES key labelled '\(keyLabel)'; refusing to guess which is the root key.")
        }
        keepSession = true
        return (PKCS11Session(module: module, handle: handle, key: key), generated)
    }

    /// Closes the session. The login ends with the application's last session on the token; no `C_Logout`, which
    /// would log out every other session of this process on the token too.
    func close() { _ = s3pk_close_session(module.raw, handle) }

    /// `count` bytes from the token's RNG.
    func random(count: Int) throws(PKCS11Failure) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let rv = PKCS11ReturnValue(rawValue: s3pk_generate_random(module.raw, handle, &out, UInt(count)))
        guard rv == .ok else { throw PKCS11Failure(function: "C_GenerateRandom", rv: rv) }
        return out
    }

    /// AES-GCM encryption under the root key with a 128-bit tag: ciphertext ‖ tag.
    func seal(_ plaintext: SecretBytes, iv: [UInt8], aad: [UInt8]) throws(PKCS11Failure) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: plaintext.count + 32)
        var outLen = CK_ULONG(out.count)
        let rv = plaintext.withBytes { bytes in
            PKCS11ReturnValue(rawValue: s3pk_gcm_encrypt(
                module.raw, handle, key, iv, UInt(iv.count), aad, UInt(aad.count), bytes, UInt(bytes.count), &out, &outLen))
        }
        guard rv == .ok else { throw PKCS11Failure(function: "C_Encrypt", rv: rv) }
        return Array(out.prefix(Int(outLen)))
    }

    /// AES-GCM decryption of ciphertext ‖ tag under the root key.
    func unseal(_ sealed: ArraySlice<UInt8>, iv: [UInt8], aad: [UInt8]) throws(PKCS11Failure) -> SecretBytes {
        var out = [UInt8](repeating: 0, count: sealed.count)
        defer { for i in out.indices { out[i] = 0 } }
        var outLen = CK_ULONG(out.count)
        let input = Array(sealed)
        let rv = PKCS11ReturnValue(rawValue: s3pk_gcm_decrypt(
            module.raw, handle, key, iv, UInt(iv.count), aad, UInt(aad.count), input, UInt(input.count), &out, &outLen))
        guard rv == .ok else { throw PKCS11Failure(function: "C_Decrypt", rv: rv) }
        return SecretBytes(Array(out.prefix(Int(outLen))))
    }

    /// The root key's protection attributes, and whether the token hands out its value.
    func keyAttributes() throws(PKCS11Failure) -> PKCS11KeyAttributes {
        func flag(_ type: CK_ATTRIBUTE_TYPE, _ name: String) throws(PKCS11Failure) -> Bool {
            var value: CK_BBOOL = 0
            var len = CK_ULONG(MemoryLayout<CK_BBOOL>.size)
            let rv = PKCS11ReturnValue(rawValue: s3pk_get_attribute(module.raw, handle, key, type, &value, &len))
            guard rv == .ok else { throw PKCS11Failure(function: "C_GetAttributeValue(\(name))", rv: rv) }
            return value != 0
        }
        var valueLen: CK_ULONG = 0
        var len = CK_ULONG(MemoryLayout<CK_ULONG>.size)
        let rv = PKCS11ReturnValue(rawValue: s3pk_get_attribute(module.raw, handle, key, CKA_VALUE_LEN, &valueLen, &len))
        guard rv == .ok else { throw PKCS11Failure(function: "C_GetAttributeValue(CKA_VALUE_LEN)", rv: rv) }

        var value = [UInt8](repeating: 0, count: 64)
        var valueCapacity = CK_ULONG(value.count)
        let valueRequest = PKCS11ReturnValue(rawValue: s3pk_get_attribute(module.raw, handle, key, CKA_VALUE, &value, &valueCapacity))
        for i in value.indices { value[i] = 0 }

        return PKCS11KeyAttributes(
            sensitive: try flag(CKA_SENSITIVE, "CKA_SENSITIVE"), extractable: try flag(CKA_EXTRACTABLE, "CKA_EXTRACTABLE"),
            alwaysSensitive: try flag(CKA_ALWAYS_SENSITIVE, "CKA_ALWAYS_SENSITIVE"),
            neverExtractable: try flag(CKA_NEVER_EXTRACTABLE, "CKA_NEVER_EXTRACTABLE"),
            valueLength: Int(valueLen), valueRequest: valueRequest)
    }
}
