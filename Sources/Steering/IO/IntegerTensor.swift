/// Reading small integer (or integral float) tensors, such as token lengths and padding masks.
public enum IntegerTensor {
    /// Item size and signedness of an integer element type, as safetensors and torch spell it
    /// (`I64`, `U8`, `BOOL`, …) or as a little-endian numpy `descr` (`<i8`, `|u1`, `|b1`, …).
    static func integerType(_ stored: String) -> (size: Int, signed: Bool)? {
        switch stored {
        case "I8": return (1, true)
        case "I16": return (2, true)
        case "I32": return (4, true)
        case "I64": return (8, true)
        case "U8", "BOOL": return (1, false)
        case "U16": return (2, false)
        case "U32": return (4, false)
        case "U64": return (8, false)
        default: break
        }
        let chars = Array(stored)
        guard chars.count >= 3, ["<", "|", "="].contains(chars[0]), let size = Int(String(chars.dropFirst(2))), [1, 2, 4, 8].contains(size),
            chars[0] != "|" || size == 1
        else { return nil }
        switch chars[1] {
        case "i": return (size, true)
        case "u", "b": return (size, false)
        default: return nil
        }
    }

    /// The values of `info` as `Int`s, in C order: an integer tensor, or a float one whose values
    /// are all whole numbers. At most `limit` elements; throws naming the file and tensor otherwise.
    public static func values(_ info: TensorInfo, of file: TensorFile, limit: Int) throws -> [Int] {
        let count = info.elementCount
        guard count <= limit else {
            throw SteerError(.shape, file: file.path, "'\(info.name)' has \(count) values; steer reads at most \(limit) here")
        }
        if info.dtype != nil {
            let values = try file.values(info)
            guard let bad = values.firstIndex(where: { $0 != $0.rounded() || abs($0) > 9e15 }) else { return values.map { Int($0) } }
            throw SteerError(.value, file: file.path, "'\(info.name)' holds \(values[bad]) at index \(bad), not a whole number")
        }
        guard let (size, signed) = integerType(info.storedType) else {
            throw SteerError(.unsupported, file: file.path, "'\(info.name)' is \(info.storedType), neither an integer nor a float tensor")
        }
        guard let bytes = try file.storage.read(offset: info.offset, count: count * size), bytes.count == count * size else {
            throw SteerError(.format, file: file.path, "'\(info.name)' lies outside the file")
        }
        var out = [Int](repeating: 0, count: count)
        for i in 0..<count {
            var bits: UInt64 = 0
            for k in 0..<size { bits |= UInt64(bytes[i * size + k]) << (8 * UInt64(k)) }
            if signed, size < 8, bits & (1 << (8 * UInt64(size) - 1)) != 0 { bits |= ~0 << (8 * UInt64(size)) }
            guard signed || bits <= UInt64(Int.max) else {
                throw SteerError(.value, file: file.path, "'\(info.name)' holds \(bits) at index \(i), too large")
            }
            out[i] = Int(truncatingIfNeeded: bits)
        }
        return out
    }
}
