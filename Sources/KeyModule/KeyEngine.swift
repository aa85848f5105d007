import Crypto
import Foundation
import KeyCore

/// The KMS engine inside the key module: every KMS operation, the key state machine, rotation, aliases, tags.
///
/// It is the only code that holds root key material. Callers reach it with ``call(_:caller:body:)``: a KMS
/// operation name and its JSON 1.1 request body in, the JSON response or a ``KMSFault`` out, exactly the shapes
/// the AWS KMS API uses (reference: `kms-and-client-side.md` §1–§6). Every call is written to the audit trail.
///
/// Time comes from the injected clock plus an offset that tests may move forward (``advanceClock(by:)``), so that
/// automatic rotation and the end of a deletion window are testable without waiting. Both are applied lazily, at
/// the first call after they fall due.
public final class KeyEngine: @unchecked Sendable {
    /// Where ARNs point and what tests may do.
    public struct Configuration: Sendable {
        public var region: String
        public var accountId: String
        /// Accept `_AdvanceClock` (tests only).
        public var allowClockControl: Bool

        public init(region: String = "us-east-1", accountId: String = "123456789012", allowClockControl: Bool = false) {
            self.region = region
            self.accountId = accountId
            self.allowClockControl = allowClockControl
        }
    }

    public let configuration: Configuration
    let file: KeyStoreFile?
    let audit: AuditLog?
    let clock: @Sendable () -> Date

    let lock = NSLock()
    var state: KeyStoreState
    var clockOffset: TimeInterval = 0
    /// Material cache: "keyId#index" → AES key.
    var symmetricKeys: [String: SymmetricKey] = [:]
    /// The earliest time at which a rotation or a deletion falls due.
    var nextDeadline: Double = .infinity

    static let managedS3Alias = "alias/aws/s3"
    /// The identifier of the hidden key behind SSE-S3 (S3-owned keys are invisible to customers, as on AWS): reachable
    /// only through the module's binary data-key calls, never listed, never reachable through the KMS API.
    public static let sseS3Identifier = KeyModuleBinary.sseS3KeyId
    static let sseS3KeyId = "s3emu-sse-s3"
    static let internalKeyManager = "S3EMU"
    static let maxOnDemandRotations = 25

    /// An engine over a sealed key store file and an audit trail.
    public convenience init(storePath: String, masterKey: MasterKeySource, auditPath: String,
                            configuration: Configuration, clock: @escaping @Sendable () -> Date = { Date() }) throws {
        let (file, state) = try KeyStoreFile.open(path: storePath, source: masterKey)
        let audit = try AuditLog(path: auditPath, clock: clock)
        self.init(configuration: configuration, file: file, audit: audit, state: state, clock: clock)
    }

    /// An engine that keeps everything in memory (unit tests).
    public convenience init(configuration: Configuration = Configuration(), clock: @escaping @Sendable () -> Date = { Date() }) {
        self.init(configuration: configuration, file: nil, audit: nil, state: KeyStoreState(), clock: clock)
    }

    init(configuration: Configuration, file: KeyStoreFile?, audit: AuditLog?, state: KeyStoreState, clock: @escaping @Sendable () -> Date) {
        self.configuration = configuration
        self.file = file
        self.audit = audit
        self.state = state
        self.clock = clock
        nextDeadline = computeDeadline()
    }

    // MARK: - Entry point

    /// Runs one KMS operation. `caller` (an access key, or `s3` for the object service) goes to the audit trail.
    public func call(_ operation: String, caller: String, body: [UInt8]) -> Result<[UInt8], KMSFault> {
        if operation == "_Ping" { return .success(Array("{}".utf8)) }  // liveness probe: no key involved, not audited
        if operation == KeyModuleBinary.generateDataKey || operation == KeyModuleBinary.decrypt {
            return callBinary(operation, caller: caller, body: body)
        }
        var event = AuditEvent(operation: operation, caller: caller)
        let result: Result<[UInt8], KMSFault>
        do throws(KMSFault) {
            let request = try JSONObject(parsing: body)
            let response = try dispatch(operation, request, &event)
            result = .success(response.serialized())
        } catch {
            event.result = error.type
            result = .failure(error)
        }
        audit?.append(event)
        if Self.managementOperations.contains(operation) { audit?.sync() }
        return result
    }

