import Crypto
import Hummingbird
import S3Wire
import Storage

extension S3Service {
    static let namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

    /// The canonical user id S3 would show for this emulator's single account.
    var ownerID: String { SHA256.hash(data: Array("s3emu-owner".utf8)).hexString }
    var ownerName: String { "s3emu" }

    func writeOwner(_ w: inout XMLWriter, element: String = "Owner") {
        w.open(element)
        w.element("ID", ownerID)
        w.element("DisplayName", ownerName)
        w.close(element)
    }

    func listBuckets(_ r: S3Request) async throws -> Response {
        var buckets = try await store.listBuckets()
        if let prefix = r.query("prefix") { buckets = buckets.filter { $0.name.hasPrefix(prefix) } }
        var w = XMLWriter()
        w.open("ListAllMyBucketsResult", namespace: true)
        writeOwner(&w)
        w.open("Buckets")
        for b in buckets {
            w.open("Bucket")
            w.element("Name", b.name)
            w.element("CreationDate", HTTPDate.iso8601(milliseconds: b.createdMs))
            w.element("BucketRegion", b.region)
            w.close("Bucket")
        }
        w.close("Buckets")
        if let prefix = r.query("prefix") { w.element("Prefix", prefix) }
        w.close("ListAllMyBucketsResult")
        return .xml(w.document)
    }

    func createBucket(_ r: S3Request) async throws -> Response {
        guard BucketName.isValid(r.bucket) else { throw S3Error.invalidBucketName(r.bucket) }
        var region = configuration.region
        let bytes = try await BodyReader(head: r.head, auth: r.auth).collect(r.body)
        if !bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            guard let doc = try? XMLNode.parse(bytes), doc.name == "CreateBucketConfiguration" else { throw S3Error.malformedXML }
            if let constraint = doc.value("LocationConstraint") {
                guard Self.isRegionName(constraint), constraint != "us-east-1" else { throw S3Error.invalidLocationConstraint }
                region = constraint
            }
        }
        do {
            try await store.createBucket(BucketRecord(name: r.bucket, region: region, createdMs: Self.nowMs()))
        } catch StorageError.bucketAlreadyExists {
            let existing = try await store.bucket(r.bucket)
            // us-east-1 answers 200 to the owner re-creating a bucket (legacy behaviour); other regions 409.
            if existing?.region != "us-east-1" || region != "us-east-1" { throw S3Error.bucketAlreadyOwnedByYou(r.bucket) }
        }
        var h = HTTPFields()
        h.add("Location", "/" + r.bucket)
        return .empty(.ok, headers: h)
    }

    static func isRegionName(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 32 && s.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "-") }
    }

    func deleteBucket(_ r: S3Request) async throws -> Response {
        do {
            try await store.deleteBucket(r.bucket)
        } catch StorageError.noSuchBucket {
            throw S3Error.noSuchBucket(r.bucket)
        } catch StorageError.bucketNotEmpty {
            throw S3Error.bucketNotEmpty(r.bucket)
        }
        return .empty(.noContent)
    }

    func headBucket(_ r: S3Request) async throws -> Response {
        let b = try await requireBucket(r.bucket)
        var h = HTTPFields()
        h.add("x-amz-bucket-region", b.region)
        h.add("x-amz-access-point-alias", "false")
        return .empty(.ok, headers: h)
    }

    func getBucketLocation(_ r: S3Request) async throws -> Response {
        let b = try await requireBucket(r.bucket)
        let value = b.region == "us-east-1" ? "" : b.region
        return .xml(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint xmlns=\"\(Self.namespace)\">\(XMLWriter.escape(value))</LocationConstraint>")
    }

    func getBucketVersioning(_ r: S3Request) async throws -> Response {
        _ = try await requireBucket(r.bucket)
        return .xml("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<VersioningConfiguration xmlns=\"\(Self.namespace)\"/>")
    }
}
