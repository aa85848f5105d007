import AsyncHTTPClient
import ClientSideEncryption
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import S3Wire

/// Where an S3 endpoint is and how to sign for it. `description` never shows the secret.
public struct S3Endpoint: Sendable, CustomStringConvertible {
    /// `http://host:port` or `https://host[:port]`; requests use path-style addressing.
    public var url: String
    public var region: String
    public var accessKeyId: String
    /// Never printed.
    public var secretAccessKey: String
    public var sessionToken: String?
    /// PEM CA certificates to trust for https instead of the system store.
    public var caBundlePath: String?

    public init(url: String, region: String, accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil, caBundlePath: String? = nil) {
        self.url = url
        self.region = region
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.caBundlePath = caBundlePath
    }

    public var description: String { "S3Endpoint(url: \(url), region: \(region), accessKeyId: \(accessKeyId), secretAccessKey: <redacted>)" }
}

/// What a GET or HEAD tells about an object.
public struct ObjectHead: Sendable {
    public var contentLength: Int64
    /// The object's size, from `Content-Range` for a range GET.
    public var objectSize: Int64
    /// User metadata, names without `x-amz-meta-`, lower case, values as sent.
    public var metadata: [String: String]
    public var eTag: String?
}

/// The few S3 calls client-side encryption needs (PUT, multipart, GET with range, HEAD), SigV4-signed with
/// `UNSIGNED-PAYLOAD`, path-style, over AsyncHTTPClient with streamed response bodies.
public final class S3ObjectClient: Sendable {
    private let http: HTTPClient
    private let origin: String
    private let hostHeader: String
    private let signer: SigV4Signer

