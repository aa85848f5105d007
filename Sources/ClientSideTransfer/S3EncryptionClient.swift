import AsyncHTTPClient
import ClientSideEncryption
import Foundation
import KeyCore
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Puts and gets client-side-encrypted objects in the S3 Encryption Client's formats, streaming: a file of any
/// size is read, encrypted and uploaded in parts of ``PutOptions/partSize`` (a few parts in flight), and downloaded
/// and decrypted into a temporary file that becomes the output only once the body has authenticated. Memory stays
/// at a few part sizes whatever the object's size.
public final class S3EncryptionClient: Sendable {
    public let s3: S3ObjectClient
    public let cryptor: EnvelopeCryptor

    public init(s3: S3ObjectClient, cryptor: EnvelopeCryptor) {
        self.s3 = s3
        self.cryptor = cryptor
    }

    /// How to write.
    public struct PutOptions: Sendable {
        public var format: FormatVersion = .v3
        /// KMS encryption context, or the material description for AES and RSA keys.
        public var context: [String: String] = [:]
        /// Put the envelope in `<key>.instruction` instead of the object's metadata.
        public var instructionFile = false
        public var instructionSuffix = ".instruction"
        /// Plaintext bytes per part (at least 5 MiB); a body no longer than one part is a single PUT.
        public var partSize = 8 << 20
        /// Parts uploaded at once.
        public var concurrency = 3
        public var contentType: String?

        public init() {}
    }

    /// How to read.
    public struct GetOptions: Sendable {
        public var context: [String: String] = [:]
        /// A plaintext byte range (inclusive); decrypted with CTR and **not authenticated**.
        public var range: ClosedRange<Int64>?
        public var instructionSuffix = ".instruction"

        public init() {}
    }

    /// What a put did.
    public struct PutResult: Sendable {
        public var metadata: ContentMetadata
        public var plaintextBytes: Int64
        /// 0 for a single PUT.
        public var parts: Int
    }

    /// Called with the plaintext bytes done so far and the total when known.
    public typealias Progress = @Sendable (_ done: Int64, _ total: Int64?) -> Void

    // MARK: Put

    /// Encrypts what `fd` yields until end of file and uploads it to `location`. `size` (when known) only feeds the
    /// progress callback.
    public func putObject(
        _ location: S3Location, readingFrom fd: Int32, size: Int64? = nil, options: PutOptions = PutOptions(), progress: Progress? = nil
    ) async throws(ClientSideError) -> PutResult {
        guard options.partSize >= 5 << 20 else { throw .io("the part size must be at least 5 MiB (S3's minimum)") }
        let encryptor = try await cryptor.encryptor(format: options.format, context: options.context)
        let envelope = encryptor.metadata.encoded(instructionFile: options.instructionFile)
        var done: Int64 = 0
        // Each part's plaintext is read into its own buffer, encrypted in place and uploaded from it: memory is
        // about (concurrency + 2) part sizes. The part after the current one is read first, to know which is last.
        var pending = try Self.read(fd, upTo: options.partSize)
        let result: PutResult
        if pending.readableBytes < options.partSize {
            done = Int64(pending.readableBytes)
            try Self.seal(&pending, with: encryptor, last: true)
            try await s3.putObject(location, body: pending, metadata: envelope.object, contentType: options.contentType)
            progress?(done, size)
            result = PutResult(metadata: encryptor.metadata, plaintextBytes: done, parts: 0)
        } else {
            let uploadId = try await s3.createMultipartUpload(location, metadata: envelope.object, contentType: options.contentType)
            do {
                var etags: [(number: Int, eTag: String)] = []
                try await Self.wrap {
                    try await withThrowingTaskGroup(of: (Int, String).self) { group in
                        var number = 0
                        var inFlight = 0
                        while true {
                            if inFlight >= options.concurrency, let finished = try await group.next() {
                                etags.append((finished.0, finished.1))
                                inFlight -= 1
                            }
                            let next = try Self.read(fd, upTo: options.partSize)
                            let isLast = next.readableBytes == 0
                            done += Int64(pending.readableBytes)
                            try Self.seal(&pending, with: encryptor, last: isLast)
                            number += 1
                            let partNumber = number
                            let body = pending
                            group.addTask { [s3] in (partNumber, try await s3.uploadPart(location, uploadId: uploadId, partNumber: partNumber, body: body)) }
                            inFlight += 1
                            progress?(done, size)
                            pending = next
                            if isLast { break }
                        }
                        for try await finished in group { etags.append((finished.0, finished.1)) }
                    }
                }
                etags.sort { $0.number < $1.number }
                try await s3.completeMultipartUpload(location, uploadId: uploadId, parts: etags)
                result = PutResult(metadata: encryptor.metadata, plaintextBytes: done, parts: etags.count)
            } catch {
                await s3.abortMultipartUpload(location, uploadId: uploadId)
                throw error
            }
        }
        if let instruction = envelope.instructionFile {
            let file = S3Location(bucket: location.bucket, key: location.key + options.instructionSuffix)
            try await s3.putObject(
                file, body: ByteBuffer(string: JSONMap.encode(instruction)), metadata: [MetadataKey.instructionFileMarker: ""])
        }
        return result
    }

