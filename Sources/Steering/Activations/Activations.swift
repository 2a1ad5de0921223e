/// The rows of one activation file at one token position, per selected layer slot.
///
/// Built from a ``TensorFile`` of any format; the element data stays in the
/// memory map and is streamed, never loaded whole.
public struct Activations: Sendable {
    public let file: TensorFile
    /// Selected layers, in increasing slot order.
    public let layers: [LayerRows]
    /// Rows (prompts).
    public let rowCount: Int
    /// Model width `d`.
    public let width: Int
    public let dtype: DType
    /// Size of the stored position axis (nil when the file has none).
    public let positionCount: Int?
    /// The position used, as a non-negative index into that axis.
    public let position: Int?
    /// Every slot the file holds, selected or not.
    public let availableSlots: [Int]
    /// Layer-slot convention (`hf_hidden_states`, `block_output`, `block_input`) when the file says.
    public let layerConvention: LayerConvention?
    private let rowStart: Int

    public var path: String { file.path }
    /// The file row that row 0 of this selection is (non-zero with `--rows`).
    public var rowOffset: Int { rowStart }
    public var slots: [Int] { layers.map(\.slot) }

    /// Opens `path` and selects rows as `selection` says.
    public static func open(_ path: String, selection: ActivationSelection = .init()) throws -> Activations {
        try Activations(file: TensorFile.open(path, options: selection.readOptions), selection: selection)
    }

    /// The layer tensors of `file` and the axis letters (`n`, `l`, `p`, `d`) of each, as `layout` resolves them.
    static func axes(of file: TensorFile, layout: Layout) throws -> (candidates: [(slot: Int?, info: TensorInfo)], axes: String) {
        let candidates = try layerTensors(file)
        let perLayer = candidates.count > 1 || candidates.first?.slot != nil
        guard let first = candidates.first else { throw SteerError.shape(file.path, "holds no float tensors") }
        let axes = try layout.resolved(rank: first.info.shape.count, perLayerTensors: perLayer, file: file.path)
        let shape = first.info.shape
        if layout == .auto, axes == "nld", shape[0] < shape[1] {
            // Fewer rows than layers is what a layers-first [L, N, d] tensor looks like.
            SteerNotes.note(
                "\(file.path): read \(describeShape(shape)) as [rows, layers, width] (\(shape[0]) rows, \(shape[1]) layer slots); "
                    + "if the layers come first, give --layout lnd")
        }
        return (candidates, axes)
    }

    /// The size of the stored token-position axis of `file` read with `layout`; nil when it has none.
    public static func positionCount(of file: TensorFile, layout: Layout = .auto) throws -> Int? {
        let (candidates, axes) = try axes(of: file, layout: layout)
        guard let p = Array(axes).firstIndex(of: "p"), let shape = candidates.first?.info.shape, p < shape.count else { return nil }
        return shape[p]
    }

