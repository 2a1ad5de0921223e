import Steering

/// The figures of a detector on one group of rows (`--group-by FIELD`: the rows whose prompts record
/// holds that value), or why a leave-one-group-out refit was skipped. A group holding one class only
/// is scored against every eval row of the other class.
public struct GroupEvaluation: Sendable, Equatable, Encodable {
    public var group: String
    public var nPos: Int
    public var nNeg: Int
    public var evaluation: Evaluation?
    /// Why the group has no figures (a leave-one-group-out refit left a class without training rows).
    public var skipped: String?

    enum CodingKeys: String, CodingKey {
        case group, skipped
        case nPos = "n_pos"
        case nNeg = "n_neg"
    }

    public func encode(to encoder: any Encoder) throws {
        if let skipped {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(group, forKey: .group)
            try c.encode(skipped, forKey: .skipped)
            return
        }
        try evaluation?.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(group, forKey: .group)
        try c.encode(nPos, forKey: .nPos)
        try c.encode(nNeg, forKey: .nNeg)
    }

    /// The eval rows of each group: its own rows of each class, or every row of a class it lacks.
    /// Groups in sorted order of their values.
    static func split(positive: [String], negative: [String]) -> [(group: String, positive: [Int], negative: [Int])] {
        Set(positive + negative).sorted().map { g in
            let p = positive.indices.filter { positive[$0] == g }
            let n = negative.indices.filter { negative[$0] == g }
            return (g, p.isEmpty ? Array(positive.indices) : p, n.isEmpty ? Array(negative.indices) : n)
        }
    }

    /// Figures of `scores` on each group's rows, with intervals (each group its own resamples).
    static func evaluate(
        _ groups: [(group: String, positive: [Int], negative: [Int])], scores: [(positive: [Double], negative: [Double])], threshold: Double,
        bootstrap: Bootstrap.Settings?, workers: Int
    ) throws -> [GroupEvaluation] {
        try zip(groups, scores).map { g, s in
            let ranked = try RankedScores(
                positive: g.positive.map { s.positive[$0] }, negative: g.negative.map { s.negative[$0] }, threshold: threshold)
            return GroupEvaluation(
                group: g.group, nPos: g.positive.count, nNeg: g.negative.count,
                evaluation: try Evaluation.evaluate([ranked], bootstrap: bootstrap, workers: workers)[0])
        }
    }

    /// The guard's figures per group of `field`, and leave-one-group-out: per group, the guard refitted
    /// (class means at its slots and position, its α) on the training rows whose `field` differs, scored
    /// on the group's eval rows.
    public static func guardGroups(
        _ model: LatentGuard, field: String, scores: (positive: [Double], negative: [Double]), positive: Activations, negative: Activations,
        training: (positive: Activations, negative: Activations), bootstrap: Bootstrap.Settings?, options: StreamOptions = .init()
    ) throws -> (groups: [GroupEvaluation], leaveOneGroupOut: [GroupEvaluation]) {
        let groups = split(positive: try values(field, positive), negative: try values(field, negative))
        let (trainPos, trainNeg) = (try values(field, training.positive), try values(field, training.negative))
        let means = try ClassMeans.compute(
            positive: training.positive, negative: training.negative, positiveMasks: groups.map { g in trainPos.map { $0 != g.group } },
            negativeMasks: groups.map { g in trainNeg.map { $0 != g.group } }, options: options)
        let (own, left) = try guardGroups(
            model, groups: groups, training: (trainPos, trainNeg), means: means,
            provenance: (ClassProvenance(training.positive), ClassProvenance(training.negative)), scores: [scores],
            rescore: { refit in [(try refit.score(positive, options: options), try refit.score(negative, options: options))] },
            bootstrap: bootstrap, workers: options.workers)
        return (own[0], left[0])
    }

    /// Leave-one-group-out for the guard under several scorings of the same rows (`scores[v]`, e.g.
    /// one per token aggregation; `rescore` gives a refitted guard's, in the same order): per group,
    /// the guard of `means[g]` (nil: a class has no training rows left) at α. Returns the per-group
    /// and leave-one-group-out figures of each scoring.
    static func guardGroups(
        _ model: LatentGuard, groups: [(group: String, positive: [Int], negative: [Int])], training: (positive: [String], negative: [String]),
        means: [ClassMeans?], provenance: (ClassProvenance, ClassProvenance), scores: [(positive: [Double], negative: [Double])],
        rescore: (LatentGuard) throws -> [(positive: [Double], negative: [Double])], bootstrap: Bootstrap.Settings?, workers: Int
    ) throws -> (groups: [[GroupEvaluation]], leaveOneGroupOut: [[GroupEvaluation]]) {
        let own = try scores.map { s in
            try evaluate(groups, scores: groups.map { _ in s }, threshold: model.alpha, bootstrap: bootstrap, workers: workers)
        }
        var left = [[GroupEvaluation]](repeating: [], count: scores.count)
        for (g, mean) in zip(groups, means) {
            guard let mean else {
                for v in left.indices { left[v].append(skipped(g.group, training.positive, training.negative)) }
                continue
            }
            let refit = try LatentGuard.fit(means: mean, positive: provenance.0, negative: provenance.1, alpha: model.alpha)
            let rescored = try rescore(refit)
            for v in left.indices {
                left[v] += try evaluate([g], scores: [rescored[v]], threshold: model.alpha, bootstrap: bootstrap, workers: workers)
            }
        }
        return (own, left)
    }

