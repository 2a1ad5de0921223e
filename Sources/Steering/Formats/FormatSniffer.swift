/// Names what an unrecognised file looks like, so the error can say what to do.
enum FormatSniffer {
    static func describeUnknown(_ head: [UInt8]) -> String {
        let hint = "steer reads .npy and .safetensors; headerless raw values need their row width and dtype"
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            return "a ZIP archive (torch .pt?), which is not an activation format steer reads here; \(hint)"
        }
        if head.starts(with: Array("GGUF".utf8)) {
            return "a GGUF file, not an activation file; \(hint)"
        }
        if head.starts(with: [0x80]) {
            return "a Python pickle, which steer never loads; \(hint)"
        }
        if head.starts(with: [0x93, 0x4E, 0x55, 0x4D]) {
            return "truncated .npy header"
        }
        return "unrecognised format; \(hint)"
    }
}