    /// Selects rows from an opened file.
    public init(file: TensorFile, selection: ActivationSelection) throws {
        self.file = file
        let path = file.path
        let (candidates, axes) = try Self.axes(of: file, layout: selection.layout)
        guard let first = candidates.first else { throw SteerError.shape(path, "holds no float tensors") }
        let rank = first.info.shape.count
        var layers: [(slot: Int, rows: RowMatrix)] = []
        var positionCount: Int?
        var position: Int?
        var shapeSeen: [Int]?
        for (slot, info) in candidates {
            guard let dtype = info.dtype else { continue }
            guard info.shape.count == rank else {
                throw SteerError.shape(
                    path,
                    "tensor '\(info.name)' has shape \(describeShape(info.shape)), unlike '\(first.info.name)' \(describeShape(first.info.shape))")
            }
            if let seen = shapeSeen, seen != info.shape {
                throw SteerError.shape(
                    path, "tensor '\(info.name)' has shape \(describeShape(info.shape)), unlike '\(first.info.name)' \(describeShape(seen))")
            }
            shapeSeen = info.shape
            let resolved = try Self.slice(info, dtype: dtype, axes: axes, selection: selection, storage: file.storage, path: path)
            positionCount = resolved.positionCount
            position = resolved.position
            for (index, rows) in resolved.matrices.enumerated() {
                layers.append((slot ?? index, rows))
            }
        }
        guard let firstLayer = layers.first else { throw SteerError.shape(path, "holds no float tensors") }
        let available = layers.map(\.slot)
        let chosen: [(slot: Int, rows: RowMatrix)]
        switch selection.layers {
        case .all:
            chosen = layers
        case .slots(let wanted):
            let bySlot = Dictionary(layers.map { ($0.slot, $0) }, uniquingKeysWith: { first, _ in first })
            chosen = try wanted.map { slot in
                guard let match = bySlot[slot] else {
                    throw SteerError.shape(path, "has no layer slot \(slot) (it holds \(describeSlots(available)))")
                }
                return match
            }
        }
        var picked = chosen.sorted { $0.slot < $1.slot }.map { LayerRows(slot: $0.slot, rows: $0.rows) }
        if let rows = selection.rows {
            let total = firstLayer.rows.rowCount
            guard rows.upperBound <= total else {
                throw SteerError.argument(
                    "\(path): rows \(rows.lowerBound)-\(rows.upperBound - 1) go past the \(total) rows the file holds", setting: .rows)
            }
            picked = picked.map { LayerRows(slot: $0.slot, rows: $0.rows.subrange(rows)) }
        }
        self.layers = picked
        rowCount = picked.first?.rows.rowCount ?? 0
        rowStart = selection.rows?.lowerBound ?? 0
        width = firstLayer.rows.width
        dtype = firstLayer.rows.dtype
        self.positionCount = positionCount
        self.position = position
        availableSlots = available.sorted()
        layerConvention = try LayerConvention.declared(by: file, names: candidates.map(\.info.name), stated: selection.convention)
        guard rowCount > 0 else { throw SteerError.value(path, "has no rows") }
        guard width > 0 else { throw SteerError.shape(path, "has width 0") }
        guard width <= Self.maxWidth else {
            throw SteerError.shape(
                path, "rows of \(width) values are wider than steer's limit of \(Self.maxWidth) (model widths are at most tens of thousands)")
        }
        guard Set(self.layers.map { $0.rows.dtype }).count == 1 else {
            throw SteerError.shape(path, "layer tensors differ in dtype; steer needs one dtype per file")
        }
    }

    init(copying other: Activations, layers: [LayerRows]) {
        file = other.file
        self.layers = layers
        rowCount = other.rowCount
        width = other.width
        dtype = other.dtype
        positionCount = other.positionCount
        position = other.position
        availableSlots = other.availableSlots
        layerConvention = other.layerConvention
        rowStart = other.rowStart
    }

    /// The same rows restricted to `slots` (in that order), or an error naming the
    /// file, the slots it lacks and the ones it holds.
    public func selecting(slots wanted: [Int]) throws -> Activations {
        let bySlot = Dictionary(layers.map { ($0.slot, $0) }, uniquingKeysWith: { first, _ in first })
        let missing = wanted.filter { bySlot[$0] == nil }
        guard missing.isEmpty else {
            throw SteerError.shape(path, "lacks layer \(describeSlots(missing)) (it holds \(describeSlots(slots)))")
        }
        return Activations(copying: self, layers: wanted.compactMap { bySlot[$0] })
    }

