import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive advisory lock on a directory (`flock` on a lock file inside it), held for the life of a process or
/// until ``release()``: two `s3emu serve` (or two key modules) on one directory would clean up each other's temporary
/// files and share a key store. The kernel drops the lock when the process dies, so a crash never leaves it stuck.
public final class DirectoryLock: @unchecked Sendable {
    private var fd: Int32

    /// Takes the lock on `directory/name` or throws ``DirectoryLockError/inUse(_:)`` at once when another process
    /// holds it.
    public init(directory: URL, name: String) throws {
        let path = directory.appendingPathComponent(name).path
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw DirectoryLockError.cannotOpen(path, String(cString: strerror(errno))) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw DirectoryLockError.inUse(directory.path)
        }
    }

    /// Releases the lock (also done when the object goes away).
    public func release() {
        if fd >= 0 {
            close(fd)
            fd = -1
        }
    }

    deinit { release() }
}

/// Why a ``DirectoryLock`` was not taken.
public enum DirectoryLockError: Error, CustomStringConvertible {
    case inUse(String)
    case cannotOpen(String, String)

    public var description: String {
        switch self {
        case .inUse(let directory): "the data directory \(directory) is in use by another s3emu process"
        case .cannotOpen(let path, let why): "cannot open the lock file \(path): \(why)"
        }
    }
}
