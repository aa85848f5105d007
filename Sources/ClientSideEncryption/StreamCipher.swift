import CAEAD
import KeyCore

/// One whole-object message through OpenSSL's streaming AES-256 (GCM, CTR or CBC), fed in pieces. Not for
/// concurrent use; wiped when it goes away.
final class StreamCipher {
    enum Kind { case gcm, ctr, cbc }

    private let stream: OpaquePointer
    let kind: Kind

    init(kind: Kind, encrypt: Bool, key: SecretBytes, iv: [UInt8], aad: [UInt8] = []) throws(ClientSideError) {
        let code: Int32 = switch kind {
        case .gcm: Int32(S3EMU_STREAM_GCM)
        case .ctr: Int32(S3EMU_STREAM_CTR)
        case .cbc: Int32(S3EMU_STREAM_CBC)
        }
        guard key.count == 32 else { throw .unwrapFailed("the data key is \(key.count) bytes, not 32") }
        let made: OpaquePointer? = key.withBytes { keyBytes in
            keyBytes.withUnsafeBufferPointer { k in
                iv.withUnsafeBufferPointer { v in
                    aad.withUnsafeBufferPointer { a in
                        s3emu_stream_new(code, encrypt ? 1 : 0, k.baseAddress, v.baseAddress, v.count, a.baseAddress, a.count)
                    }
                }
            }
        }
        guard let made else { throw .io("OpenSSL could not set up AES-256-\(kind)") }
        stream = made
        self.kind = kind
    }

    deinit { s3emu_stream_free(stream) }

    /// Processes `input`, appending the output to `output` (CBC decryption holds back up to a block).
    func update(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws(ClientSideError) {
        guard input.count > 0 else { return }
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: input.count + 16))
        let written = output.withUnsafeMutableBufferPointer { out in
            s3emu_stream_update(stream, input.bindMemory(to: UInt8.self).baseAddress, out.baseAddress! + start, input.count)
        }
        guard written >= 0 else {
            output.removeLast(input.count + 16)
            throw kind == .cbc ? .authenticationFailed : .io("OpenSSL failed in AES-256-\(kind)")
        }
        output.removeLast(input.count + 16 - written)
    }

    /// Encrypts or decrypts `buffer` in place (GCM and CTR only: their output is as long as their input).
    func updateInPlace(_ buffer: UnsafeMutableRawBufferPointer) throws(ClientSideError) {
        precondition(kind != .cbc, "CBC cannot work in place")
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        guard s3emu_stream_update(stream, bytes, bytes, buffer.count) == buffer.count else {
            throw .io("OpenSSL failed in AES-256-\(kind)")
        }
    }

    func update(_ input: [UInt8], into output: inout [UInt8]) throws(ClientSideError) {
        var failure: ClientSideError?
        input.withUnsafeBytes { raw in
            do throws(ClientSideError) { try update(raw, into: &output) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Ends an encryption: appends CBC's final block to `output`; returns GCM's tag (empty otherwise).
    func finishEncrypt(into output: inout [UInt8]) throws(ClientSideError) -> [UInt8] {
        var tag = [UInt8](repeating: 0, count: 16)
        var last = [UInt8](repeating: 0, count: 32)
        let written = s3emu_stream_finish_encrypt(stream, &last, &tag)
        guard written >= 0 else { throw .io("OpenSSL failed to finish AES-256-\(kind)") }
        output.append(contentsOf: last.prefix(written))
        return kind == .gcm ? tag : []
    }

    /// Ends a decryption: checks GCM's `tag` or CBC's padding (appending CBC's last plaintext bytes).
    func finishDecrypt(tag: [UInt8], into output: inout [UInt8]) throws(ClientSideError) {
        var last = [UInt8](repeating: 0, count: 32)
        let tagBytes = kind == .gcm ? tag : [UInt8](repeating: 0, count: 16)
        guard tagBytes.count == 16 else { throw .authenticationFailed }
        let written = s3emu_stream_finish_decrypt(stream, tagBytes, &last)
        guard written >= 0 else { throw .authenticationFailed }
        output.append(contentsOf: last.prefix(written))
    }
}
