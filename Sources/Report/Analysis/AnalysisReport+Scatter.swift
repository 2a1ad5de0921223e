import Foundation
import Probe
import Steering

extension AnalysisReport {
    /// Section 7: every held-out (else training) prompt at one slot, x = `h_P · r̂_P`,
    /// y = `h_Q · r̂_Q`, with its prompt text when a prompts file sits beside its activation file.
    static func scatter(
        _ request: ReportRequest, files: OpenedFiles, directions: [DirectionSet], separation: [PositionSeparation], notes: inout [String],
        options: StreamOptions
    ) throws -> ScatterSection? {
        guard directions.count == 2, let split = files.heldOut ?? Optional(files.train), let atQ = split.atQ else { return nil }
        let (dp, dq) = (directions[0], directions[1])
        let live = dp.slots.filter { slot in
            [dp, dq].allSatisfy { set in (set.vector(slot: slot).map(LinearAlgebra.norm) ?? 0) > 0 }
        }
        let slot: Int
        if let wanted = request.scatterSlot {
            guard dp.slots.contains(wanted) else {
                throw SteerError(
                    .argument, "the scatter slot \(wanted) is not among the slots analysed (\(dp.slots.map(String.init).joined(separator: ",")))",
                    setting: .layers)
            }
            slot = wanted
        } else {
            let measured = separation.first.flatMap { $0.heldOut ?? $0.train } ?? []
            guard let best = measured.filter({ live.contains($0.layer) }).max(by: { ($0.auroc ?? 0) < ($1.auroc ?? 0) })?.layer ?? live.first else {
                return nil
            }
            slot = best
        }
        guard let rp = dp.vector(slot: slot), let rq = dq.vector(slot: slot) else { return nil }
        let (up, uq) = (unit(rp), unit(rq))
        var points: [ScatterSection.Point] = []
        let heldOut = files.heldOut != nil
        for (label, xSide, ySide, path) in [
            ("harmful", split.atP.positive, atQ.positive, heldOut ? request.valPos : request.pos),
            ("harmless", split.atP.negative, atQ.negative, heldOut ? request.valNeg : request.neg),
        ] {
            let xs = try xSide.selecting(slots: [slot]).project(onto: [up], options).first ?? []
            let ys = try ySide.selecting(slots: [slot]).project(onto: [uq], options).first ?? []
            let texts = try path.flatMap { try PromptTexts.load(for: $0) }?.texts
            if texts == nil, let path { notes.append("no prompts file beside \(path): the scatter shows row numbers only") }
            for (i, (x, y)) in zip(xs, ys).enumerated() {
                let row = xSide.rowOffset + i
                let prompt = texts.flatMap { row < $0.count ? $0[row] : nil }
                points.append(ScatterSection.Point(label: label, row: row, x: x, y: y, prompt: prompt))
            }
        }
        return ScatterSection(
            layer: slot, xPosition: files.position, yPosition: files.vsPosition, rows: heldOut ? "held-out" : "train", points: points)
    }

    /// `v / ‖v‖` (zero stays zero).
    static func unit(_ v: [Double]) -> [Double] {
        let norm = LinearAlgebra.norm(v)
        return norm > 0 ? v.map { $0 / norm } : v
    }
}
