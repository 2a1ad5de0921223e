#if STEER_HAS_REPORT
    import Foundation
    import Report

    // The fuzz target of `steer report --evaluation EVAL.json`: the JSON `steer evaluate --out` writes,
    // read by the report's own reader, then drawn (section 8's tables and the sweep's curve) on a page.

    /// The fuzzer's bytes as EVAL.json: `EvaluationSection.read`, then, when accepted, the report page
    /// and its figures with that section alone (`ReportFigures.all`, `ReportPage.render`).
    /// Oracles: a refusal is one line naming the file; every string of the file that holds a `<` (the
    /// prompts, the completions as the page cuts them, the model, the sweep's parameter) is escaped on
    /// the page, never written as it is.
    func exerciseEvaluation(_ bytes: [UInt8]) {
        let path = Scratch.write("eval.json", bytes)
        let section: EvaluationSection
        do { section = try EvaluationSection.read(path) } catch {
            let line = String(describing: error)
            oracle(line.hasPrefix(path) && !line.contains("\n"), "a refused evaluation file is not one line naming it: \(line)")
            return
        }
        guard var report = fuzzEmptyReport else {
            oracle(false, "the harness's empty report did not decode")
            return
        }
        report.evaluation = section
        let page = ReportPage.render(report, figures: ReportFigures.all(report))
        var texts = [section.settings.model] + (section.settings.edited.map { [$0] } ?? []) + (section.sweep.map { [$0.parameter] } ?? [])
        let classes = [section.harmful, section.harmless] + (section.sweep?.points.flatMap { [$0.harmful, $0.harmless] } ?? [])
        for figures in classes {
            for prompt in figures.prompts ?? [] { texts += [prompt.prompt, String(prompt.completion.prefix(160))] }
        }
        for text in texts where text.contains("<") {
            oracle(!page.contains(text), "a string of the evaluation file is on the page unescaped: \(text.prefix(80))")
        }
    }

    /// A report with no section but the evaluation's (every other part absent or empty).
    let fuzzEmptyReport: AnalysisReport? = {
        let json = #"{"command": "steer report", "version": "fuzz", "generated": "", "seconds": 0, "inputs": [], "notes": [], "separation": []}"#
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try? decoder.decode(AnalysisReport.self, from: Data(json.utf8))
    }()
#endif
