import Foundation
import KeyCore
import KeyProviders
import Synchronization

/// S3 Bucket Keys for SSE-KMS (`x-amz-server-side-encryption-bucket-key-enabled: true`, or the bucket default's
/// `BucketKeyEnabled`): instead of one KMS GenerateDataKey per object and one Decrypt per read, S3 asks KMS for a
/// bucket-level data key, with the *bucket* ARN as `aws:s3:arn` in the encryption context, and uses it for a while.
///
/// ```
/// write: slot = (bucket, KMS key id as requested, encryption context)      context = user ∪ {aws:s3:arn: bucket ARN}
///        key  = cached[slot] if younger than maxAge, else KMS GenerateDataKey(key id, context)   (one audit record)
///        each object: segment keys = HKDF(bucket data key, fresh per-object salt, bucket/key/part binding)
/// read:  plaintext = opened[(sealed blob, context)] if younger than maxAge, else KMS Decrypt(sealed, context)
/// ```
/// The per-object keys differ because the at-rest format derives every object's segment keys from its own random
/// salt and binds bucket, key and part (`AtRestFormat`); the stored envelope holds the sealed bucket-level key and the
/// bucket-key flag, as for any SSE-KMS object. Objects written without a Bucket Key never use this cache.
///
/// Key state: KMS is not asked while a cached key is used, as with S3's Bucket Keys, so a state change made
/// outside this server (the key module's own files, an external KMS endpoint) takes effect within ``maxAge``.
/// Every key-management call through this server's own KMS API (DisableKey, ScheduleKeyDeletion, alias changes,
/// rotation, …) empties the cache at once (``invalidateAll()``), so the KMS.* errors of a disabled or
/// pending-deletion key come back on the very next request, as they do without a Bucket Key.
/// The lifetime is not documented by AWS ("a time-limited period"); 60 s is this emulator's choice.
final class BucketKeyCache: Sendable {
    static let maxAge: TimeInterval = 60
    static let maxSlots = 1024
    static let maxOpened = 4096

    struct Slot: Hashable, Sendable {
        var bucket: String
        var keyId: String
        var context: [String: String]
    }

    private struct Opened: Hashable {
        var sealed: [UInt8]
        var context: [String: String]
    }

    private struct Entry<Value> {
        var value: Value
        var created: Date
    }

    private struct State {
        var current: [Slot: Entry<DataKey>] = [:]
        /// By sealed key and the context it must be opened with (a cached key is never handed to another context).
        var opened: [Opened: Entry<SecretBytes>] = [:]
    }

    private let state = Mutex(State())
    private let now: @Sendable () -> Date

    init(now: @escaping @Sendable () -> Date = { Date() }) { self.now = now }

    private func fresh<V>(_ e: Entry<V>?, at t: Date) -> V? {
        guard let e, t.timeIntervalSince(e.created) < Self.maxAge, t >= e.created else { return nil }
        return e.value
    }

    /// The bucket-level data key for `slot`, from KMS when none younger than ``maxAge`` is cached.
    func dataKey(for slot: Slot, provider: any KeyProvider, caller: String) async throws(KMSFault) -> DataKey {
        let t = now()
        if let k = state.withLock({ fresh($0.current[slot], at: t) }) { return k }
        let k = try await provider.generateDataKey(keyId: slot.keyId, context: slot.context, caller: caller)
        state.withLock { s in
            if s.current.count >= Self.maxSlots { s.current.removeAll() }
            s.current[slot] = Entry(value: k, created: t)
            s.opened[Opened(sealed: k.sealed, context: slot.context)] = Entry(value: k.plaintext, created: t)
        }
        return k
    }

    /// The plaintext of a sealed bucket-level key, from KMS when it was not unsealed within ``maxAge``.
    func open(_ sealed: [UInt8], context: [String: String], provider: any KeyProvider, caller: String) async throws(KMSFault) -> SecretBytes {
        let t = now()
        let id = Opened(sealed: sealed, context: context)
        if let k = state.withLock({ fresh($0.opened[id], at: t) }) { return k }
        let k = try await provider.decryptDataKey(sealed, keyId: nil, context: context, caller: caller)
        state.withLock { s in
            if s.opened.count >= Self.maxOpened { s.opened.removeAll() }
            s.opened[id] = Entry(value: k, created: t)
        }
        return k
    }

    /// Forgets every cached key (a key's state, material or alias changed).
    func invalidateAll() {
        state.withLock { $0 = State() }
    }
}