    public init(endpoint: S3Endpoint) throws(ClientSideError) {
        guard let url = URL(string: endpoint.url), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else {
            throw .io("the endpoint '\(endpoint.url)' is not an http:// or https:// URL with a host")
        }
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(300))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 16)
        if scheme == "https" {
            var tls = TLSConfiguration.makeClientConfiguration()
            if let ca = endpoint.caBundlePath {
                do {
                    tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
                } catch {
                    throw .io("cannot read the CA bundle \(ca): \(error)")
                }
            }
            configuration.tlsConfiguration = tls
        }
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        let defaultPort = scheme == "https" ? 443 : 80
        let port = url.port ?? defaultPort
        let hostText = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        hostHeader = port == defaultPort ? hostText : "\(hostText):\(port)"
        origin = "\(scheme)://\(hostHeader)"
        signer = SigV4Signer(
            accessKeyId: endpoint.accessKeyId, secretAccessKey: endpoint.secretAccessKey, sessionToken: endpoint.sessionToken,
            region: endpoint.region, service: "s3", signsContentSHA256: true)
    }

    /// Closes the connections. Call once, when done.
    public func shutdown() async {
        try? await http.shutdown()
    }

    // MARK: Operations

    /// CreateBucket (in the endpoint's region's default location). An existing bucket you own is not an error.
    public func createBucket(_ bucket: String) async throws(ClientSideError) {
        do {
            let response = try await send("PUT", path: "/" + URIEncoding.encode(bucket))
            try await Self.drain(response)
        } catch .s3(_, "BucketAlreadyOwnedByYou", _) {
        }
    }

    /// PutObject with user metadata; returns the ETag.
    @discardableResult
    public func putObject(_ location: S3Location, body: ByteBuffer, metadata: [String: String], contentType: String? = nil) async throws(ClientSideError) -> String? {
        let response = try await send("PUT", location, headers: metadataHeaders(metadata, contentType: contentType), body: body)
        try await Self.drain(response)
        return response.headers.first(name: "etag")
    }

    /// CreateMultipartUpload; returns the upload id.
    public func createMultipartUpload(_ location: S3Location, metadata: [String: String], contentType: String? = nil) async throws(ClientSideError) -> String {
        let response = try await send("POST", location, query: [("uploads", "")], headers: metadataHeaders(metadata, contentType: contentType))
        let text = try await Self.text(response)
        guard let id = Self.element("UploadId", in: text) else { throw .io("CreateMultipartUpload answered without an UploadId") }
        return id
    }

    /// UploadPart; returns the part's ETag.
    public func uploadPart(_ location: S3Location, uploadId: String, partNumber: Int, body: ByteBuffer) async throws(ClientSideError) -> String {
        let response = try await send("PUT", location, query: [("partNumber", String(partNumber)), ("uploadId", uploadId)], body: body)
        try await Self.drain(response)
        guard let etag = response.headers.first(name: "etag") else { throw .io("UploadPart \(partNumber) answered without an ETag") }
        return etag
    }

    /// CompleteMultipartUpload with the parts in order.
    public func completeMultipartUpload(_ location: S3Location, uploadId: String, parts: [(number: Int, eTag: String)]) async throws(ClientSideError) {
        var xml = "<CompleteMultipartUpload>"
        for part in parts {
            xml += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(XMLWriter.escape(part.eTag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let response = try await send(
            "POST", location, query: [("uploadId", uploadId)], headers: [("content-type", "application/xml")], body: ByteBuffer(string: xml))
        let text = try await Self.text(response)
        // S3 may answer 200 with an error document once the body has started.
        if text.contains("<Error>") {
            throw .s3(status: 200, code: Self.element("Code", in: text) ?? "InternalError", message: Self.element("Message", in: text) ?? "")
        }
    }

    /// AbortMultipartUpload (errors ignored: it is cleanup).
    public func abortMultipartUpload(_ location: S3Location, uploadId: String) async {
        if let response = try? await send("DELETE", location, query: [("uploadId", uploadId)]) { try? await Self.drain(response) }
    }

    /// HeadObject.
    public func headObject(_ location: S3Location) async throws(ClientSideError) -> ObjectHead {
        let response = try await send("HEAD", location)
        return Self.head(response)
    }

    /// GetObject, optionally a byte range; the body is streamed to the caller.
    public func getObject(_ location: S3Location, range: ClosedRange<Int64>? = nil) async throws(ClientSideError) -> (ObjectHead, HTTPClientResponse.Body) {
        var headers: [(String, String)] = []
        if let range { headers.append(("range", "bytes=\(range.lowerBound)-\(range.upperBound)")) }
        let response = try await send("GET", location, headers: headers)
        return (Self.head(response), response.body)
    }

    /// GetObject of a small object (an instruction file), whole; `nil` when it does not exist.
    public func getSmallObject(_ location: S3Location, limit: Int = 1 << 20) async throws(ClientSideError) -> (ObjectHead, [UInt8])? {
        let response: HTTPClientResponse
        do {
            response = try await send("GET", location)
        } catch .s3(404, _, _) {
            return nil
        }
        do {
            let buffer = try await response.body.collect(upTo: limit)
            return (Self.head(response), Array(buffer.readableBytesView))
        } catch {
            throw .io("reading \(location) failed: \(error)")
        }
    }

    // MARK: Plumbing

    private func metadataHeaders(_ metadata: [String: String], contentType: String?) -> [(String, String)] {
        var headers = metadata.sorted { $0.key < $1.key }.map { ("x-amz-meta-\($0.key)", $0.value) }
        if let contentType { headers.append(("content-type", contentType)) }
        return headers
    }

    private func send(
        _ method: String, _ location: S3Location, query: [(String, String)] = [], headers: [(String, String)] = [], body: ByteBuffer? = nil
    ) async throws(ClientSideError) -> HTTPClientResponse {
        let path = "/" + URIEncoding.encode(location.bucket) + "/" + URIEncoding.encode(location.key, keepSlash: true)
        return try await send(method, path: path, query: query, headers: headers, body: body)
    }

    private func send(
        _ method: String, path: String, query: [(String, String)] = [], headers: [(String, String)] = [], body: ByteBuffer? = nil
    ) async throws(ClientSideError) -> HTTPClientResponse {
        let queryText = query.map { "\(URIEncoding.encode($0.0))=\(URIEncoding.encode($0.1))" }.joined(separator: "&")
        let signed = signer.sign(
            method: method, path: path, query: query, headers: [("host", hostHeader)] + headers, body: [],
            timestamp: Int64(Date().timeIntervalSince1970), payloadHash: "UNSIGNED-PAYLOAD")
        var request = HTTPClientRequest(url: origin + path + (queryText.isEmpty ? "" : "?" + queryText))
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in signed.headers where name.lowercased() != "host" { request.headers.add(name: name, value: value) }
        request.headers.add(name: "user-agent", value: "s3emu-cse")
        if let body { request.body = .bytes(body) }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .seconds(600))
        } catch {
            throw .io("\(method) \(origin)\(path) failed: \(error)")
        }
        guard (200..<300).contains(response.status.code) else {
            let text = (try? await Self.text(response)) ?? ""
            let code = Self.element("Code", in: text) ?? (response.status.code == 404 ? "NotFound" : response.status.reasonPhrase)
            throw .s3(status: Int(response.status.code), code: code, message: Self.element("Message", in: text) ?? "")
        }
        return response
    }

    private static func head(_ response: HTTPClientResponse) -> ObjectHead {
        var metadata: [String: String] = [:]
        for header in response.headers where header.name.lowercased().hasPrefix("x-amz-meta-") {
            metadata[String(header.name.lowercased().dropFirst("x-amz-meta-".count))] = header.value
        }
        let length = response.headers.first(name: "content-length").flatMap { Int64($0) } ?? -1
        var size = length
        if let range = response.headers.first(name: "content-range"), let slash = range.lastIndex(of: "/"),
            let total = Int64(range[range.index(after: slash)...])
        {
            size = total
        }
        return ObjectHead(contentLength: length, objectSize: size, metadata: metadata, eTag: response.headers.first(name: "etag"))
    }

    private static func drain(_ response: HTTPClientResponse) async throws(ClientSideError) {
        do {
            for try await _ in response.body {}
        } catch {
            throw .io("reading the answer failed: \(error)")
        }
    }

    private static func text(_ response: HTTPClientResponse) async throws(ClientSideError) -> String {
        do {
            return String(buffer: try await response.body.collect(upTo: 1 << 20))
        } catch {
            throw .io("reading the answer failed: \(error)")
        }
    }

    /// The text of a child element of the document's root (`UploadId`, `Code`, `Message`); `nil` when absent or
    /// when the text is not XML.
    static func element(_ name: String, in xml: String) -> String? {
        (try? XMLNode.parse(Array(xml.utf8)))?.value(name)
    }
}
