extension LatentGuard {
    /// The score of one prompt from its hidden states in memory (the guard on text):
    ///
    ///     score = (1 / L) Σ_l [ cos(h_l, μ⁺_l) − cos(h_l, μ⁻_l) ]
    ///
    /// over the L ``activeSlots``, `states[i]` being `h` at `activeSlots[i]` (width ``width``), in
    /// Float64 as ``GuardScore`` computes it from files: a zero state or centroid contributes 0, a
    /// non-finite value gives NaN.
    public func score(states: [[Float]]) -> Double {
        precondition(states.count == activeSlots.count, "one state per active slot")
        var total = 0.0
        for (state, slot) in zip(states, activeSlots) {
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
            total += (norm > 0 && nu > 0 ? hu / (norm * nu) : 0) - (norm > 0 && nv > 0 ? hv / (norm * nv) : 0)
        }
        return total / Double(max(1, activeSlots.count))
    }
}
