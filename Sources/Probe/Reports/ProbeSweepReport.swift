/// What `steer probe train` and `steer probe eval` report: accuracy and AUROC per layer, on the
/// training rows and (when given) held-out rows, and the best layer by the held-out figures.
public struct ProbeSweepReport: Sendable, Equatable, Codable {
    public var c: Double?
    public var position: Int?
    public var train: [ProbeSet.Score]?
    public var validation: [ProbeSet.Score]?
    /// Evaluation of saved probes (`probe eval`).
    public var layers: [ProbeSet.Score]?
    public var bestLayer: Int?
    public var out: String?
    /// Equal-mass bins of the expected calibration error.
    public var bins: Int?
    /// The bootstrap behind the intervals, when drawn.
    public var bootstrap: BootstrapSummary?

    enum CodingKeys: String, CodingKey {
        case c, position, train, validation, layers, out, bins, bootstrap
        case bestLayer = "best_layer"
    }

    /// The sweep of a training run: best layer judged on `validation` when given, else on `train`.
    public init(probes: ProbeSet, train: [ProbeSet.Score], validation: [ProbeSet.Score]?, out: String?, bootstrap: BootstrapSummary? = nil) {
        c = probes.c
        position = probes.position
        self.train = train
        self.validation = validation
        let judged = validation ?? train
        bestLayer = ProbeSet.best(judged).map { judged[$0].layer }
        self.out = out
        self.bins = 15
        self.bootstrap = bootstrap
    }

    /// The evaluation of saved probes on labelled rows.
    public init(evaluation: [ProbeSet.Score], bins: Int = 15, bootstrap: BootstrapSummary? = nil) {
        layers = evaluation
        self.bins = bins
        self.bootstrap = bootstrap
        bestLayer = ProbeSet.best(evaluation).map { evaluation[$0].layer }
    }
}
