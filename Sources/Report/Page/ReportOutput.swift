import Charts
import Foundation
import Steering

/// Writes a report's page, JSON and standalone figures, each file atomically.
public enum ReportOutput {
    /// What ``write(_:html:json:svgDirectory:)`` wrote.
    public struct Written: Sendable, Equatable {
        /// Bytes of the page.
        public var bytes: Int
        /// Figures on the page (and `.svg` files, when asked).
        public var figures: Int
    }

    /// Writes the HTML page to `html`, and the JSON and one `.svg` per figure when asked. The
    /// figures are built once, for the page, the `.svg` files and the count returned.
    @discardableResult
    public static func write(_ report: AnalysisReport, html: String, json: String? = nil, svgDirectory: String? = nil) throws -> Written {
        let figures = ReportFigures.all(report)
        let page = Array(ReportPage.render(report, figures: figures).utf8)
        try AtomicFile.write(page, to: html)
        if let json { try AtomicFile.write(try report.json(), to: json) }
        if let svgDirectory {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: svgDirectory, isDirectory: &isDirectory) {
                do { try FileManager.default.createDirectory(atPath: svgDirectory, withIntermediateDirectories: true) } catch {
                    throw SteerError(.io, file: svgDirectory, "cannot be created: \(error.localizedDescription)")
                }
            } else if !isDirectory.boolValue {
                throw SteerError(.io, file: svgDirectory, "is not a directory")
            }
            for figure in figures {
                let svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + figure.svg.render() + "\n"
                try AtomicFile.write(Array(svg.utf8), to: svgDirectory + "/" + figure.id + ".svg")
            }
        }
        return Written(bytes: page.count, figures: figures.count)
    }
}
