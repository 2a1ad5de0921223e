import Steering

/// What `steer report` is asked to analyse: the files, positions, slots and optional saved models.
public struct ReportRequest: Sendable {
    /// Training activations (the directions, guard and probes are fitted on them).
    public var pos: String
    public var neg: String
    /// Held-out activations, measured with what the training rows gave.
    public var valPos: String?
    public var valNeg: String?
    /// The position read for harmfulness (`t_inst`), and the one compared with it (`t_post`);
    /// nil `vsPosition` means the other position when the files store exactly two.
    public var position: Int?
    public var vsPosition: Int?
    public var layers: LayerSelection
    /// Rows of the training and held-out files to use (e.g. to hold out part of one file).
    public var rows: Range<Int>?
    public var valRows: Range<Int>?
    /// A saved Latent Guard or probe set; without one they are fitted on the training rows.
    public var guardPath: String?
    public var probePath: String?
    /// Fit a probe per slot when no probe file is given (the costliest step on big files).
    public var trainProbes: Bool
    /// Bootstrap resamples of the harmfulness-vs-refusal cosine (nil: none).
    public var bootstrap: Int?
    public var seed: UInt64
    /// The slot of the 2-D scatter (nil: the best held-out slot).
    public var scatterSlot: Int?
    public var layout: Layout
    public var readOptions: TensorFile.ReadOptions
    /// The command line and steer version recorded on the page.
    public var command: String
    public var version: String

    public init(
        pos: String, neg: String, valPos: String? = nil, valNeg: String? = nil, position: Int? = 0, vsPosition: Int? = nil,
        layers: LayerSelection = .all, rows: Range<Int>? = nil, valRows: Range<Int>? = nil, guardPath: String? = nil,
        probePath: String? = nil, trainProbes: Bool = true, bootstrap: Int? = 200, seed: UInt64 = Bootstrap.defaultSeed,
        scatterSlot: Int? = nil, layout: Layout = .auto, readOptions: TensorFile.ReadOptions = .init(), command: String = "",
        version: String = ""
    ) {
        self.pos = pos
        self.neg = neg
        self.valPos = valPos
        self.valNeg = valNeg
        self.position = position
        self.vsPosition = vsPosition
        self.layers = layers
        self.rows = rows
        self.valRows = valRows
        self.guardPath = guardPath
        self.probePath = probePath
        self.trainProbes = trainProbes
        self.bootstrap = bootstrap
        self.seed = seed
        self.scatterSlot = scatterSlot
        self.layout = layout
        self.readOptions = readOptions
        self.command = command
        self.version = version
    }
}
