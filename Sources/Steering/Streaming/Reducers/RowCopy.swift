/// Copies the rows of one selected layer into a row-major matrix in memory, widened to
/// Float64 or Float32: for fitting models that need the data at hand (probes).
///
/// Rows land at disjoint places of the destination, so the state is empty.
public struct RowCopy<Element>: RowReducer {
    private let destination: UnsafeMutablePointer<Element>
    private let layer: Int
    private let width: Int
    private let convert: (UnsafeRawPointer, DType, Int, UnsafeMutablePointer<Element>) -> Void

    public func makeState() {}

    public func consume(_ state: inout Void, layer: Int, block: RowBlock) {
        guard layer == self.layer else { return }
        if let values = block.packed, block.width == width {
            convert(values, block.dtype, block.rows.count * width, destination + block.rows.lowerBound * width)
        } else {
            for r in block.rows { convert(block.row(r), block.dtype, width, destination + r * width) }
        }
    }

    public func merge(_ state: inout Void, _ next: Void) {}
    public func finish(_ state: Void) {}
}

extension RowCopy where Element == Double {
    /// Copies layer `layer` into `destination` (`rows × width` Float64 values).
    public init(layer: Int, width: Int, into destination: UnsafeMutablePointer<Double>) {
        self.init(destination: destination, layer: layer, width: width) { Kernels.convert($0, $1, $2, into: $3) }
    }
}

extension RowCopy where Element == Float {
    /// Copies layer `layer` into `destination` (`rows × width` Float32 values; f16, bf16 and f32 exactly).
    public init(layer: Int, width: Int, into destination: UnsafeMutablePointer<Float>) {
        self.init(destination: destination, layer: layer, width: width) { Kernels.convert($0, $1, $2, into: $3) }
    }
}
