extension LatentGuard {
    /// The score of one prompt from its hidden states in memory (the guard on text):
    ///
    ///     score = (1 / L) Σ_l [ cos(h_l, μ⁺_l) − cos(h_l, μ⁻_l) ]
    ///
    /// over the L ``activeSlots``, `states[i]` being `h` at `activeSlots[i]` (width ``width``), in
    /// Float64 as ``GuardScore`` computes it from files: a zero state or centroid contributes 0, a
    /// non-finite value gives NaN.
    public func score(states: [[Float]]) -> Double {
        slotScores(states: states).reduce(0, +) / Double(max(1, activeSlots.count))
    }

    /// Each active slot's term `cos(h_l, μ⁺_l) − cos(h_l, μ⁻_l)` of ``score(states:)``, in slot order
    /// (NaN for a state holding a non-finite value).
    public func slotScores(states: [[Float]]) -> [Double] {
        precondition(states.count == activeSlots.count, "one state per active slot")
        return zip(states, activeSlots).map { state, slot in
            let i = slots.firstIndex(of: slot) ?? 0
            let (p, n) = (positiveCentroids[i], negativeCentroids[i])
            var (hu, hv, hh, uu, vv) = (0.0, 0.0, 0.0, 0.0, 0.0)
            for k in 0..<width {
                let (h, u, v) = (Double(state[k]), Double(p[k]), Double(n[k]))
                hu += h * u
                hv += h * v
                hh += h * h
                uu += u * u
                vv += v * v
            }
            guard hh.isFinite else { return .nan }
            let (norm, nu, nv) = (hh.squareRoot(), uu.squareRoot(), vv.squareRoot())
            return (norm > 0 && nu > 0 ? hu / (norm * nu) : 0) - (norm > 0 && nv > 0 ? hv / (norm * nv) : 0)
        }
    }
}
