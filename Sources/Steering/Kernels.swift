/// Vectorised inner loops over raw little-endian element data.
///
/// Each loop is written once over an ``ElementLanes`` loader and specialised per
/// dtype, so the dtype switch happens once per row, not once per element.
/// Half floats are widened with integer bit operations, which are exact for every
/// value (normals, subnormals, infinities, NaN) and vectorise on plain x86-64.
enum Kernels {
    /// `acc[i] += Double(x[i])` for `i < count`.
    static func accumulate(_ source: UnsafeRawPointer, _ dtype: DType, _ count: Int, into acc: UnsafeMutablePointer<Double>) {
        switch dtype {
        case .float32: accumulate(F32Lanes.self, source, count, acc)
        case .float16: accumulate(F16Lanes.self, source, count, acc)
        case .bfloat16: accumulate(BF16Lanes.self, source, count, acc)
        case .float64:
            var i = 0
            while i + 4 <= count {
                let v = source.loadUnaligned(fromByteOffset: i * 8, as: SIMD4<Double>.self)
                let a = UnsafeMutableRawPointer(acc + i)
                a.storeBytes(of: a.loadUnaligned(as: SIMD4<Double>.self) + v, as: SIMD4<Double>.self)
                i += 4
            }
            while i < count { acc[i] += source.loadUnaligned(fromByteOffset: i * 8, as: Double.self); i += 1 }
        }
    }

    /// `out[i] = Double(x[i])` for `i < count`.
    static func convert(_ source: UnsafeRawPointer, _ dtype: DType, _ count: Int, into out: UnsafeMutablePointer<Double>) {
        switch dtype {
        case .float32: convert(F32Lanes.self, source, count, out)
        case .float16: convert(F16Lanes.self, source, count, out)
        case .bfloat16: convert(BF16Lanes.self, source, count, out)
        case .float64: UnsafeMutableRawPointer(out).copyMemory(from: source, byteCount: count * 8)
        }
    }

    /// `out[i] = Float(x[i])` for `i < count` (float64 input is rounded).
    static func convert(_ source: UnsafeRawPointer, _ dtype: DType, _ count: Int, into out: UnsafeMutablePointer<Float>) {
        switch dtype {
        case .float32: UnsafeMutableRawPointer(out).copyMemory(from: source, byteCount: count * 4)
        case .float16: convertFloat(F16Lanes.self, source, count, out)
        case .bfloat16: convertFloat(BF16Lanes.self, source, count, out)
        case .float64:
            for i in 0..<count { out[i] = Float(source.loadUnaligned(fromByteOffset: i * 8, as: Double.self)) }
        }
    }

    /// `Σ x[i] · v[i]` in Float64, with a fixed summation order, so identical rows
    /// always give bit-identical results (ties stay ties).
    static func dot(_ source: UnsafeRawPointer, _ dtype: DType, _ count: Int, with vector: UnsafePointer<Double>) -> Double {
        switch dtype {
        case .float32: return dot(F32Lanes.self, source, count, vector)
        case .float16: return dot(F16Lanes.self, source, count, vector)
        case .bfloat16: return dot(BF16Lanes.self, source, count, vector)
        case .float64:
            var lanes = SIMD4<Double>()
            var i = 0
            while i + 4 <= count {
                lanes += source.loadUnaligned(fromByteOffset: i * 8, as: SIMD4<Double>.self) * UnsafeRawPointer(vector + i).loadUnaligned(as: SIMD4<Double>.self)
                i += 4
            }
            var total = lanes.sum()
            while i < count { total += source.loadUnaligned(fromByteOffset: i * 8, as: Double.self) * vector[i]; i += 1 }
            return total
        }
    }

    /// How many of the `count` elements are NaN or infinite.
    static func nonFiniteCount(_ source: UnsafeRawPointer, _ dtype: DType, _ count: Int) -> Int {
        switch dtype {
        case .float32: return countExponentAllOnes(UInt32.self, source, count, mask: 0x7F80_0000)
        case .float64: return countExponentAllOnes(UInt64.self, source, count, mask: 0x7FF0_0000_0000_0000)
        case .float16: return countExponentAllOnes(UInt16.self, source, count, mask: 0x7C00)
        case .bfloat16: return countExponentAllOnes(UInt16.self, source, count, mask: 0x7F80)
        }
    }

    // MARK: - Loops

    @inline(__always)
    private static func accumulate<L: ElementLanes>(_: L.Type, _ source: UnsafeRawPointer, _ count: Int, _ acc: UnsafeMutablePointer<Double>) {
        var i = 0
        while i + 8 <= count {
            let (lo, hi) = widen(L.load8(source, i))
            let a = UnsafeMutableRawPointer(acc + i)
            a.storeBytes(of: a.loadUnaligned(as: SIMD4<Double>.self) + lo, as: SIMD4<Double>.self)
            a.storeBytes(of: a.loadUnaligned(fromByteOffset: 32, as: SIMD4<Double>.self) + hi, toByteOffset: 32, as: SIMD4<Double>.self)
            i += 8
        }
        while i < count { acc[i] += Double(L.load1(source, i)); i += 1 }
    }

