import Foundation
import KeyCore
import KeyProviders
import Synchronization

/// SSE-S3's data keys without a key-module round trip per object, as S3 manages SSE-S3 keys itself.
///
/// Writes reuse one data key from the provider for up to ``maxUses`` objects or ``maxAge``; every object still gets
/// its own segment keys, because the at-rest format derives them with a fresh per-object salt (and binds bucket and
/// key), so reuse never repeats a (key, nonce) pair. Reads keep recently unsealed SSE-S3 data keys, by sealed blob.
/// SSE-KMS and DSSE-KMS never use this cache: their key's state is checked on every write and read.
final class SSES3KeyCache: Sendable {
    static let maxUses = 100_000
    static let maxAge: TimeInterval = 600
    static let maxOpened = 4096

    private struct Current {
        var key: DataKey
        var created: Date
        var uses: Int
    }

    private struct State {
        var current: Current?
        var opened: [[UInt8]: SecretBytes] = [:]
    }

    private let state = Mutex(State())

    /// A data key for one more SSE-S3 object.
    func dataKey(provider: any KeyProvider, context: [String: String], caller: String) async throws(KMSFault) -> DataKey {
        let now = Date()
        if let k = state.withLock({ s -> DataKey? in
            guard var c = s.current, c.uses < Self.maxUses, now.timeIntervalSince(c.created) < Self.maxAge else { return nil }
            c.uses += 1
            s.current = c
            return c.key
        }) {
            return k
        }
        let fresh = try await provider.generateDataKey(keyId: provider.sseS3KeyId, context: context, caller: caller)
        state.withLock { s in
            s.current = Current(key: fresh, created: now, uses: 1)
            s.opened[fresh.sealed] = fresh.plaintext
        }
        return fresh
    }

    /// The plaintext of a sealed SSE-S3 data key, unsealed by the provider at most once while cached.
    func open(_ sealed: [UInt8], provider: any KeyProvider, context: [String: String], caller: String) async throws(KMSFault) -> SecretBytes {
        if let k = state.withLock({ $0.opened[sealed] }) { return k }
        let k = try await provider.decryptDataKey(sealed, keyId: nil, context: context, caller: caller)
        state.withLock { s in
            if s.opened.count >= Self.maxOpened { s.opened.removeAll() }
            s.opened[sealed] = k
        }
        return k
    }
}
