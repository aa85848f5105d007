import AtRestCrypto
import BucketPolicy
import ClientSideEncryption
import Encryption
import Foundation
import KeyCore
import NIOCore
import S3Wire

/// Each target feeds arbitrary bytes to one parser. A target passes when it returns (any thrown error is a clean
/// refusal); a crash, a trap or an address-sanitizer report is a finding.
enum FuzzTargets {
    static let all: [String: @Sendable ([UInt8]) -> Void] = [
        "sigv4": sigV4, "aws-chunked": awsChunked, "range": range, "sse-headers": sseHeaders, "xml": xml,
        "bucket-encryption": bucketEncryption, "policy": policy, "kms-json": kmsJSON, "segments": segments,
        "envelope": envelope, "s3ec-metadata": s3ecMetadata, "query": query,
    ]

    static let selected: @Sendable ([UInt8]) -> Void = {
        let name = ProcessInfo.processInfo.environment["S3EMU_FUZZ_TARGET"] ?? ""
        guard let target = all[name] else {
            FileHandle.standardError.write(Data("set S3EMU_FUZZ_TARGET to one of: \(all.keys.sorted().joined(separator: ", "))\n".utf8))
            exit(2)
        }
        return target
    }()

    /// Splits input into lines: `METHOD TARGET` then `name: value` headers (a cheap, mutation-friendly shape).
    static func head(_ bytes: [UInt8]) -> RequestHead {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let first = lines.isEmpty ? "GET /" : lines.removeFirst()
        let parts = first.split(separator: " ", maxSplits: 1).map(String.init)
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
        }
        return RequestHead(method: parts.first ?? "GET", target: parts.count > 1 ? parts[1] : "/", headers: headers)
    }

    static let authenticator = SigV4Authenticator(service: "s3", now: { 1_440_938_160 }, secretForAccessKey: { $0 == "AKIDEXAMPLE" ? "secret" : nil })

    static func sigV4(_ bytes: [UInt8]) {
        let h = head(bytes)
        _ = try? authenticator.authenticate(h)
        _ = try? authenticator.authenticate(h, virtualHostBucket: "bucket", bodySHA256: SigV4.sha256Hex(bytes))
        _ = SigV4.canonicalURI(rawPath: h.rawPath)
    }

    static func query(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        if let items = URIEncoding.parseQuery(text) { _ = SigV4.canonicalQuery(items) }
        _ = URIEncoding.decode(text, plusAsSpace: true)
        _ = SigV4.canonicalHeaderValue(text)
    }

    static func awsChunked(_ bytes: [UInt8]) {
        for trailer in [false, true] {
            var decoder = AWSChunkedDecoder(signing: nil, signedTrailer: trailer)
            // Feed in two pieces so chunk boundaries fall anywhere.
            let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
            do {
                _ = try decoder.decode(ByteBuffer(bytes: bytes[..<cut]))
                _ = try decoder.decode(ByteBuffer(bytes: bytes[cut...]))
                try decoder.finish()
            } catch {}
        }
    }

    static func range(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let range = ByteRange(header: text) else { return }
        for size: Int64 in [0, 1, 100, 1 << 40] {
            if let r = range.resolve(size: size) { precondition(r.lowerBound >= 0 && r.upperBound < size, "resolved outside the object") }
        }
    }

    static func sseHeaders(_ bytes: [UInt8]) {
        let h = head(bytes)
        for operation in SSEOperation.allCases { _ = try? SSERequestHeaders.parse(h, operation: operation) }
        _ = try? SSERequestHeaders.parseContext(String(decoding: bytes, as: UTF8.self))
    }

    static func xml(_ bytes: [UInt8]) {
        guard let node = try? XMLNode.parse(bytes) else { return }
        _ = node.children("Part").map { ($0.value("PartNumber"), $0.value("ETag")) }
        _ = node.children("Object").map { ($0.value("Key"), $0.value("VersionId")) }
    }

    static func bucketEncryption(_ bytes: [UInt8]) {
        _ = try? BucketEncryptionConfiguration.parse(bytes)
    }

    static func policy(_ bytes: [UInt8]) {
        _ = try? PolicyDocument(json: bytes, bucket: "bucket")
    }

    static func kmsJSON(_ bytes: [UInt8]) {
        guard let object = try? JSONObject(parsing: bytes) else { return }
        for key in ["KeyId", "Plaintext", "CiphertextBlob", "EncryptionContext", "NumberOfBytes", "KeySpec", "GrantTokens"] {
            _ = try? object.string(key)
            _ = try? object.requiredBlob(key)
        }
        if let context = object["EncryptionContext"] as? [String: String] { _ = EncryptionContext.canonical(context) }
    }

    static let segmentKeys: SegmentKeys = try! SegmentKeys(
        dataKey: SecretBytes([UInt8](repeating: 7, count: 32)), salt: [UInt8](repeating: 9, count: 32),
        context: SegmentContext(mode: .sseS3, bucket: "b", key: "k"), segmentSize: 1024)

    static func segments(_ bytes: [UInt8]) {
        _ = try? SegmentOpener(keys: segmentKeys).openObject(bytes)
    }

    static func envelope(_ bytes: [UInt8]) {
        _ = try? EncryptionEnvelope.decode(bytes)
    }

    static func s3ecMetadata(_ bytes: [UInt8]) {
        // key=value lines become object metadata; a line "--" starts the instruction file's JSON.
        let text = String(decoding: bytes, as: UTF8.self)
        let halves = text.components(separatedBy: "\n--\n")
        var map: [String: String] = [:]
        for line in halves[0].split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            map[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        let instruction = halves.count > 1 ? try? JSONMap.decode(halves[1], name: "fuzz") : nil
        if let metadata = try? ContentMetadata.parse(object: map, instructionFile: instruction) {
            _ = EnvelopeSummary(metadata: metadata, rawKeys: map).json()
            _ = try? ContentMetadata.parse(object: metadata.encoded().object)
            _ = try? RangePlan(metadata: metadata, range: 0...Int64(bytes.count), storedLength: Int64(bytes.count))
        }
        _ = KMSBlobKeyHint.keyId(in: bytes)
    }
}
