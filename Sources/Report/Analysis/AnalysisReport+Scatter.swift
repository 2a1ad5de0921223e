import Foundation
import Probe
import Steering

extension AnalysisReport {
    /// Section 7: every held-out (else training) prompt at one slot, x = `h_P · r̂_P`,
    /// y = `h_Q · r̂_Q`, with its prompt text when a prompts file sits beside its activation file.
    /// The coordinates are the projections section 2 computed in the shared passes (no pass of its own).
    static func scatter(
        _ request: ReportRequest, files: OpenedFiles, passes: SharedPasses, separation: [PositionSeparation], notes: inout [String]
    ) throws -> ScatterSection? {
        guard passes.positions.count == 2, let split = files.heldOut ?? Optional(files.train), split.atQ != nil else { return nil }
        let (dp, dq) = (passes.positions[0].directions, passes.positions[1].directions)
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
        guard let index = dp.slots.firstIndex(of: slot), dq.slots.firstIndex(of: slot) == index else { return nil }
        let (xAll, yAll) = (passes.positions[0].projections, passes.positions[1].projections)
        var points: [ScatterSection.Point] = []
        let heldOut = files.heldOut != nil
        for (label, xSide, xs, ys, path) in [
            ("harmful", split.atP.positive, xAll.positive[index], yAll.positive[index], heldOut ? request.valPos : request.pos),
            ("harmless", split.atP.negative, xAll.negative[index], yAll.negative[index], heldOut ? request.valNeg : request.neg),
        ] {
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
}
