import Foundation
import KeyCore
import KeyProviders
import Synchronization
import Testing

@testable import EmulatorServer

/// Counts the provider calls a `BucketKeyCache` makes; seals by prefixing a counter (opaque to the cache).
final class CountingProvider: KeyProvider, Sendable {
    let name = "counting"
    let calls = Mutex<[String]>([])
    let failWith = Mutex<KMSFault?>(nil)

    func generateDataKey(keyId: String?, context: [String: String], caller: String) async throws(KMSFault) -> DataKey {
        let n = calls.withLock { c -> Int in c.append("GenerateDataKey \(keyId ?? "-") \(context["aws:s3:arn"] ?? "")"); return c.count }
        if let f = failWith.withLock({ $0 }) { throw f }
        return DataKey(plaintext: SecretBytes([UInt8](repeating: UInt8(n), count: 32)), sealed: [0xEE, UInt8(n)],
                       keyId: "arn:aws:kms:us-east-1:000000000000:key/\(keyId ?? "default")", keyVersion: "v1")
    }

    func decryptDataKey(_ sealed: [UInt8], keyId: String?, context: [String: String], caller: String) async throws(KMSFault) -> SecretBytes {
        calls.withLock { $0.append("Decrypt \(sealed) \(context["aws:s3:arn"] ?? "")") }
        if let f = failWith.withLock({ $0 }) { throw f }
        return SecretBytes([UInt8](repeating: sealed[1], count: 32))
    }

    func describeKey(_ keyId: String?, caller: String) async throws(KMSFault) -> KeyDescription {
        KeyDescription(keyId: keyId ?? "", state: "Enabled")
    }
}

@Suite struct BucketKeyCacheTests {
    final class Clock: Sendable {
        let t = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        func advance(_ s: TimeInterval) { t.withLock { $0 += s } }
        var now: @Sendable () -> Date { { self.t.withLock { $0 } } }
    }

    static func slot(_ bucket: String, key: String = "k1", context: [String: String] = [:]) -> BucketKeyCache.Slot {
        var c = context
        c["aws:s3:arn"] = "arn:aws:s3:::\(bucket)"
        return .init(bucket: bucket, keyId: key, context: c)
    }

    @Test func oneGenerateDataKeyServesABucketUntilItExpires() async throws {
        let clock = Clock()
        let cache = BucketKeyCache(now: clock.now)
        let p = CountingProvider()
        let first = try await cache.dataKey(for: Self.slot("b"), provider: p, caller: "me")
        for _ in 0..<50 {
            let again = try await cache.dataKey(for: Self.slot("b"), provider: p, caller: "me")
            #expect(again.sealed == first.sealed)
        }
        #expect(p.calls.withLock { $0 } == ["GenerateDataKey k1 arn:aws:s3:::b"])
        clock.advance(BucketKeyCache.maxAge - 1)
        _ = try await cache.dataKey(for: Self.slot("b"), provider: p, caller: "me")
        #expect(p.calls.withLock { $0.count } == 1)
        clock.advance(1)
        let renewed = try await cache.dataKey(for: Self.slot("b"), provider: p, caller: "me")
        #expect(renewed.sealed != first.sealed)
        #expect(p.calls.withLock { $0.count } == 2)
    }

    @Test func bucketsKeysAndContextsHaveTheirOwnKeys() async throws {
        let cache = BucketKeyCache()
        let p = CountingProvider()
        let slots = [Self.slot("a"), Self.slot("b"), Self.slot("a", key: "k2"), Self.slot("a", context: ["team": "x"])]
        var sealed: Set<[UInt8]> = []
        for s in slots + slots { sealed.insert(try await cache.dataKey(for: s, provider: p, caller: "me").sealed) }
        #expect(sealed.count == 4)
        #expect(p.calls.withLock { $0.count } == 4)
    }

    @Test func readsUnsealOnceAndOnlyForTheSameContext() async throws {
        let clock = Clock()
        let cache = BucketKeyCache(now: clock.now)
        let p = CountingProvider()
        let written = try await cache.dataKey(for: Self.slot("b"), provider: p, caller: "me")
        // The key this server generated opens without KMS for the context it was made for …
        let k = try await cache.open(written.sealed, context: Self.slot("b").context, provider: p, caller: "me")
        #expect(k == written.plaintext)
        #expect(p.calls.withLock { $0.count } == 1)
        // … but never for another context: that is KMS's decision.
        _ = try await cache.open(written.sealed, context: Self.slot("other").context, provider: p, caller: "me")
        #expect(p.calls.withLock { $0.last } == "Decrypt \(written.sealed) arn:aws:s3:::other")
        // A key written elsewhere: one Decrypt, then cached until maxAge.
        let foreign: [UInt8] = [0xEE, 42]
        for _ in 0..<5 { _ = try await cache.open(foreign, context: Self.slot("b").context, provider: p, caller: "me") }
        #expect(p.calls.withLock { $0.count } == 3)
        clock.advance(BucketKeyCache.maxAge)
        _ = try await cache.open(foreign, context: Self.slot("b").context, provider: p, caller: "me")
        #expect(p.calls.withLock { $0.count } == 4)
    }

    /// After a key-management change (DisableKey through the KMS API) the next use asks KMS again and gets its error;
    /// errors are never cached.
    @Test func invalidationAndErrorsReachKMS() async throws {
        let cache = BucketKeyCache()
        let p = CountingProvider()
        let written = try await cache.dataKey(for: Self.slot("b"), provider: p, caller: "me")
        cache.invalidateAll()
        p.failWith.withLock { $0 = KMSFault("DisabledException", "arn is disabled.") }
        await #expect(throws: KMSFault.self) { try await cache.dataKey(for: Self.slot("b"), provider: p, caller: "me") }
        await #expect(throws: KMSFault.self) {
            try await cache.open(written.sealed, context: Self.slot("b").context, provider: p, caller: "me")
        }
        p.failWith.withLock { $0 = nil }
        _ = try await cache.dataKey(for: Self.slot("b"), provider: p, caller: "me")
        #expect(p.calls.withLock { $0.count } == 4)
    }
}
