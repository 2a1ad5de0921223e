import Steering

/// The report's activation files opened at each position it reads, restricted to the slots
/// every file holds.
struct OpenedFiles {
    /// One split (train or held-out) at the harmfulness position and, when there is one, the other.
    struct Split {
        var atP: ClassPair
        var atQ: ClassPair?
    }

    var train: Split
    var heldOut: Split?
    var position: Int?
    var vsPosition: Int?
    var positionCount: Int?

    init(_ request: ReportRequest, notes: inout [String]) throws {
        let count = try Activations.positionCount(of: TensorFile.open(request.pos, options: request.readOptions), layout: request.layout)
        positionCount = count
        if count == nil {
            position = nil
            vsPosition = nil
            if request.vsPosition != nil {
                throw SteerError(.argument, file: request.pos, "has no token-position axis: there is no second position to compare")
            }
        } else {
            position = request.position ?? 0
            if let q = request.vsPosition {
                vsPosition = q
            } else if count == 2, let p = position {
                vsPosition = p == 0 || p == -2 ? 1 : 0
            }
            if let p = position, let q = vsPosition, let count, (p + count) % count == (q + count) % count {
                throw SteerError(
                    .argument, "the compared positions are the same token position (\(p) and \(q)): give another --vs-position", setting: .position)
            }
        }
        func open(_ path: String, _ position: Int?, _ rows: Range<Int>?) throws -> Activations {
            try Activations.open(
                path,
                selection: ActivationSelection(
                    layers: request.layers, position: position, layout: request.layout, readOptions: request.readOptions, rows: rows))
        }
        func pair(_ pos: String, _ neg: String, _ position: Int?, _ rows: Range<Int>?) throws -> ClassPair {
            ClassPair(positive: try open(pos, position, rows), negative: try open(neg, position, rows))
        }
        var trainP = try pair(request.pos, request.neg, position, request.rows)
        var trainQ = try vsPosition.map { try pair(request.pos, request.neg, $0, request.rows) }
        var heldP: ClassPair?
        var heldQ: ClassPair?
        switch (request.valPos, request.valNeg) {
        case (let vp?, let vn?):
            heldP = try pair(vp, vn, position, request.valRows)
            heldQ = try vsPosition.map { try pair(vp, vn, $0, request.valRows) }
        case (nil, nil):
            break
        default:
            throw SteerError(.argument, "held-out rows need both --val-pos and --val-neg")
        }
        // The slots every file holds (with --layers all, files may differ; a named list must be in all).
        let all = [trainP.positive, trainP.negative] + (heldP.map { [$0.positive, $0.negative] } ?? [])
        let shared = all.dropFirst().reduce(Set(trainP.positive.slots)) { $0.intersection($1.slots) }.sorted()
        guard !shared.isEmpty else {
            throw SteerError(
                .shape,
                "the training and held-out files share no layer slot (\(trainP.positive.path): \(trainP.positive.slots.map(String.init).joined(separator: ",")))"
            )
        }
        if shared != trainP.positive.slots || all.contains(where: { $0.slots != shared }) {
            notes.append("only the \(shared.count) layer slots every file holds are used: \(shared.map(String.init).joined(separator: ","))")
            trainP = try trainP.selecting(slots: shared)
            trainQ = try trainQ?.selecting(slots: shared)
            heldP = try heldP?.selecting(slots: shared)
            heldQ = try heldQ?.selecting(slots: shared)
        }
        train = Split(atP: trainP, atQ: trainQ)
        heldOut = heldP.map { Split(atP: $0, atQ: heldQ) }
    }
}
