extension ModelDiff {
    /// Reports Gemma's normed writers' directions through their `(1 + γ)`: `steer orthogonalize`
    /// projects such a writer against `u = normalize((1 + γ) ⊙ r̂)`, so `r̂ = normalize(u ⊘ (1 + γ))`.
    /// Whether the edit had the correction is read from the slot: block `N`'s attention and MLP
    /// writers (different `γ`) removed one `r̂` when their corrected directions agree better than
    /// their raw ones. A slot with one normed writer is taken as corrected (what steer does).
    static func correctNorms(_ tensors: inout [DiffReport.Tensor], base: ModelDirectory, writers: [String: [ResidualWriter]]) throws {
        var bySlot: [Int: [(index: Int, raw: [Double], corrected: [Double])]] = [:]
        for (index, tensor) in tensors.enumerated() {
            guard let u = tensor.direction, let slot = tensor.slot,
                let norm = writers[String(tensor.name.prefix { $0 != "[" })]?.first?.outputNorm, let location = base.locations[norm]
            else { continue }
            let shard = base.shards[location.shard]
            let gamma = try shard.vector(location.info)
            guard gamma.count == u.count else {
                throw SteerError.shape(shard.path, "'\(norm)' has \(gamma.count) values; d_model is \(u.count)")
            }
            let corrected = WriterFit.signFixed(WriterFit.unit(zip(u, gamma).map { 1 + $1 != 0 ? $0 / (1 + $1) : 0 }))
            bySlot[slot, default: []].append((index, u, corrected))
        }
        for members in bySlot.values {
            func agreement(_ vectors: [[Double]]) -> Double {
                var (sum, pairs) = (0.0, 0)
                for a in vectors.indices {
                    for b in vectors.indices where b > a { (sum, pairs) = (sum + abs(LinearAlgebra.dot(vectors[a], vectors[b])), pairs + 1) }
                }
                return pairs > 0 ? sum / Double(pairs) : 1
            }
            let corrected = agreement(members.map(\.corrected)) >= agreement(members.map(\.raw))
            for member in members {
                tensors[member.index].normCorrected = corrected
                if corrected { tensors[member.index].direction = member.corrected }
            }
        }
    }

    /// Each slot's direction: the mean of its projection edits' unit directions (signs aligned to
    /// the first), its norm, blocks, median `λ` and commonest form.
    static func slots(of tensors: [DiffReport.Tensor]) -> [DiffReport.Slot] {
        let edits = tensors.filter { $0.status == .changed && $0.variant?.isProjection == true && $0.direction != nil && $0.slot != nil }
        return Dictionary(grouping: edits) { $0.slot ?? 0 }.sorted { $0.key < $1.key }.compactMap { slot, members in
            guard let first = members.first?.direction else { return nil }
            var mean = [Double](repeating: 0, count: first.count)
            for member in members {
                guard let u = member.direction, u.count == mean.count else { continue }
                let sign = LinearAlgebra.dot(u, first) < 0 ? -1.0 : 1.0
                for i in mean.indices { mean[i] += sign * u[i] / Double(members.count) }
            }
            let lambdas = members.compactMap(\.lambda).sorted()
            let forms = Dictionary(grouping: members.compactMap(\.variant)) { $0 }
            let variant = forms.max { $0.value.count < $1.value.count || ($0.value.count == $1.value.count && $0.key.rawValue > $1.key.rawValue) }?
                .key
            return DiffReport.Slot(
                slot: slot, directionNorm: LinearAlgebra.norm(mean), blocks: Set(members.compactMap(\.block)).sorted(), writers: members.count,
                lambda: lambdas.isEmpty ? 0 : lambdas[lambdas.count / 2], variant: variant ?? .plain,
                direction: WriterFit.signFixed(WriterFit.unit(mean)))
        }
    }
}