    @inline(__always)
    private static func dot<L: ElementLanes>(_: L.Type, _ source: UnsafeRawPointer, _ count: Int, _ vector: UnsafePointer<Double>) -> Double {
        var a = SIMD4<Double>()
        var b = SIMD4<Double>()
        var i = 0
        while i + 8 <= count {
            let (lo, hi) = widen(L.load8(source, i))
            let v = UnsafeRawPointer(vector + i)
            a += lo * v.loadUnaligned(as: SIMD4<Double>.self)
            b += hi * v.loadUnaligned(fromByteOffset: 32, as: SIMD4<Double>.self)
            i += 8
        }
        var total = (a + b).sum()
        while i < count { total += Double(L.load1(source, i)) * vector[i]; i += 1 }
        return total
    }

    @inline(__always)
    private static func convert<L: ElementLanes>(_: L.Type, _ source: UnsafeRawPointer, _ count: Int, _ out: UnsafeMutablePointer<Double>) {
        var i = 0
        while i + 8 <= count {
            let (lo, hi) = widen(L.load8(source, i))
            let o = UnsafeMutableRawPointer(out + i)
            o.storeBytes(of: lo, as: SIMD4<Double>.self)
            o.storeBytes(of: hi, toByteOffset: 32, as: SIMD4<Double>.self)
            i += 8
        }
        while i < count { out[i] = Double(L.load1(source, i)); i += 1 }
    }

    @inline(__always)
    private static func convertFloat<L: ElementLanes>(_: L.Type, _ source: UnsafeRawPointer, _ count: Int, _ out: UnsafeMutablePointer<Float>) {
        var i = 0
        while i + 8 <= count {
            UnsafeMutableRawPointer(out + i).storeBytes(of: L.load8(source, i), as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { out[i] = L.load1(source, i); i += 1 }
    }

    @inline(__always)
    private static func widen(_ v: SIMD8<Float>) -> (SIMD4<Double>, SIMD4<Double>) {
        (SIMD4<Double>(Double(v[0]), Double(v[1]), Double(v[2]), Double(v[3])),
         SIMD4<Double>(Double(v[4]), Double(v[5]), Double(v[6]), Double(v[7])))
    }

    @inline(__always)
    private static func countExponentAllOnes<T: FixedWidthInteger & UnsignedInteger>(_: T.Type, _ source: UnsafeRawPointer, _ count: Int, mask: T) -> Int {
        var total = 0
        var i = 0
        let size = MemoryLayout<T>.size
        while i + 8 <= count {
            var lanes = 0
            for k in 0..<8 {
                let bits = source.loadUnaligned(fromByteOffset: (i + k) * size, as: T.self)
                lanes &+= (bits & mask) == mask ? 1 : 0
            }
            total &+= lanes
            i += 8
        }
        while i < count {
            total += (source.loadUnaligned(fromByteOffset: i * size, as: T.self) & mask) == mask ? 1 : 0
            i += 1
        }
        return total
    }
}

/// Loads eight elements of one dtype as `Float` lanes.
protocol ElementLanes {
    static func load8(_ source: UnsafeRawPointer, _ index: Int) -> SIMD8<Float>
    static func load1(_ source: UnsafeRawPointer, _ index: Int) -> Float
}

enum F32Lanes: ElementLanes {
    @inline(__always) static func load8(_ source: UnsafeRawPointer, _ index: Int) -> SIMD8<Float> {
        source.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
    }
    @inline(__always) static func load1(_ source: UnsafeRawPointer, _ index: Int) -> Float {
        source.loadUnaligned(fromByteOffset: index * 4, as: Float.self)
    }
}

enum BF16Lanes: ElementLanes {
    @inline(__always) static func load8(_ source: UnsafeRawPointer, _ index: Int) -> SIMD8<Float> {
        let raw = source.loadUnaligned(fromByteOffset: index * 2, as: SIMD8<UInt16>.self)
        return unsafeBitCast(SIMD8<UInt32>(truncatingIfNeeded: raw) &<< 16, to: SIMD8<Float>.self)
    }
    @inline(__always) static func load1(_ source: UnsafeRawPointer, _ index: Int) -> Float {
        Float(bitPattern: UInt32(source.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)) << 16)
    }
}

enum F16Lanes: ElementLanes {
    @inline(__always) static func load8(_ source: UnsafeRawPointer, _ index: Int) -> SIMD8<Float> {
        let raw = source.loadUnaligned(fromByteOffset: index * 2, as: SIMD8<UInt16>.self)
        return widenHalf(SIMD8<UInt32>(truncatingIfNeeded: raw))
    }
    @inline(__always) static func load1(_ source: UnsafeRawPointer, _ index: Int) -> Float {
        let raw = source.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)
        return widenHalf(SIMD8<UInt32>(repeating: UInt32(raw)))[0]
    }

    /// IEEE half → single, exact, on 32-bit lanes holding the 16 half bits.
    @inline(__always) static func widenHalf(_ h: SIMD8<UInt32>) -> SIMD8<Float> {
        let sign = (h & 0x8000) &<< 16
        let magnitude = (h & 0x7FFF) &<< 13
        let exponent = magnitude & 0x0F80_0000
        var bits = magnitude &+ 0x3800_0000  // rebias 15 → 127
        bits.replace(with: bits &+ 0x3800_0000, where: exponent .== 0x0F80_0000)  // Inf / NaN
        // Zero and subnormal: renormalise through a float subtraction.
        let subnormal = unsafeBitCast(bits &+ 0x0080_0000, to: SIMD8<Float>.self) - Float(bitPattern: 0x3880_0000)
        bits.replace(with: unsafeBitCast(subnormal, to: SIMD8<UInt32>.self), where: exponent .== 0)
        return unsafeBitCast(bits | sign, to: SIMD8<Float>.self)
    }
}
