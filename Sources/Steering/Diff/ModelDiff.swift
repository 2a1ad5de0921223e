import CKernels
import Foundation

/// Recovers what an edit removed from a model: the base model and its edited copy compared tensor
/// by tensor, streamed, and every changed residual writer explained (``WriterFit``): the rank of
/// `ΔW`, the unit direction `u`, the strength `λ` and the form (``EditForm``), with each block's
/// writers gathered into the layer slot their output is (`hf_hidden_states`: block `N` → `N + 1`).
///
/// Both directories are read through ``ModelDirectory`` (the code `steer orthogonalize` uses), and
/// only one tensor pair is read at a time, in chunks of rows: resident memory is a few chunks and a
/// few vectors per tensor, flat in the model's size.
public enum ModelDiff {
    public struct Options: Sendable {
        /// The largest rank of `ΔW` measured (and of a plain edit's basis).
        public var rankMax: Int
        public var stream: StreamOptions
        /// Told the name of each tensor before it is compared (nil: silent).
        public var progress: (@Sendable (String) -> Void)?

        public init(rankMax: Int = 4, stream: StreamOptions = .init()) {
            self.rankMax = rankMax
            self.stream = stream
            progress = nil
        }
    }

    /// Compares the model directory `base` with `edited`. Throws naming the file at fault for a
    /// different `model_type`, or a tensor both hold with a different dtype or shape.
    public static func run(base basePath: String, edited editedPath: String, options: Options = .init()) throws -> DiffReport {
        guard options.rankMax >= 1, options.rankMax <= 64 else { throw SteerError.argument("the rank limit must be between 1 and 64") }
        // Each pass allocates buffers sized by its tensor's rows; from the heap, freed buffers of
        // ever other sizes piled up (a peak of 60–190 MB on SmolLM2, from run to run).
        steer_map_large_allocations()
        let base = try ModelDirectory.open(basePath)
        let edited = try ModelDirectory.open(editedPath)
        guard base.config.modelType == edited.config.modelType else {
            throw SteerError.format(
                edited.configPath, "has model_type '\(edited.config.modelType)', but \(base.configPath) has '\(base.config.modelType)'")
        }
        let shared = base.locations.keys.filter { edited.locations[$0] != nil }.sorted()
        for name in shared {
            guard let a = base.locations[name], let b = edited.locations[name] else { continue }
            guard a.info.storedType == b.info.storedType, a.info.shape == b.info.shape else {
                throw SteerError.shape(
                    edited.shards[b.shard].path,
                    "tensor '\(name)' is \(b.info.storedType) \(describeShape(b.info.shape)), but in \(base.shards[a.shard].path) it is \(a.info.storedType) \(describeShape(a.info.shape))"
                )
            }
        }
        let writers = Dictionary(grouping: try base.residualWriters(), by: \.name)
        // The walk follows the base's storage (shard, then offset): each file is read front to back,
        // and the next tensors are read into the page cache while this one is compared.
        let walk = shared.sorted { x, y in storagePosition(x, in: base) < storagePosition(y, in: base) }
        let readahead = Readahead(
            walk.map { name in
                [(base, base.locations[name]), (edited, edited.locations[name])].compactMap { model, location in
                    location.map { Readahead.Range(file: model.shards[$0.shard].storage, offset: $0.info.offset, count: $0.info.byteCount) }
                }
            })
        defer { readahead.finish() }
        var compared: [String: [DiffReport.Tensor]] = [:]
        // The last plain edit's direction, which the next writer's fit tries first (``WriterFit/hint``).
        var hint: [Double]?
        for (index, name) in walk.enumerated() {
            readahead.reached(index)
            options.progress?(name)
            // OpenBLAS on one thread: the fit's LAPACK calls are small (a QR of `d × p`, an eigen-
            // decomposition of `p × p`), and a threaded one wakes OpenBLAS's server threads, which
            // then spin on a core (sched_yield) through the passes that follow (a sixth of the CPU).
            compared[name] = try BLASThreads.single {
                try compare(name, base: base, edited: edited, writers: writers[name], options: options, hint: &hint)
            }
        }
        var tensors = shared.flatMap { compared[$0] ?? [] }
        tensors += base.locations.keys.filter { edited.locations[$0] == nil }.sorted().map { .init(name: $0, status: .removed) }
        tensors += edited.locations.keys.filter { base.locations[$0] == nil }.sorted().map { .init(name: $0, status: .added) }
        try correctNorms(&tensors, base: base, writers: writers)
        // The slots from the weights; each bias then along its slot's direction.
        let isBias = Set(writers.values.joined().filter(\.bias).map(\.label))
        let slots = slots(of: tensors.filter { !isBias.contains($0.name) })
        try refitBiases(&tensors, slots: slots, base: base, edited: edited, writers: writers)
        var summary = DiffReport.Summary(base: base.path, edited: edited.path, modelType: base.config.modelType)
        for tensor in tensors {
            switch tensor.status {
            case .unchanged: summary.unchanged += 1
            case .changed: summary.changed += 1
            case .added: summary.added += 1
            case .removed: summary.removed += 1
            }
            guard tensor.status == .changed else { continue }
            guard tensor.writer else {
                summary.otherChanged += 1
                continue
            }
            summary.writersChanged += 1
            if tensor.variant?.isProjection == true { summary.projectionEdits += 1 }
            if tensor.variant == .additive { summary.additive += 1 }
            if tensor.variant == .notAProjectionEdit { summary.notProjectionEdits += 1 }
        }
        let head = base.config.architecture.outputHeadName(prefix: "")
        summary.untiedOutputHead = base.config.tiedEmbeddings && tensors.contains { $0.status == .added && $0.name.hasSuffix(head) }
        return DiffReport(tensors: tensors, slots: slots, summary: summary)
    }

