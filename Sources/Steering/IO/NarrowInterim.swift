// Interim Swift narrowing until the C narrowing kernels land; replaced by Kernels.narrow.
func narrowInterim(_ source: UnsafePointer<Double>, _ count: Int, to dtype: DType, into out: UnsafeMutableRawPointer) {
    for i in 0..<count { store(source[i], dtype, out, i) }
}

func narrowInterim(_ source: UnsafePointer<Float>, _ count: Int, to dtype: DType, into out: UnsafeMutableRawPointer) {
    for i in 0..<count { store(Double(source[i]), dtype, out, i) }
}

private func store(_ x: Double, _ dtype: DType, _ out: UnsafeMutableRawPointer, _ i: Int) {
    switch dtype {
    case .float64: out.storeBytes(of: x.bitPattern.littleEndian, toByteOffset: 8 * i, as: UInt64.self)
    case .float32: out.storeBytes(of: Float(x).bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
    case .float16: out.storeBytes(of: Float16(x).bitPattern.littleEndian, toByteOffset: 2 * i, as: UInt16.self)
    case .bfloat16:
        let b = Float(x).bitPattern
        let h = Float(x).isNaN ? UInt16(truncatingIfNeeded: b >> 16) | 0x40 : UInt16(truncatingIfNeeded: (b &+ 0x7FFF &+ ((b >> 16) & 1)) >> 16)
        out.storeBytes(of: h.littleEndian, toByteOffset: 2 * i, as: UInt16.self)
    }
}
