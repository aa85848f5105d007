import CAEAD
import Crypto
import KeyCore
import Synchronization

/// AES-256-GCM bound to one key, over BoringSSL's EVP_AEAD (`CAEAD`): the key is expanded once and every call
/// reuses the context, works in place if asked and allocates nothing. Nonces are 12 bytes, tags 16.
///
/// Calls are serialised by a lock, so one context may be shared; the key schedule is wiped when it is freed.
public final class AES256GCMContext: @unchecked Sendable {
    /// Bytes of a nonce.
    public static let nonceSize = 12
    /// Bytes of a tag.
    public static let tagSize = 16

    // Guarded by `lock` (the C context keeps no per-message state today, but the lock leaves the shim free to).
    private let context: OpaquePointer
    private let lock = Mutex(())

    /// A context for the 32-byte `key`.
    public convenience init(key: UnsafeRawBufferPointer) throws(AtRestCryptoError) {
        self.init(context: try Self.makeContext(key: key))
    }

    /// A context for a swift-crypto key of 32 bytes.
    public convenience init(key: SymmetricKey) throws(AtRestCryptoError) {
        let made = key.withUnsafeBytes { raw in Result { () throws(AtRestCryptoError) in try Self.makeContext(key: raw) } }
        self.init(context: try made.get())
    }

    /// A context for a 32-byte secret.
    public convenience init(key: SecretBytes) throws(AtRestCryptoError) {
        try self.init(key: key.symmetricKey)
    }

    private init(context: OpaquePointer) { self.context = context }

    private static func makeContext(key: UnsafeRawBufferPointer) throws(AtRestCryptoError) -> OpaquePointer {
        guard key.count == AtRestFormat.keySize else { throw .invalidKeyLength(key.count) }
        guard let ctx = s3emu_aead_new(bytes(key)) else { throw .cipherFailure }
        return ctx
    }

    deinit { s3emu_aead_free(context) }

    /// An independent context with the same key, so that two threads can seal or open under one key without
    /// waiting for each other's lock.
    public func duplicate() throws(AtRestCryptoError) -> AES256GCMContext {
        guard let copy = lock.withLock({ _ in s3emu_aead_dup(context) }) else { throw .cipherFailure }
        return AES256GCMContext(context: copy)
    }

    /// Encrypts `input` into `output` (which may be the same memory, and holds at least `input.count` bytes) and
    /// writes the tag to the first 16 bytes of `tag`.
    public func seal(nonce: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer, input: UnsafeRawBufferPointer,
                     output: UnsafeMutableRawBufferPointer, tag: UnsafeMutableRawBufferPointer) throws(AtRestCryptoError)
    {
        try check(nonce: nonce, input: input.count, output: output.count, tag: tag.count)
        let rc = lock.withLock { _ in
            s3emu_aead_seal(context, bytes(nonce), bytes(aad), aad.count, bytes(input), mutableBytes(output),
                            input.count, mutableBytes(tag))
        }
        guard rc == 0 else { throw .cipherFailure }
    }

    /// Decrypts `input` into `output` (which may be the same memory) and checks `tag`. On failure the first
    /// `input.count` bytes of `output` are zeroed and `AtRestCryptoError.authenticationFailed` is thrown with
    /// `segment` as its index.
    public func open(nonce: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer, input: UnsafeRawBufferPointer,
                     output: UnsafeMutableRawBufferPointer, tag: UnsafeRawBufferPointer, segment: Int = -1)
        throws(AtRestCryptoError)
    {
        try check(nonce: nonce, input: input.count, output: output.count, tag: tag.count)
        let rc = lock.withLock { _ in
            s3emu_aead_open(context, bytes(nonce), bytes(aad), aad.count, bytes(input), mutableBytes(output),
                            input.count, bytes(tag))
        }
        guard rc == 0 else { throw .authenticationFailed(segment: segment) }
    }

    /// Encrypts `plaintext`; returns the ciphertext and the tag.
    public func seal(_ plaintext: [UInt8], nonce: [UInt8], aad: [UInt8] = []) throws(AtRestCryptoError)
        -> (ciphertext: [UInt8], tag: [UInt8])
    {
        var out = [UInt8](repeating: 0, count: plaintext.count)
        var tag = [UInt8](repeating: 0, count: Self.tagSize)
        try typedThrows {
            try plaintext.withUnsafeBytes { input in
                try nonce.withUnsafeBytes { n in
                    try aad.withUnsafeBytes { a in
                        try out.withUnsafeMutableBytes { o in
                            try tag.withUnsafeMutableBytes { t in
                                try seal(nonce: n, aad: a, input: input, output: o, tag: t)
                            }
                        }
                    }
                }
            }
        }
        return (out, tag)
    }

    /// Decrypts `ciphertext` and checks `tag`; throws `AtRestCryptoError.authenticationFailed` on any mismatch.
    public func open(_ ciphertext: [UInt8], tag: [UInt8], nonce: [UInt8], aad: [UInt8] = []) throws(AtRestCryptoError)
        -> [UInt8]
    {
        var out = [UInt8](repeating: 0, count: ciphertext.count)
        try typedThrows {
            try ciphertext.withUnsafeBytes { input in
                try nonce.withUnsafeBytes { n in
                    try aad.withUnsafeBytes { a in
                        try out.withUnsafeMutableBytes { o in
                            try tag.withUnsafeBytes { t in
                                try open(nonce: n, aad: a, input: input, output: o, tag: t)
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    private func check(nonce: UnsafeRawBufferPointer, input: Int, output: Int, tag: Int) throws(AtRestCryptoError) {
            guard nonce.count == Self.nonceSize else { throw .invalidParameter("nonce of \(nonce.count) bytes") }
            guard output >= input else { throw .invalidParameter("output shorter than input") }
            guard tag >= Self.tagSize else { throw .invalidParameter("tag of \(tag) bytes") }
        }
    }

    /// A C pointer to the bytes, or nil for an empty buffer.
    @inline(__always)
    func bytes(_ b: UnsafeRawBufferPointer) -> UnsafePointer<UInt8>? {
        b.baseAddress?.assumingMemoryBound(to: UInt8.self)
    }

    /// A mutable C pointer to the bytes, or nil for an empty buffer.
    @inline(__always)
    func mutableBytes(_ b: UnsafeMutableRawBufferPointer) -> UnsafeMutablePointer<UInt8>? {
        b.baseAddress?.assumingMemoryBound(to: UInt8.self)
    }

    /// Runs `body`, whose only errors are `AtRestCryptoError`s passed through untyped closures (`withUnsafeBytes`).
    @inline(__always)
    func typedThrows<R>(_ body: () throws -> R) throws(AtRestCryptoError) -> R {
        do {
            return try body()
        } catch let error as AtRestCryptoError {
            throw error
        } catch {
            throw .cipherFailure
        }
    }
