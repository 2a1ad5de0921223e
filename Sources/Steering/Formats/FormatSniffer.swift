/// Names what an unrecognised file looks like, so the error can say what to do.
enum FormatSniffer {
    static func describeUnknown(_ head: [UInt8]) -> String {
        let hint =
            "steer reads .npy, .safetensors, .npz, torch .pt and control-vector GGUF; headerless raw values need their row width and dtype"
        if head.starts(with: [0x80]) {
            return "a plain Python pickle (not a torch .pt file), which steer never loads; \(hint)"
        }
        if head.starts(with: [0x50, 0x4B]) {
            return "a damaged ZIP archive; \(hint)"
        }
        if head.starts(with: [0x93, 0x4E, 0x55, 0x4D]) {
            return "truncated .npy header"
        }
        return "unrecognised format; \(hint)"
    }
}
