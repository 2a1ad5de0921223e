import Foundation
import Probe
import Steering

extension AnalysisReport {
    /// Runs every section whose inputs `request` gives: opens the files once per position, reads
    /// each file in the passes ``SharedPasses`` lists (both positions and every reduction that can
    /// share a read in one), extracts and measures both directions, compares them (with the
    /// bootstrap), and scores the guard, the probes and the scatter on the held-out rows (the
    /// training rows without them).
    public static func run(_ request: ReportRequest, options: StreamOptions = .init()) throws -> AnalysisReport {
        let clock = ContinuousClock()
        let start = clock.now
        var notes: [String] = []
        let files = try OpenedFiles(request, notes: &notes)
        let (p, q) = (files.position, files.vsPosition)
        let count = files.positionCount

        // 1. Inputs.
        var inputs: [InputFile] = []
        for (role, path, side, split) in [
            ("train pos", request.pos, true, files.train), ("train neg", request.neg, false, files.train),
            ("held-out pos", request.valPos, true, files.heldOut), ("held-out neg", request.valNeg, false, files.heldOut),
        ] {
            guard let path, let split else { continue }
            let sets = [split.atP, split.atQ].compactMap { $0 }.map { side ? $0.positive : $0.negative }
            inputs.append(try InputFile(role: role, activations: sets, prompts: try PromptTexts.load(for: path)?.file))
        }

        // 2. Separation per position, from the shared passes over the files.
        let passes = try SharedPasses(request, files: files, options: options)
        var separation: [PositionSeparation] = []
        for (position, pass) in zip([p, q], passes.positions) {
            separation.append(
                PositionSeparation(
                    position: position, name: positionName(position, count: count), train: pass.extraction.layers, heldOut: pass.heldOut?.layers,
                    bestTrainLayer: pass.extraction.bestLayer, bestHeldOutLayer: pass.heldOut?.bestLayer))
        }
        let directions = passes.positions.map(\.directions)

        let comparison = try compare(request, files: files, directions: directions, bootstrap: passes.bootstrap, options: options)
        let subspace = try subspace(files.train.atP, negativeMeans: passes.positions.first?.means.negative, options: options)
        let (guardSection, guardHeldOut, scoredGuard) = try latentGuard(request, files: files, passes: passes, options: options)
        let detected = try detectors(
            request, files: files, separation: separation.first, guardHeldOut: guardHeldOut, trained: passes.probe, options: options)
        let detectors = detected?.section
        let scatter = try scatter(request, files: files, passes: passes, separation: separation, notes: &notes)
        let calibrated = try calibration(request, detectors: detectors, probe: detected?.probe, options: options)
        let sources = try sources(scoredGuard, probe: calibrated.map { ($0.decisions, $0.rows) }, notes: &notes, options: options, request: request)

        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return AnalysisReport(
            command: request.command, version: request.version, generated: ISO8601DateFormatter().string(from: Date()), seconds: seconds,
            inputs: inputs, notes: notes, separation: separation, comparison: comparison, subspace: subspace, latentGuard: guardSection,
            detectors: detectors, scatter: scatter, calibration: calibrated?.section, sources: sources)
    }
}
