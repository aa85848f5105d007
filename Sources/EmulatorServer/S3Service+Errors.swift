import Storage
import S3Wire

extension S3Service {
    /// The one place where domain errors become S3 errors. Unknown errors become InternalError and are logged
    /// without request data.
    func s3Error(for error: any Error, request r: (bucket: String?, key: String?)) -> S3Error {
        if let e = error as? S3Error { return e }
        if let e = error as? StorageError {
            switch e {
            case .noSuchBucket: return .noSuchBucket(r.bucket ?? "")
            case .noSuchKey: return .noSuchKey(r.key ?? "")
            case .noSuchUpload: return .noSuchUpload("")
            case .bucketNotEmpty: return .bucketNotEmpty(r.bucket ?? "")
            case .bucketAlreadyExists: return .bucketAlreadyOwnedByYou(r.bucket ?? "")
            case .corrupt, .io: break
            }
        }
        logger.error("internal error: \(String(describing: error))")
        return .internalError
    }
}
