import Steering

/// Reading whole small files through Steering's checked ``ReadOnlyFile``.
enum TokenizerFiles {
    /// The largest file read whole: 512 MiB (Gemma's tokenizer.json is 33 MB).
    static let maxSize = 512 << 20

    static func read(_ path: String) throws -> [UInt8] {
        let file = try ReadOnlyFile(path: path)
        guard file.size <= maxSize else { throw SteerError(.format, file: path, "\(file.size) bytes is too large for this file") }
        return try file.read(offset: 0, count: file.size) ?? []
    }

    static func exists(_ path: String) -> Bool {
        (try? ReadOnlyFile(path: path)) != nil
    }
}