    static let managementOperations: Set<String> = [
        "CreateKey", "CreateAlias", "UpdateAlias", "DeleteAlias", "EnableKey", "DisableKey", "ScheduleKeyDeletion",
        "CancelKeyDeletion", "EnableKeyRotation", "DisableKeyRotation", "RotateKeyOnDemand", "TagResource",
        "UntagResource", "UpdateKeyDescription",
    ]

    func dispatch(_ op: String, _ r: JSONObject, _ e: inout AuditEvent) throws(KMSFault) -> JSONObject {
        switch op {
        case "CreateKey": try createKey(r, &e)
        case "DescribeKey": try describeKey(r, &e)
        case "ListKeys": try listKeys(r, &e)
        case "UpdateKeyDescription": try updateKeyDescription(r, &e)
        case "EnableKey": try setEnabled(true, r, &e)
        case "DisableKey": try setEnabled(false, r, &e)
        case "ScheduleKeyDeletion": try scheduleKeyDeletion(r, &e)
        case "CancelKeyDeletion": try cancelKeyDeletion(r, &e)
        case "CreateAlias": try createAlias(r, &e)
        case "UpdateAlias": try updateAlias(r, &e)
        case "DeleteAlias": try deleteAlias(r, &e)
        case "ListAliases": try listAliases(r, &e)
        case "Encrypt": try encrypt(r, &e)
        case "Decrypt": try decrypt(r, &e)
        case "ReEncrypt": try reEncrypt(r, &e)
        case "GenerateDataKey": try generateDataKey(r, &e, withPlaintext: true)
        case "GenerateDataKeyWithoutPlaintext": try generateDataKey(r, &e, withPlaintext: false)
        case "GenerateRandom": try generateRandom(r)
        case "GetPublicKey": try getPublicKey(r, &e)
        case "EnableKeyRotation": try enableKeyRotation(r, &e)
        case "DisableKeyRotation": try disableKeyRotation(r, &e)
        case "GetKeyRotationStatus": try getKeyRotationStatus(r, &e)
        case "RotateKeyOnDemand": try rotateKeyOnDemand(r, &e)
        case "ListKeyRotations": try listKeyRotations(r, &e)
        case "TagResource": try tagResource(r, &e)
        case "UntagResource": try untagResource(r, &e)
        case "ListResourceTags": try listResourceTags(r, &e)
        case "GetKeyPolicy": try getKeyPolicy(r, &e)
        case "_AdvanceClock": try advanceClock(r)
        default: throw KMSFault("UnknownOperationException", "Unknown operation \(op).")
        }
    }

    // MARK: - Time

    /// The engine's current time (the clock plus any test offset).
    public var now: Date { lock.withLock { clock().addingTimeInterval(clockOffset) } }

    /// Moves the engine's clock forward (tests).
    public func advanceClock(by seconds: TimeInterval) {
        lock.withLock { clockOffset += seconds }
    }

    func advanceClock(_ r: JSONObject) throws(KMSFault) -> JSONObject {
        guard configuration.allowClockControl else { throw KMSFault("UnknownOperationException", "Unknown operation _AdvanceClock.") }
        guard let seconds = try r.int("Seconds"), seconds >= 0 else { throw .validation("Seconds must be a non-negative integer.") }
        advanceClock(by: TimeInterval(seconds))
        return JSONObject(["Now": now.timeIntervalSince1970])
    }

    // MARK: - State access (call with the lock held)

    func nowLocked() -> Double { clock().addingTimeInterval(clockOffset).timeIntervalSince1970 }

    /// Runs `body` with the lock held after applying whatever rotations and deletions have fallen due.
    func withState<R>(_ body: (Double) throws(KMSFault) -> R) throws(KMSFault) -> R {
        lock.lock()
        defer { lock.unlock() }
        let t = nowLocked()
        if t >= nextDeadline { applyTimeEvents(t) }
        return try body(t)
    }

