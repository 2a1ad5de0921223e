/// The orders in which steer adds numbers: one contract for the whole project, so that a result
/// does not depend on the thread count, the CPU or the kernel path (``KernelPath``) that computed it.
///
/// 1. **Element-wise** (`acc[i] += a · x[i]`, conversions, scaling): each output element by its
///    formula, a rounded product then a rounded sum, never a fused multiply-add. No order to choose.
/// 2. **Along a vector, in C** (``dot(_:_:count:path:)``, `Kernels.dot`, `Kernels.dot2Norm`): the
///    16-lane order of `steer_kernels.h`: element `i` goes to lane `i mod 16`, lanes added in order
///    of `i`, then folded in halves (16 → 8 → 4 → `(s[0] + s[2]) + (s[1] + s[3])`). The same bits
///    on the portable, AVX2 and AVX-512 paths.
/// 3. **Along a vector, in Swift** (`BlockEdit`'s loops over a widened weight row): 8 lanes
///    (`j mod 8`, one `SIMD8<Double>`), folded in halves (8 → 4 → 2, `s[0] + s[1]`), then the tail
///    (the last `count mod 8` elements, summed in order) added last: ``fold(_:tail:)``. Swift's SIMD
///    types lower to the same instructions on every x86-64 CPU, so this order is fixed too.
/// 4. **Across rows** (every streamed pass; ``reduceInOrder(blocks:workers:bufferBytes:_:merge:)``):
///    rows cut into blocks by size alone, never by worker count; within a block, rows in order;
///    block states merged strictly in block order.
/// 5. **BLAS order, where allowed**: matrix products whose result feeds a step that is checked or
///    iterated to a fixed tolerance, never a figure that is printed or saved bit for bit (the
///    Newton Hessian of a logistic regression, randomized-SVD sketches, Gram matrices of a subspace),
///    always with OpenBLAS on one thread (`singleThreadedBLAS`), so the worker count cannot change
///    the order. Such results may differ in the last bits between CPUs, never between runs or
///    thread counts on one machine.
public enum Summation {
    /// `Σ a[i] · b[i]` in Float64, in the 16-lane order (rule 2).
    public static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, count: Int, path: KernelPath? = nil) -> Double {
        Kernels.dot(UnsafeRawPointer(a), .float64, count, with: b, path: path)
    }

    /// `Σ a[i] · b[i]` of two Float64 vectors of the same length, in the 16-lane order (rule 2).
    public static func dot(_ a: [Double], _ b: [Double], path: KernelPath? = nil) -> Double {
        precondition(a.count == b.count, "dot: lengths differ")
        return a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                guard let x = a.baseAddress, let y = b.baseAddress else { return 0 }
                return dot(x, y, count: a.count, path: path)
            }
        }
    }

    /// `y[i] += alpha · x[i]`, product rounded then sum (rule 1).
    public static func axpy(_ alpha: Double, _ x: [Double], _ y: inout [Double], path: KernelPath? = nil) {
        precondition(x.count == y.count, "axpy: lengths differ")
        x.withUnsafeBytes { x in
            y.withUnsafeMutableBufferPointer { y in
                guard let source = x.baseAddress, let target = y.baseAddress else { return }
                Kernels.axpy(source, .float64, y.count, alpha, into: target, path: path)
            }
        }
    }

    /// The eight lanes of a Swift SIMD loop folded in halves, then its tail added (rule 3).
    @inline(__always)
    static func fold(_ sums: SIMD8<Double>, tail: Double) -> Double {
        let four = sums.lowHalf + sums.highHalf
        let two = four.lowHalf + four.highHalf
        return (two[0] + two[1]) + tail
    }
}
