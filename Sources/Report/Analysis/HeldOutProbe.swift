import Probe
import Steering

/// The probes of section 6 and their decision values on the held-out rows: computed once (one
/// fit, one pass over each held-out file) for section 6's figures and reused by section 8's
/// calibration, which reads the best slot's values instead of fitting and projecting again.
struct HeldOutProbe: Sendable {
    /// The probe file, or `trained here (C = 1)`.
    var name: String
    var probes: ProbeSet
    /// Decision values `[probe index][row]` per class, in the order of `probes.probes`.
    var decisions: (positive: [[Double]], negative: [[Double]])
    /// The held-out rows they were computed on.
    var rows: ClassPair

    /// Section 6's figures of every probe (15 calibration bins, no bootstrap).
    func scores(workers: Int) throws -> [ProbeSet.Score] {
        try probes.evaluate(decisions: decisions, workers: workers)
    }

    /// The decision values of the probe at `slot` and the rows restricted to it; nil without one.
    func at(slot: Int) throws -> (decisions: (positive: [Double], negative: [Double]), rows: ClassPair)? {
        guard let index = probes.probes.firstIndex(where: { $0.slot == slot }) else { return nil }
        return ((decisions.positive[index], decisions.negative[index]), try rows.selecting(slots: [slot]))
    }
}
