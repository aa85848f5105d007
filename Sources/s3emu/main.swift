import ArgumentParser
import NIOCore
import NIOPosix
import CProcessTuning

// Socket reads of large uploads arrive in buffers of up to 1 MiB that live until the body pipeline has hashed and
// stored them. glibc would serve each from a fresh mmap (its pages faulted in and zeroed again every time); keep
// such buffers in the heap, and a few MiB of freed heap rather than returning it to the kernel after each request.
// The trim threshold is per arena (one per busy thread): 16 MiB pushed the peak RSS of a 1 GiB GET from 82 to up to
// 106 MiB; 8 MiB keeps it near 85 while the page faults of 64 MiB PUTs still fall from ~90,000 to ~15,000-50,000 per 3 s.
_ = s3emu_keep_large_buffers_in_heap(4 * 1024 * 1024, 8 * 1024 * 1024)

// Run Swift Concurrency on NIO's event loops: request handlers then resume on the thread that owns their socket,
// without a hop to a separate pool for every request. Must happen before the first task is created.
NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

do {
    let command = try S3Emu.parseAsRoot()
    if let serve = command as? Serve {
        try await serve.serve()
    } else if let keyModule = command as? KeyModuleCommand {
        try await keyModule.run()
    } else if let check = command as? KeyProviderCommand.Check {
        try await check.run()
    } else if let bench = command as? KeyProviderCommand.Bench {
        try await bench.run()
    } else if let inspect = command as? InspectCommand {
        try await inspect.run()
    } else if let put = command as? CSECommand.Put {
        try await put.run()
    } else if let get = command as? CSECommand.Get {
        try await get.run()
    } else if let inspect = command as? CSECommand.Inspect {
        try await inspect.run()
    } else {
        var sync = command
        try sync.run()
    }
} catch {
    S3Emu.exit(withError: error)
}
