import Charts
import Probe

extension ReportFigures {
    /// Section 9: the probe's reliability diagram, one point per equal-mass bin.
    static func calibration(_ report: AnalysisReport) -> [ReportFigure] {
        guard let section = report.calibration, !section.bins.isEmpty else { return [] }
        let titles = section.bins.enumerated().map { i, bin in
            "bin \(i + 1): \(bin.count) rows, mean probability \(fixed(bin.meanProbability)), harmful \(fixed(bin.observedRate))"
        }
        let chart = XYChart(
            id: "calibration-reliability",
            title: "Probe reliability at slot \(section.layer), equal-mass bins",
            caption:
                "Each point is one bin of \(section.bins.first?.count ?? 0) rows or so, sorted by predicted probability (equal mass); points on the diagonal mean the probabilities can be read as rates, points below it mean the probe is over-confident about harm.",
            x: Axis("mean predicted probability of harmful (per bin)", ticks: .fixed(0...1)),
            y: Axis("fraction of the bin that is harmful", ticks: .fixed(0...1)),
            marks: [
                .diagonal(label: "perfectly calibrated"),
                .line(
                    LineSeries(
                        name: "probe, \(section.bins.count) equal-mass bins",
                        points: section.bins.map { (x: $0.meanProbability, y: Optional($0.observedRate)) }, style: Palette.style(0), titles: titles)),
            ], width: 560, plotHeight: 330)
        return [ReportFigure(section: 9, chart)]
    }
}
