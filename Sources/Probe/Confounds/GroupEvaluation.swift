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
        let own = try evaluate(groups, scores: groups.map { _ in scores }, threshold: model.alpha, bootstrap: bootstrap, workers: options.workers)
        let (trainPos, trainNeg) = (try values(field, training.positive), try values(field, training.negative))
        let means = try ClassMeans.compute(
            positive: training.positive, negative: training.negative, positiveMasks: groups.map { g in trainPos.map { $0 != g.group } },
            negativeMasks: groups.map { g in trainNeg.map { $0 != g.group } }, options: options)
        var left: [GroupEvaluation] = []
        for (g, mean) in zip(groups, means) {
            guard let mean else {
                left.append(skipped(g.group, trainPos, trainNeg))
                continue
            }
            let refit = try LatentGuard.fit(
                means: mean, positive: ClassProvenance(training.positive), negative: ClassProvenance(training.negative), alpha: model.alpha)
            let rescored = (positive: try refit.score(positive, options: options), negative: try refit.score(negative, options: options))
            left += try evaluate([g], scores: [rescored], threshold: model.alpha, bootstrap: bootstrap, workers: options.workers)
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
        let own = try decisions.map { d in
            try evaluate(groups, scores: groups.map { _ in d }, threshold: 0, bootstrap: bootstrap, workers: options.workers)
        }
        let trainLabels = try values(field, training.positive) + values(field, training.negative)
        let nPos = training.positive.rowCount
        let labels = (0..<trainLabels.count).map { $0 < nPos }
        // Refits only where leaving the group out changes the training rows.
        let refitted = groups.indices.filter { trainLabels.contains(groups[$0].group) }
        var refits = [[LinearProbe]](repeating: [], count: groups.count)
        for (index, slot) in probes.slots.enumerated() {
            let design = try DesignMatrix.stacking([(training.positive, index), (training.negative, index)], options: options)
            for g in refitted {
                let kept = trainLabels.indices.filter { trainLabels[$0] != groups[g].group }
                let keptLabels = kept.map { labels[$0] }
                guard keptLabels.contains(true), keptLabels.contains(false) else { continue }
                let (probe, _) = try LinearProbe.fit(
                    slot: slot, design: design.selecting(rows: kept), labels: keptLabels, c: probes.c, workers: options.workers)
                refits[g].append(probe)
            }
        }
        var left = [[GroupEvaluation]](repeating: [], count: probes.probes.count)
        for (g, group) in groups.enumerated() {
            let scores: [(positive: [Double], negative: [Double])]
            if !refitted.contains(g) {
                scores = decisions
            } else if refits[g].count == probes.probes.count {
                let set = ProbeSet(probes: refits[g], c: probes.c, position: probes.position, width: probes.width, metadata: [:])
                let (plus, minus) = (try set.decisions(positive, options: options), try set.decisions(negative, options: options))
                scores = plus.indices.map { (plus[$0], minus[$0]) }
            } else {
                let reason = skipped(group.group, Array(trainLabels[..<nPos]), Array(trainLabels[nPos...]))
                for i in left.indices { left[i].append(reason) }
                continue
            }
            for i in left.indices {
                left[i] += try evaluate([group], scores: [scores[i]], threshold: 0, bootstrap: bootstrap, workers: options.workers)
            }
        }
        return (own, left)
    }

    /// `field` of the prompts record of each row `activations` reads.
    static func values(_ field: String, _ activations: Activations) throws -> [String] {
        try PromptRecords.load(for: activations.path).strings(field, rows: activations.rowOffset..<(activations.rowOffset + activations.rowCount))
    }
}
