import COpenSSL

/// SHA-256 (FIPS 180-4) through OpenSSL's libcrypto, which uses the CPU's SHA extensions where it
/// has them: the digest of steer's recipes, statistics sources and shards.
public struct SHA256: Sendable {
    private var context = SHA256_CTX()

    public init() { SHA256_Init(&context) }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        SHA256_Update(&context, base, bytes.count)
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digest as 64 lowercase hex digits (the hasher is finished: start a new one for more).
    public mutating func hexDigest() -> String {
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        SHA256_Final(&digest, &context)
        let hex = Array("0123456789abcdef".utf8)
        return String(decoding: digest.flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 15)]] }, as: UTF8.self)
    }

    /// The SHA-256 of the file at `path`, read in 4 MiB blocks.
    public static func hexDigest(ofFile path: String) throws -> String {
        let file = try ReadOnlyFile(path: path)
        var hasher = SHA256()
        let block = 4 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: block, alignment: 4096)
        defer { buffer.deallocate() }
        var done = 0
        while done < file.size {
            let n = min(block, file.size - done)
            try file.read(into: buffer, offset: done, count: n)
            hasher.update(UnsafeRawBufferPointer(start: buffer, count: n))
            done += n
        }
        return hasher.hexDigest()
    }
}
