import Charts

/// One figure of the page: its id (the `--svg-dir` file stem), section, title, caption and SVG.
public struct ReportFigure: Sendable, Equatable {
    public var id: String
    public var section: Int
    public var title: String
    public var caption: String
    public var svg: SVGElement

    init(section: Int, _ chart: XYChart) {
        self.init(id: chart.id, section: section, title: chart.title, caption: chart.caption, svg: chart.svg())
    }

    init(section: Int, _ map: Heatmap) {
        self.init(id: map.id, section: section, title: map.title, caption: map.caption, svg: map.svg())
    }

    init(id: String, section: Int, title: String, caption: String, svg: SVGElement) {
        self.id = id
        self.section = section
        self.title = title
        self.caption = caption
        self.svg = svg
    }
}
