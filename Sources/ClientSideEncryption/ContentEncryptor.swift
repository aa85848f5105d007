import KeyCore

/// Encrypts one object's body as a single stream: feed the plaintext in pieces with ``update(_:)``, then append
/// what ``finish()`` returns (the GCM tag). For multipart uploads each part is the output of the updates for that
/// part's plaintext, and the last part also carries the tag.
public final class ContentEncryptor {
    /// The envelope to store with the object.
    public let metadata: ContentMetadata
    private let cipher: StreamCipher
    private var finished = false

    /// Starts the body of an object whose data key and envelope are settled. `contentKey` is the data key (V2) or
    /// the V3 derived key.
    init(metadata: ContentMetadata, contentKey: SecretBytes) throws(ClientSideError) {
        self.metadata = metadata
        switch metadata.contentCipher {
        case .aesGCMCommitting:
            cipher = try StreamCipher(kind: .gcm, encrypt: true, key: contentKey, iv: KeyCommitment.nonce, aad: KeyCommitment.suiteID)
        case .aesGCM:
            cipher = try StreamCipher(kind: .gcm, encrypt: true, key: contentKey, iv: metadata.iv)
        case .aesCBC:
            throw .unsupported("writing AES/CBC objects (a legacy, unauthenticated format)")
        }
    }

    /// Encrypts the next plaintext bytes; the output has the same length.
    public func update(_ plaintext: [UInt8]) throws(ClientSideError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(plaintext.count + 16)
        try cipher.update(plaintext, into: &out)
        return out
    }

    /// Encrypts the next plaintext bytes from a buffer, appending to `output`.
    public func update(_ plaintext: UnsafeRawBufferPointer, into output: inout [UInt8]) throws(ClientSideError) {
        try cipher.update(plaintext, into: &output)
    }

    /// Encrypts the next plaintext bytes where they are (no copy): how large bodies are streamed.
    public func encryptInPlace(_ buffer: UnsafeMutableRawBufferPointer) throws(ClientSideError) {
        try cipher.updateInPlace(buffer)
    }

    /// Ends the body: returns the 16-byte tag that follows the ciphertext.
    public func finish() throws(ClientSideError) -> [UInt8] {
        guard !finished else { throw .io("the body was already finished") }
        finished = true
        var rest: [UInt8] = []
        let tag = try cipher.finishEncrypt(into: &rest)
        return rest + tag
    }
}

/// Decrypts one object's body as a stream. The plaintext ``update(_:)`` returns is **not yet authenticated**: only
/// when ``finish()`` returns without throwing has the whole body been checked. Callers that write somewhere others
/// can see (a file, a socket) must hold the output back or discard it when ``finish()`` throws, as
/// ``S3EncryptionClient`` does with a temporary file.
public final class ContentDecryptor {
    public let metadata: ContentMetadata
    private let cipher: StreamCipher
    private var held: [UInt8] = []
    private let tagLength: Int

    init(metadata: ContentMetadata, contentKey: SecretBytes) throws(ClientSideError) {
        self.metadata = metadata
        switch metadata.contentCipher {
        case .aesGCMCommitting:
            cipher = try StreamCipher(kind: .gcm, encrypt: false, key: contentKey, iv: KeyCommitment.nonce, aad: KeyCommitment.suiteID)
            tagLength = 16
        case .aesGCM:
            cipher = try StreamCipher(kind: .gcm, encrypt: false, key: contentKey, iv: metadata.iv)
            tagLength = 16
        case .aesCBC:
            cipher = try StreamCipher(kind: .cbc, encrypt: false, key: contentKey, iv: metadata.iv)
            tagLength = 0
        }
    }

    /// Decrypts the next stored bytes (the last 16 of a GCM body, its tag, are held back until ``finish()``).
    public func update(_ stored: [UInt8]) throws(ClientSideError) -> [UInt8] {
        var out: [UInt8] = []
        var failure: ClientSideError?
        stored.withUnsafeBytes { raw in
            do throws(ClientSideError) { try update(raw, into: &out) } catch { failure = error }
        }
        if let failure { throw failure }
        return out
    }

    /// Decrypts the next stored bytes from a buffer, appending the plaintext to `output`.
    public func update(_ stored: UnsafeRawBufferPointer, into output: inout [UInt8]) throws(ClientSideError) {
        if tagLength == 0 { return try cipher.update(stored, into: &output) }
        // Keep the last `tagLength` bytes seen so far: they may be the tag.
        let total = held.count + stored.count
        guard total > tagLength else { held.append(contentsOf: stored); return }
        let release = total - tagLength
        let fromHeld = min(release, held.count)
        if fromHeld > 0 {
            try cipher.update(Array(held.prefix(fromHeld)), into: &output)
            held.removeFirst(fromHeld)
        }
        let fromStored = release - fromHeld
        if fromStored > 0 { try cipher.update(UnsafeRawBufferPointer(rebasing: stored.prefix(fromStored)), into: &output) }
        held.append(contentsOf: stored.suffix(from: fromStored))
    }

    /// Checks the tag (or the CBC padding) and returns the last plaintext bytes (CBC only). Throws
    /// ``ClientSideError/authenticationFailed`` when the body was altered, cut short or decrypted with the wrong key.
    public func finish() throws(ClientSideError) -> [UInt8] {
        guard held.count == tagLength else { throw .authenticationFailed }
        var out: [UInt8] = []
        try cipher.finishDecrypt(tag: held, into: &out)
        return out
    }
}
