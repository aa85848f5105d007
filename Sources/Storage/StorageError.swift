/// What storage can report; the server maps these to S3 errors in one place.
public enum StorageError: Error, Sendable, Equatable {
    case noSuchBucket
    case bucketAlreadyExists
    case bucketNotEmpty
    case noSuchKey
    case noSuchUpload
    /// The stored bytes are missing or shorter than recorded.
    case corrupt(String)
    /// An operating-system call failed (errno).
    case io(String, Int32)
}