    /// Where a tensor lies in `model`'s files: (shard, offset, name), the name breaking ties.
    static func storagePosition(_ name: String, in model: ModelDirectory) -> (Int, Int, String) {
        let location = model.locations[name]
        return (location?.shard ?? .max, location?.info.offset ?? .max, name)
    }

    /// The comparison of one tensor both models hold: one entry, or one per expert of a fused writer.
    static func compare(
        _ name: String, base: ModelDirectory, edited: ModelDirectory, writers: [ResidualWriter]?, options: Options, hint: inout [Double]?
    ) throws -> [DiffReport.Tensor] {
        guard let a = base.locations[name], let b = edited.locations[name] else { return [] }
        let (baseShard, editedShard) = (base.shards[a.shard], edited.shards[b.shard])
        // Unchanged tensors (most of an edited model) cost one comparison of their bytes.
        if try sameBytes(baseShard.storage, a.info, editedShard.storage, b.info) {
            var tensor = DiffReport.Tensor(name: name, status: .unchanged, writer: writers != nil)
            (tensor.role, tensor.block) = (writers?.first?.role, writers?.first?.block)
            return [tensor]
        }
        guard a.info.dtype != nil, a.info.shape.count <= 3, !a.info.shape.contains(0) else { return [.init(name: name, status: .changed)] }
        do {
            return try fit(name, a.info, in: baseShard, b.info, in: editedShard, writers: writers, options: options, hint: &hint)
        } catch let error as WriterFit.NotFinite {
            throw notFinite(name, in: error.edited ? editedShard.path : baseShard.path, dtype: a.info.dtype)
        }
    }

    /// The error for tensor `name` of the file at `path` holding a value that is NaN or infinite
    /// (or, in F64, one whose square or change is): no fit of it means anything.
    static func notFinite(_ name: String, in path: String, dtype: DType?) -> SteerError {
        let what = dtype == .float64 ? "NaN, infinite or too large to square" : "NaN or infinite"
        return SteerError.value(path, "tensor '\(name)' holds a value that is \(what); steer diff compares finite weights")
    }

    /// The fits of a changed tensor of a computable type: one entry, or one per expert of a fused
    /// writer; a tensor that is no residual writer gets its relative change. Each writer's fit
    /// first tries `hint`, the last plain edit's direction, which a plain rank-1 fit replaces.
    static func fit(
        _ name: String, _ a: TensorInfo, in baseShard: TensorFile, _ b: TensorInfo, in editedShard: TensorFile,
        writers: [ResidualWriter]?, options: Options, hint: inout [Double]?
    ) throws -> [DiffReport.Tensor] {
        let whole = TensorPair(
            base: try WeightOrthogonalizer.rowMatrix(a, in: baseShard), edited: try WeightOrthogonalizer.rowMatrix(b, in: editedShard))
        guard let writers, !writers.isEmpty else {
            let sums = try WriterFit(pair: whole, orientation: .rows, workers: options.stream.workers).sums(p: 0)
            var tensor = DiffReport.Tensor(name: name, status: sums.identical ? .unchanged : .changed)
            if !sums.identical { tensor.relativeChange = relative(sums.delta2.squareRoot(), sums.base2.squareRoot()) }
            return [tensor]
        }
        let perExpert = whole.rows / writers.count
        var results: [DiffReport.Tensor] = []
        for writer in writers {
            let pair =
                writer.expert.map { e in
                    TensorPair(
                        base: whole.base.subrange((e * perExpert)..<((e + 1) * perExpert)),
                        edited: whole.edited.subrange((e * perExpert)..<((e + 1) * perExpert)))
                } ?? whole
            let fit = try WriterFit(pair: pair, orientation: writer.orientation, workers: options.stream.workers, hint: hint).fit(
                rankMax: options.rankMax)
            // A bias's direction is its change's, rounding noise and all: no hint for a weight.
            if fit.form == .plain, fit.basis.count == 1, !writer.bias { hint = fit.basis[0] }
            results.append(entry(writer, fit))
        }
        return results
    }

    /// The report entry of one writer's fit.
    static func entry(_ writer: ResidualWriter, _ fit: WriterFit.Result) -> DiffReport.Tensor {
        var tensor = DiffReport.Tensor(name: writer.label, status: fit.identical ? .unchanged : .changed, writer: true)
        tensor.role = writer.role
        tensor.block = writer.block
        guard !fit.identical else { return tensor }
        tensor.rank = fit.rank
        tensor.variant = fit.form
        tensor.residual = fit.residual
        tensor.floor = relative(fit.floor, fit.deltaNorm)
        tensor.relativeChange = relative(fit.deltaNorm, fit.baseNorm)
        tensor.normCorrected = writer.outputNorm == nil ? false : nil
        if fit.form.isProjection {
            tensor.slot = writer.block.map { $0 + 1 } ?? 0
            tensor.lambda = fit.lambda
        }
        if fit.basis.count == 1 {
            tensor.direction = fit.basis[0]
        } else if fit.basis.count > 1 {
            tensor.basis = fit.basis
        }
        return tensor
    }

    /// `a / b`; 0 when both are 0, nil when only `b` is (a change of an all-zero tensor has no
    /// relative size, and JSON has no infinity).
    static func relative(_ a: Double, _ b: Double) -> Double? { b > 0 ? a / b : (a > 0 ? nil : 0) }

    /// Whether two tensors' bytes are the same (``TensorPair/sameBytes(_:_:_:_:workers:)`` on every core).
    static func sameBytes(_ a: ReadOnlyFile, _ x: TensorInfo, _ b: ReadOnlyFile, _ y: TensorInfo) throws -> Bool {
        try TensorPair.sameBytes(a, x, b, y, workers: StreamOptions().workers)
    }
}