    /// All rows of layer `index` as one row-major Float64 matrix (`rowCount × width`).
    ///
    /// For fitting models that need the data in memory (probes); streaming passes never call it.
    /// The rows arrive through the checked streaming path. Throws naming the first NaN or infinity.
    public func matrix(layerIndex index: Int, options: StreamOptions = .init()) throws -> [Double] {
        var values = [Double](repeating: 0, count: rowCount * width)
        try values.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            try only(layerIndex: index).reduce(RowCopy(layer: 0, width: width, into: base), options)
        }
        if values.contains(where: { !$0.isFinite }) { try throwNonFinite(layerIndex: index) }
        return values
    }

    /// The same rows with layer `index` alone selected.
    package func only(layerIndex index: Int) -> Activations { Activations(copying: self, layers: [layers[index]]) }

    /// Reports the first row of a layer with a non-finite value (as the file numbers rows).
    /// Called when a result came out NaN or infinite; when every input is finite the result
    /// overflowed, and that is what it reports. Always throws.
    package func throwNonFinite(layerIndex: Int, computing result: String = "a result") throws -> Never {
        let slot = layers[layerIndex].slot
        if let (row, bad) = try firstNonFinite(layerIndex: layerIndex) {
            throw SteerError.value(path, "\(bad.isNaN ? "NaN" : "infinity") in row \(row) (layer slot \(slot))")
        }
        throw SteerError.value(path, "\(result) at layer slot \(slot) overflowed Float64 (values too large)")
    }

    /// The widest row steer reads: 2^20 values (per-layer Float64 state and read buffers are sized by it).
    public static let maxWidth = 1 << 20

    /// The highest layer slot steer accepts, from a tensor name, a layer axis or `--layers`:
    /// models have at most a few hundred layers, and nothing is ever sized by a larger number.
    public static let maxSlot = 99_999

    /// The layer slot a tensor's name gives, checked against ``maxSlot``; nil when the name has no number.
    package static func slot(of info: TensorInfo, in path: String) throws -> Int? {
        guard let slot = slotNumber(in: info.name) else { return nil }
        if let sign = signBeforeFirstNumber(info.name) {
            throw SteerError.shape(path, "tensor '\(info.name)' names layer \(sign)\(slot); layer numbers have no sign")
        }
        guard slot <= maxSlot else {
            throw SteerError.shape(path, "tensor '\(info.name)' names layer \(slot); steer reads layer slots 0…\(maxSlot)")
        }
        return slot
    }

    /// The `-` or `+` right before the first all-digit component of a name (`layer.-1`), if any.
    static func signBeforeFirstNumber(_ name: String) -> Character? {
        let characters = Array(name)
        var i = 0
        while i < characters.count {
            guard characters[i].isASCII, characters[i].isNumber, i == 0 || !(characters[i - 1].isLetter || characters[i - 1].isNumber) else {
                i += 1
                continue
            }
            var end = i
            while end < characters.count, characters[end].isNumber { end += 1 }
            if end == characters.count || !(characters[end].isLetter || characters[end].isNumber) {
                return i > 0 && (characters[i - 1] == "-" || characters[i - 1] == "+") ? characters[i - 1] : nil
            }
            i = end
        }
        return nil
    }

    /// The float tensors that hold layers, with the slot their name gives (nil for one unnamed tensor);
    /// class means kept in a directions file (``ClassMeanTensors``) are not layers.
    static func layerTensors(_ file: TensorFile) throws -> [(slot: Int?, info: TensorInfo)] {
        let floats = floatTensors(file)
        if floats.count == 1, let only = floats.first {
            return [(isLoneUnnamedMember(only, of: file) ? nil : try slot(of: only, in: file.path), only)]
        }
        var bySlot: [Int: TensorInfo] = [:]
        for info in floats {
            guard let slot = try slot(of: info, in: file.path) else { continue }
            if let other = bySlot[slot] {
                throw SteerError.shape(
                    file.path, "tensors '\(other.name)' and '\(info.name)' both name layer \(slot); keep one tensor per layer in a file")
            }
            bySlot[slot] = info
        }
        guard !bySlot.isEmpty else {
            if floats.isEmpty { throw SteerError.shape(file.path, "holds no float tensors") }
            throw SteerError.shape(
                file.path,
                "cannot tell which tensors are layers: no layer number in the names \(floats.prefix(4).map { "'\($0.name)'" }.joined(separator: ", "))"
            )
        }
        return bySlot.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// The float tensors of `file` that may hold layers (class means kept in a directions file are
    /// not); an `.npz` member that is not numeric (prompts saved beside the activations) is
    /// skipped with a note.
    static func floatTensors(_ file: TensorFile) -> [TensorInfo] {
        if file.format == .npz {
            for info in file.tensors where ["U", "S", "O"].contains(info.storedType.dropFirst().first) {
                SteerNotes.note("\(file.path): skipped member '\(info.name)' (\(info.storedType)): not numeric")
            }
        }
        return file.tensors.filter { $0.dtype != nil && !ClassMeanTensors.isMeanTensor($0.name) }
    }

    /// Whether `info` is the one array of `np.savez(path, arr)`: its member `arr_0` is the whole
    /// array, not layer 0.
    static func isLoneUnnamedMember(_ info: TensorInfo, of file: TensorFile) -> Bool {
        file.format == .npz && info.name == "arr_0" && floatTensors(file).count == 1
    }

    /// The layer number in a tensor name: the first all-digit component
    /// (`layer.12`, `blocks.12.hook_resid_post`, `model.layers.12`, `layer_12`). A number too
    /// large for `Int` is returned as `Int.max`, so that ``slot(of:in:)`` refuses it by name.
    package static func slotNumber(in name: String) -> Int? {
        for part in name.split(whereSeparator: { !$0.isLetter && !$0.isNumber }) where part.allSatisfy(\.isASCII) {
            if part.allSatisfy(\.isNumber) { return Int(part) ?? Int.max }
        }
        return nil
    }

    /// Cuts one tensor into per-layer row matrices at the chosen position.
    static func slice(_ info: TensorInfo, dtype: DType, axes: String, selection: ActivationSelection, storage: ReadOnlyFile, path: String)
        throws -> (matrices: [RowMatrix], positionCount: Int?, position: Int?)
    {
        let letters = Array(axes)
        let shape = info.shape
        guard letters.count == shape.count else { throw SteerError.shape(path, "layout \(axes) does not fit shape \(describeShape(shape))") }
        func size(_ axis: Character) -> Int { letters.firstIndex(of: axis).map { shape[$0] } ?? 1 }
        // Element strides of each axis in C order, overflow-checked (the parsers bound the product
        // of the non-zero dimensions, so this only fails on a TensorInfo built by hand).
        var strides = Array(repeating: 1, count: shape.count)
        for k in stride(from: shape.count - 2, through: 0, by: -1) {
            let (product, overflow) = strides[k + 1].multipliedReportingOverflow(by: shape[k + 1])
            guard !overflow else { throw SteerError.shape(path, "tensor '\(info.name)' shape \(describeShape(shape)) is too large") }
            strides[k] = product
        }
        func axisStride(_ axis: Character) -> Int { letters.firstIndex(of: axis).map { strides[$0] } ?? 0 }
        guard letters.last == "d" else { throw SteerError.shape(path, "the width axis must be last") }
        let layerCount = size("l")
        guard layerCount <= maxSlot + 1 else {
            throw SteerError.shape(path, "tensor '\(info.name)' has a layer axis of \(layerCount) entries; steer reads layer slots 0…\(maxSlot)")
        }

        let positions = letters.contains("p") ? size("p") : nil
        var position: Int?
        if let positions {
            if let wanted = selection.position {
                let index = wanted < 0 ? positions + wanted : wanted
                guard index >= 0, index < positions else {
                    throw SteerError.argument(
                        "\(path): position \(wanted) is outside the \(positions) stored positions (0…\(positions - 1), or -\(positions)…-1)",
                        setting: .position)
                }
                position = index
            } else if positions == 1 {
                position = 0
            } else {
                throw SteerError.argument(
                    "\(path): holds \(positions) token positions per row; choose one (0…\(positions - 1); negative counts from the end)",
                    setting: .position)
            }
        } else if let wanted = selection.position, wanted != 0, wanted != -1 {
            throw SteerError.argument(
                "\(path): position \(wanted) given, but the file stores one position per row (no position axis)", setting: .position)
        }
        let item = dtype.size
        let matrices = (0..<layerCount).map { layer in
            RowMatrix(
                storage: storage, dtype: dtype, rowCount: size("n"), width: size("d"),
                offset: info.offset + (layer * axisStride("l") + (position ?? 0) * axisStride("p")) * item,
                rowStride: axisStride("n") * item)
        }
        return (matrices, positions, position)
    }
}

/// `slot 3`, `slots 0–30`, `slots 3, 5, 7–9`, or `no slots`, without materialising any range.
func describeSlots(_ slots: [Int]) -> String {
    guard let only = slots.first else { return "no slots" }
    return (slots.count == 1 ? "slot \(only)" : "slots ") + (slots.count == 1 ? "" : LayerSelection.describe(slots))
}
