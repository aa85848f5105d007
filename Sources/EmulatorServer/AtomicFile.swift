import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes a small file atomically: a temporary file beside it, fsync, rename.
enum AtomicFile {
    static func write(_ data: Data, to path: String, mode: Int = 0o644) throws {
        let tmp = path + ".tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: data, attributes: [.posixPermissions: mode]) else {
            throw CocoaError(.fileWriteUnknown)
        }
        let fd = open(tmp, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
        guard rename(tmp, path) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }
}
