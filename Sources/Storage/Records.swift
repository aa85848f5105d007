/// A bucket as stored.
public struct BucketRecord: Sendable, Codable, Equatable {
    public var name: String
    public var region: String
    public var createdMs: Int64
    /// Sub-resource settings owned by upper layers (`encryption`, `policy`), opaque to storage: name → document.
    public var settings: [String: String]

    public init(name: String, region: String, createdMs: Int64, settings: [String: String] = [:]) {
        self.name = name
        self.region = region
        self.createdMs = createdMs
        self.settings = settings
    }
}

/// Where a run of an object's bytes lives: a blob file, or inline in the metadata database for small bodies.
public struct BlobRef: Sendable, Codable, Equatable {
    /// Blob id (file name under `blobs/`, or row id of the inline table).
    public var id: String
    /// Length in bytes.
    public var size: Int64
    /// Whether the bytes are kept in the database.
    public var inline: Bool

    public init(id: String, size: Int64, inline: Bool) {
        self.id = id
        self.size = size
        self.inline = inline
    }
}

/// A checksum as stored with an object or part.
public struct StoredChecksum: Sendable, Codable, Equatable {
    /// `CRC32`, `CRC32C`, `CRC64NVME`, `SHA1`, `SHA256`.
    public var algorithm: String
    /// base64, with `-N` for composite multipart checksums.
    public var value: String
    /// `FULL_OBJECT` or `COMPOSITE`.
    public var type: String

    public init(algorithm: String, value: String, type: String) {
        self.algorithm = algorithm
        self.value = value
        self.type = type
    }
}

/// One part of an object: for a single PUT there is one; multipart objects keep their parts for `partNumber` reads.
public struct ObjectPart: Sendable, Codable, Equatable {
    public var number: Int
    public var blob: BlobRef
    public var etag: String
    public var checksum: StoredChecksum?
    /// Values owned by upper layers (a part's encryption envelope), opaque to storage.
    public var attributes: [String: String]

    public init(number: Int, blob: BlobRef, etag: String, checksum: StoredChecksum? = nil, attributes: [String: String] = [:]) {
        self.number = number
        self.blob = blob
        self.etag = etag
        self.checksum = checksum
        self.attributes = attributes
    }

    enum CodingKeys: String, CodingKey { case number, blob, etag, checksum, attributes }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        number = try c.decode(Int.self, forKey: .number)
        blob = try c.decode(BlobRef.self, forKey: .blob)
        etag = try c.decode(String.self, forKey: .etag)
        checksum = try c.decodeIfPresent(StoredChecksum.self, forKey: .checksum)
        attributes = try c.decodeIfPresent([String: String].self, forKey: .attributes) ?? [:]
    }
}

/// Everything stored about an object except its bytes.
public struct ObjectRecord: Sendable, Codable, Equatable {
    public var bucket: String
    public var key: String
    public var size: Int64
    /// ETag without quotes.
    public var etag: String
    public var lastModifiedMs: Int64
    /// Standard headers stored with the object (`content-type`, `cache-control`, `content-disposition`,
    /// `content-encoding`, `content-language`, `expires`, `website-redirect-location`).
    public var headers: [String: String]
    /// `x-amz-meta-*` names (without the prefix, lower-cased) and values, in the order sent.
    public var userMetadata: [[String]]
    public var checksum: StoredChecksum?
    /// Parts in order; their sizes add up to `size`.
    public var parts: [ObjectPart]
    /// Whether the object was made by CompleteMultipartUpload.
    public var multipart: Bool
    public var tags: [[String]]
    public var storageClass: String
    /// Values owned by upper layers (encryption modes keep their settings here), opaque to storage.
    public var attributes: [String: String]

    public init(
        bucket: String, key: String, size: Int64, etag: String, lastModifiedMs: Int64, headers: [String: String] = [:],
        userMetadata: [[String]] = [], checksum: StoredChecksum? = nil, parts: [ObjectPart], multipart: Bool = false,
        tags: [[String]] = [], storageClass: String = "STANDARD", attributes: [String: String] = [:]
    ) {
        self.bucket = bucket
        self.key = key
        self.size = size
        self.etag = etag
        self.lastModifiedMs = lastModifiedMs
        self.headers = headers
        self.userMetadata = userMetadata
        self.checksum = checksum
        self.parts = parts
        self.multipart = multipart
        self.tags = tags
        self.storageClass = storageClass
        self.attributes = attributes
    }
}

/// A multipart upload in progress.
public struct UploadRecord: Sendable, Codable, Equatable {
    public var id: String
    public var bucket: String
    public var key: String
    public var initiatedMs: Int64
    /// The object settings given at CreateMultipartUpload (headers, metadata, checksum algorithm, …).
    public var template: ObjectRecord

    public init(id: String, bucket: String, key: String, initiatedMs: Int64, template: ObjectRecord) {
        self.id = id
        self.bucket = bucket
        self.key = key
        self.initiatedMs = initiatedMs
        self.template = template
    }
}

/// An uploaded part of a multipart upload.
public struct PartRecord: Sendable, Codable, Equatable {
    public var number: Int
    public var blob: BlobRef
    public var etag: String
    public var lastModifiedMs: Int64
    public var checksum: StoredChecksum?
    /// Values owned by upper layers (the part's encryption envelope), opaque to storage; carried into the object.
    public var attributes: [String: String]

    public init(number: Int, blob: BlobRef, etag: String, lastModifiedMs: Int64, checksum: StoredChecksum? = nil,
                attributes: [String: String] = [:]) {
        self.number = number
        self.blob = blob
        self.etag = etag
        self.lastModifiedMs = lastModifiedMs
        self.checksum = checksum
        self.attributes = attributes
    }

    enum CodingKeys: String, CodingKey { case number, blob, etag, lastModifiedMs, checksum, attributes }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        number = try c.decode(Int.self, forKey: .number)
        blob = try c.decode(BlobRef.self, forKey: .blob)
        etag = try c.decode(String.self, forKey: .etag)
        lastModifiedMs = try c.decode(Int64.self, forKey: .lastModifiedMs)
        checksum = try c.decodeIfPresent(StoredChecksum.self, forKey: .checksum)
        attributes = try c.decodeIfPresent([String: String].self, forKey: .attributes) ?? [:]
    }
}

/// One page of a listing.
public struct ListPage: Sendable {
    public var objects: [ObjectRecord]
    public var commonPrefixes: [String]
    public var isTruncated: Bool
    /// The last key or common prefix returned (the next marker).
    public var lastReturned: String?
}