    /// Applies a change to a copy of the state, persists it, then makes it current. A failed write changes nothing.
    func mutate<R>(_ body: (inout KeyStoreState) throws(KMSFault) -> R) throws(KMSFault) -> R {
        var next = state
        let r = try body(&next)
        do { try file?.write(next) } catch { throw .internalError("The key store could not be written.") }
        state = next
        nextDeadline = computeDeadline()
        return r
    }

    func index(of keyId: String) -> Int? { state.keys.firstIndex { $0.id == keyId } }

    func arn(_ keyId: String) -> String { "arn:aws:kms:\(configuration.region):\(configuration.accountId):key/\(keyId)" }
    func aliasArn(_ name: String) -> String { "arn:aws:kms:\(configuration.region):\(configuration.accountId):\(name)" }

    /// Resolves any of the four key identifier forms (or only key id / key ARN when `allowAlias` is false) to the
    /// key's position, creating the AWS-managed `aws/s3` key on its first use.
    func resolve(_ identifier: String, allowAlias: Bool, now: Double, isInternal: Bool = false) throws(KMSFault) -> Int {
        if identifier == Self.sseS3Identifier && isInternal {
            if let i = index(of: Self.sseS3KeyId) { return i }
            return try createInternalKey(Self.sseS3KeyId, now: now)
        }
        guard !identifier.isEmpty else {
            throw .validation("1 validation error detected: Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1")
        }
        var id = identifier
        if id.hasPrefix("arn:") {
            let parts = id.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            guard parts.count == 6, parts[2] == "kms" else { throw .notFound("Invalid arn \(identifier)") }
            let resource = String(parts[5])
            if resource.hasPrefix("alias/") {
                guard allowAlias else { throw .notFound("Invalid keyId \(identifier)") }
                id = resource
            } else if resource.hasPrefix("key/") {
                guard parts[3] == configuration.region, parts[4] == configuration.accountId else {
                    throw .notFound("Key '\(identifier)' does not exist")
                }
                id = String(resource.dropFirst(4))
            } else {
                throw .notFound("Invalid arn \(identifier)")
            }
        }
        if id.hasPrefix("alias/") {
            guard allowAlias else { throw .notFound("Invalid keyId \(identifier)") }
            if let alias = state.aliases[id], let i = index(of: alias.targetKeyId) { return i }
            if id == Self.managedS3Alias { return try createManagedS3Key(now: now) }
            throw .notFound("Alias \(aliasArn(id)) is not found.")
        }
        guard let i = index(of: id), isInternal || state.keys[i].keyManager != Self.internalKeyManager else {
            throw .notFound("Key '\(arn(id))' does not exist")
        }
        return i
    }

    /// The checks every cryptographic operation makes on its key (reference §3.2).
    func requireUsable(_ key: KeyRecord) throws(KMSFault) {
        switch key.state {
        case .enabled: return
        case .disabled: throw .disabled(arn(key.id))
        case .pendingDeletion: throw .invalidState("\(arn(key.id)) is pending deletion.")
        }
    }

    func requireNotPendingDeletion(_ key: KeyRecord) throws(KMSFault) {
        if key.state == .pendingDeletion { throw .invalidState("\(arn(key.id)) is pending deletion.") }
    }

    func symmetricKey(_ key: KeyRecord, index: UInt32) -> SymmetricKey? {
        let cacheKey = "\(key.id)#\(index)"
        if let k = symmetricKeys[cacheKey] { return k }
        guard let m = key.materials.first(where: { $0.index == index }), m.secret.count == 32 else { return nil }
        let k = SymmetricKey(data: m.secret)
        symmetricKeys[cacheKey] = k
        return k
    }

    /// `n` random bytes (``SecretBytes/random(count:)``'s generator).
    static func randomBytes(_ n: Int) -> [UInt8] { SecretBytes.random(count: n).bytes }

    static func newKeyId() -> String { UUID().uuidString.lowercased() }
}
