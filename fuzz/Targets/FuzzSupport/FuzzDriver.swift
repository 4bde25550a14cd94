#if canImport(Glibc)
    import Glibc
#endif

// Runs libFuzzer's driver with a Swift closure as the target. SwiftPM links every executable with its
// own `main` (renamed entry point), so libFuzzer's `main` cannot be used (swiftlang/swift#75800):
// fuzz/build.sh links libFuzzer's archive without it, and each target's top-level code calls
// `LLVMFuzzerRunDriver` (libFuzzer's documented entry for programs with their own main) through here.

@_silgen_name("LLVMFuzzerRunDriver")
func llvmFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The target being fuzzed. Written once, before libFuzzer starts, and only read after: libFuzzer
/// calls the callback from one thread, so nothing races on it.
nonisolated(unsafe) var target: (UnsafeRawBufferPointer) -> Void = { _ in }

/// Hands `body` every input libFuzzer makes; exits with libFuzzer's status.
public func runFuzzer(_ body: @escaping (UnsafeRawBufferPointer) -> Void) -> Never {
    target = body
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    let status = llvmFuzzerRunDriver(&argc, &argv) { data, count in
        target(UnsafeRawBufferPointer(start: data, count: count))
        return 0
    }
    exit(status)
}
