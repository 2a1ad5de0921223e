#if canImport(Glibc)
    import Glibc
#endif

/// Calls `body` (one system call) again for as long as it fails with `EINTR`, a signal that arrived
/// before the call did anything: the one retry loop every system call of steer shares. Returns the
/// call's own result, negative with `errno` set for any other failure.
@inline(__always)
package func retryingInterrupted<T: SignedInteger>(_ body: () -> T) -> T {
    var result = body()
    while result < 0 && errno == EINTR { result = body() }
    return result
}