    // MARK: Get

    /// What a get found.
    public struct GetResult: Sendable {
        public var metadata: ContentMetadata
        public var plaintextBytes: Int64
    }

    /// Downloads and decrypts `location` into `path` (`-` for standard output). The plaintext is written to a
    /// temporary file beside `path` (in the temporary directory for `-`) and moved into place only after the whole
    /// body authenticated; on any failure nothing is left behind.
    public func getObject(_ location: S3Location, to path: String, options: GetOptions = GetOptions(), progress: Progress? = nil) async throws(
        ClientSideError
    ) -> GetResult {
        let toStdout = path == "-"
        let directory = toStdout ? NSTemporaryDirectory() : (URL(fileURLWithPath: path).deletingLastPathComponent().path)
        let temporary = URL(fileURLWithPath: directory).appendingPathComponent(".s3emu-cse-\(UUID().uuidString).partial").path
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .io("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var closed = false
        defer {
            if !closed { close(fd) }
            unlink(temporary)
        }
        let result = try await download(location, into: fd, options: options, progress: progress)
        guard fsync(fd) == 0 || toStdout else { throw .io("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        let mask = umask(0)
        umask(mask)
        fchmod(fd, 0o666 & ~mask)  // created 0600 while unauthenticated; now the mode a new file would get
        close(fd)
        closed = true
        if toStdout {
            try Self.copy(temporary, toFD: STDOUT_FILENO)
        } else if rename(temporary, path) != 0 {
            throw .io("cannot move the plaintext into \(path): \(String(cString: strerror(errno)))")
        }
        return result
    }

    /// Fetches the envelope of `location`: from its metadata, or its instruction file.
    public func envelope(of location: S3Location, head: ObjectHead, suffix: String) async throws(ClientSideError) -> (ContentMetadata, [String: String]) {
        let objectKeys = head.metadata.filter { MetadataKey.all.contains($0.key) }
        switch try ContentMetadata.locate(head.metadata) {
        case .object:
            return (try ContentMetadata.parse(object: head.metadata), objectKeys)
        case .instructionFile:
            let file = S3Location(bucket: location.bucket, key: location.key + suffix)
            guard let (_, body) = try await s3.getSmallObject(file) else { throw .notEncrypted }
            let map = try JSONMap.decode(String(decoding: body, as: UTF8.self), name: "the instruction file \(file)")
            let metadata = try ContentMetadata.parse(object: head.metadata, instructionFile: map)
            return (metadata, objectKeys.merging(map) { _, fromFile in fromFile })
        }
    }

    private func download(_ location: S3Location, into fd: Int32, options: GetOptions, progress: Progress?) async throws(ClientSideError) -> GetResult {
        if let range = options.range {
            let head = try await s3.headObject(location)
            let (metadata, _) = try await envelope(of: location, head: head, suffix: options.instructionSuffix)
            let decryptor = try await cryptor.rangeDecryptor(for: metadata, context: options.context, range: range, storedLength: head.objectSize)
            let (_, body) = try await s3.getObject(location, range: decryptor.plan.fetch)
            var written: Int64 = 0
            try await Self.stream(body) { (chunk) throws(ClientSideError) in
                let plain = try decryptor.update(Array(chunk))
                try Self.write(fd, plain)
                written += Int64(plain.count)
                progress?(written, Int64(decryptor.plan.plaintext.count))
            }
            return GetResult(metadata: metadata, plaintextBytes: written)
        }
        let (head, body) = try await s3.getObject(location)
        let (metadata, _) = try await envelope(of: location, head: head, suffix: options.instructionSuffix)
        let decryptor = try await cryptor.decryptor(for: metadata, context: options.context)
        let total: Int64? = head.contentLength >= 16 && metadata.contentCipher.isAuthenticated ? head.contentLength - 16 : nil
        var written: Int64 = 0
        var plain: [UInt8] = []
        try await Self.stream(body) { (chunk) throws(ClientSideError) in
            plain.removeAll(keepingCapacity: true)
            try decryptor.update(chunk, into: &plain)
            try Self.write(fd, plain)
            written += Int64(plain.count)
            progress?(written, total)
        }
        let last = try decryptor.finish()
        try Self.write(fd, last)
        written += Int64(last.count)
        return GetResult(metadata: metadata, plaintextBytes: written)
    }

    // MARK: Helpers

    private static func stream(
        _ body: HTTPClientResponse.Body, _ handle: (UnsafeRawBufferPointer) throws(ClientSideError) -> Void
    ) async throws(ClientSideError) {
        do {
            for try await buffer in body {
                var failure: ClientSideError?
                buffer.withUnsafeReadableBytes { raw in
                    do throws(ClientSideError) { try handle(raw) } catch { failure = error }
                }
                if let failure { throw failure }
            }
        } catch let error as ClientSideError {
            throw error
        } catch {
            throw .io("reading the object failed: \(error)")
        }
    }

    static func wrap(_ body: () async throws -> Void) async throws(ClientSideError) {
        do {
            try await body()
        } catch let error as ClientSideError {
            throw error
        } catch {
            throw .io("\(error)")
        }
    }

    /// Reads until `count` bytes or end of file, into a buffer with room for the tag after them.
    static func read(_ fd: Int32, upTo count: Int) throws(ClientSideError) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count + 16)
        var failure: ClientSideError?
        var endOfFile = false
        while buffer.readableBytes < count && !endOfFile {
            let wanted = count - buffer.readableBytes
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { raw -> Int in
                let got = Glibc.read(fd, raw.baseAddress!, wanted)
                if got == 0 { endOfFile = true }
                if got < 0 && errno != EINTR { failure = .io("reading the input failed: \(String(cString: strerror(errno)))") }
                return max(got, 0)
            }
            if let failure { throw failure }
        }
        return buffer
    }

    /// Encrypts a part's plaintext in place; the last part also gets the tag.
    static func seal(_ buffer: inout ByteBuffer, with encryptor: ContentEncryptor, last: Bool) throws(ClientSideError) {
        var failure: ClientSideError?
        buffer.withUnsafeMutableReadableBytes { raw in
            do throws(ClientSideError) { try encryptor.encryptInPlace(raw) } catch { failure = error }
        }
        if let failure { throw failure }
        if last { buffer.writeBytes(try encryptor.finish()) }
    }

    static func write(_ fd: Int32, _ bytes: [UInt8]) throws(ClientSideError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in Glibc.write(fd, raw.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io("writing the output failed: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    static func copy(_ path: String, toFD out: Int32) throws(ClientSideError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io("cannot reopen \(path)") }
        defer { close(fd) }
        while true {
            let chunk = try read(fd, upTo: 1 << 20)
            if chunk.readableBytes == 0 { return }
            try write(out, Array(chunk.readableBytesView))
        }
    }
}