    /// Why group `group` cannot be left out: no training rows of a class remain without it.
    static func skipped(_ group: String, _ positive: [String], _ negative: [String]) -> GroupEvaluation {
        let lacking = [("harmful", positive), ("harmless", negative)].filter { $0.1.allSatisfy { $0 == group } }.map(\.0)
        return GroupEvaluation(
            group: group, nPos: 0, nNeg: 0, skipped: "without \(group) no \(lacking.joined(separator: " or ")) training rows are left")
    }

    /// Per layer, each probe's figures per group of `field` (`decisions[layer]` on the eval rows), and
    /// leave-one-group-out: per group, every layer's probe refitted at the saved C on the training rows
    /// whose `field` differs (the saved probe itself when no training row is in the group) and scored
    /// on the group's eval rows.
    public static func probeGroups(
        _ probes: ProbeSet, field: String, decisions: [(positive: [Double], negative: [Double])], positive: Activations, negative: Activations,
        training: (positive: Activations, negative: Activations), bootstrap: Bootstrap.Settings?, options: StreamOptions = .init()
    ) throws -> (groups: [[GroupEvaluation]], leaveOneGroupOut: [[GroupEvaluation]]) {
        let groups = split(positive: try values(field, positive), negative: try values(field, negative))
        let (own, left) = try probeGroups(
            probes, groups: groups, training: (try values(field, training.positive), try values(field, training.negative)),
            design: { index in try DesignMatrix.stacking([(training.positive, index), (training.negative, index)], options: options) },
            decisions: [decisions],
            rescore: { set in
                let (plus, minus) = (try set.decisions(positive, options: options), try set.decisions(negative, options: options))
                return [plus.indices.map { (plus[$0], minus[$0]) }]
            }, bootstrap: bootstrap, workers: options.workers)
        return (own[0], left[0])
    }

    /// Leave-one-group-out for probes under several scorings of the same rows (`decisions[v][layer]`,
    /// e.g. one per token aggregation; `rescore` gives refitted probes' in the same shape): the
    /// training design of each layer from `design(layerIndex)` (positive rows first), each layer's
    /// probe refitted at the saved C without the group's training rows. Returns `[v][layer]` lists.
    static func probeGroups(
        _ probes: ProbeSet, groups: [(group: String, positive: [Int], negative: [Int])], training: (positive: [String], negative: [String]),
        design: (Int) throws -> DesignMatrix, decisions: [[(positive: [Double], negative: [Double])]],
        rescore: (ProbeSet) throws -> [[(positive: [Double], negative: [Double])]], bootstrap: Bootstrap.Settings?, workers: Int
    ) throws -> (groups: [[[GroupEvaluation]]], leaveOneGroupOut: [[[GroupEvaluation]]]) {
        let own = try decisions.map { variant in
            try variant.map { d in try evaluate(groups, scores: groups.map { _ in d }, threshold: 0, bootstrap: bootstrap, workers: workers) }
        }
        let trainLabels = training.positive + training.negative
        let nPos = training.positive.count
        let labels = (0..<trainLabels.count).map { $0 < nPos }
        // Refits only where leaving the group out changes the training rows.
        let refitted = groups.indices.filter { trainLabels.contains(groups[$0].group) }
        var refits = [[LinearProbe]](repeating: [], count: groups.count)
        for (index, slot) in probes.slots.enumerated() where !refitted.isEmpty {
            let design = try design(index)
            for g in refitted {
                let kept = trainLabels.indices.filter { trainLabels[$0] != groups[g].group }
                let keptLabels = kept.map { labels[$0] }
                guard keptLabels.contains(true), keptLabels.contains(false) else { continue }
                let (probe, _) = try LinearProbe.fit(
                    slot: slot, design: design.selecting(rows: kept), labels: keptLabels, c: probes.c, workers: workers)
                refits[g].append(probe)
            }
        }
        var left = [[[GroupEvaluation]]](repeating: [[GroupEvaluation]](repeating: [], count: probes.probes.count), count: decisions.count)
        for (g, group) in groups.enumerated() {
            let scores: [[(positive: [Double], negative: [Double])]]
            if !refitted.contains(g) {
                scores = decisions
            } else if refits[g].count == probes.probes.count {
                scores = try rescore(ProbeSet(probes: refits[g], c: probes.c, position: probes.position, width: probes.width, metadata: [:]))
            } else {
                let reason = skipped(group.group, training.positive, training.negative)
                for v in left.indices { for i in left[v].indices { left[v][i].append(reason) } }
                continue
            }
            for v in left.indices {
                for i in left[v].indices {
                    left[v][i] += try evaluate([group], scores: [scores[v][i]], threshold: 0, bootstrap: bootstrap, workers: workers)
                }
            }
        }
        return (own, left)
    }

    /// `field` of the prompts record of each row `activations` reads.
    static func values(_ field: String, _ activations: Activations) throws -> [String] {
        try PromptRecords.load(for: activations.path).strings(field, rows: activations.rowOffset..<(activations.rowOffset + activations.rowCount))
    }
}
