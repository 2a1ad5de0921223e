import Charts
import Foundation
import FoundationXML
import Testing

/// The chart module read back as XML, as a browser would: titles, axes, data points, escaping.
@Suite struct ChartsTests {
    static func parse(_ svg: String) throws -> XMLDocument { try XMLDocument(xmlString: svg, options: []) }

    static func count(_ document: XMLDocument, _ xpath: String) throws -> Int { try document.nodes(forXPath: xpath).count }

    static let hostile = "</svg><script>alert(1)</script> & \"quotes\" 'single' \u{1}"

    func chart(title: String = "Cosine by slot", marks: [Mark]) -> XYChart {
        XYChart(
            id: "fig", title: title, caption: "What to look for.", x: Axis("layer slot", ticks: .integers),
            y: Axis("cosine (unitless)", ticks: .numeric(include: [0])), marks: marks)
    }

    @Test func lineChartHasTitleAxesLegendAndOnePointPerValue() throws {
        let a = LineSeries(name: "train", points: (0..<31).map { (Double($0), $0 == 0 ? nil : sin(Double($0))) }, style: Palette.style(0))
        let b = LineSeries(name: "held-out", points: (0..<31).map { (Double($0), cos(Double($0))) }, style: Palette.style(1))
        let band = BandSeries(name: "95 % band", points: (0..<31).map { (Double($0), -0.1, 0.1) }, colour: Palette.colours[0])
        let document = try Self.parse(chart(marks: [.band(band), .line(a), .line(b)]).render())
        #expect(try Self.count(document, "/*[local-name()='svg']/*[local-name()='title']") == 1)
        #expect(try document.nodes(forXPath: "//*[@class='figure-title']").first?.stringValue == "Cosine by slot")
        #expect(try Self.count(document, "//*[@class='axis x-axis']") == 1)
        #expect(try Self.count(document, "//*[@class='axis y-axis']") == 1)
        #expect(try document.nodes(forXPath: "//*[@class='axis-label x-label']").first?.stringValue == "layer slot")
        #expect(try Self.count(document, "//*[@class='series line-series'][1]/*[@class='point']") == 30)
        #expect(try Self.count(document, "//*[@class='series line-series'][2]/*[@class='point']") == 31)
        #expect(try Self.count(document, "//*[@class='legend-entry']") == 3)
        #expect(try Self.count(document, "//*[local-name()='polygon']") == 1)
    }

    @Test func hostileStringsRenderAsText() throws {
        let scatter = ScatterSeries(name: Self.hostile, points: [.init(x: 1, y: 2, title: Self.hostile)], style: Palette.style(0))
        let svg = chart(title: Self.hostile, marks: [.scatter(scatter), .line(LineSeries(name: "x", points: [(0, 1)], style: Palette.style(1)))])
            .render()
        #expect(!svg.contains("<script>"))
        let document = try Self.parse(svg)
        #expect(try Self.count(document, "//*[local-name()='script']") == 0)
        let title = try document.nodes(forXPath: "//*[@class='point']/*[local-name()='title']").first?.stringValue
        #expect(title == Self.hostile.replacingOccurrences(of: "\u{1}", with: "\u{FFFD}"))
    }

    @Test func histogramAndRules() throws {
        let (edges, counts) = HistogramSeries.bin([0, 0.1, 0.2, 0.9, 1, 5, .nan], low: 0, high: 1, bins: 10)
        #expect(edges.count == 11 && counts.reduce(0, +) == 6 && counts[9] == 3)
        let h = HistogramSeries(name: "harmful", edges: edges, counts: counts, style: Palette.style(1))
        let rule = ReferenceLine(.vertical, at: 0.5, label: "α = 0", style: Palette.style(2))
        let document = try Self.parse(chart(marks: [.histogram(h), .rule(rule)]).render())
        #expect(try Self.count(document, "//*[@class='bar']") == counts.filter { $0 > 0 }.count)
        #expect(try Self.count(document, "//*[@class='rule']") == 1)
        #expect(try Self.count(document, "//*[@class='legend-entry']") == 2)
    }

    @Test func heatmapCellsAndColourBar() throws {
        var values: [[Double?]] = []
        for r in 0..<5 {
            var row: [Double?] = []
            for k in 0..<5 { row.append(r == 0 || k == 0 ? nil : Double(r * k) / 25) }
            values.append(row)
        }
        let map = Heatmap(
            id: "h", title: "Cross-layer", caption: "Blocks of similar layers.", rowLabels: (0..<5).map(String.init),
            columnLabels: (0..<5).map(String.init), values: values, colourDomain: -1...1, xLabel: "slot", yLabel: "slot", valueLabel: "cosine")
        let document = try Self.parse(map.render())
        #expect(try Self.count(document, "//*[@class='cell']") == 25)
        #expect(try Self.count(document, "//*[@class='legend colour-bar']") == 1)
        #expect(try Self.count(document, "/*[local-name()='svg']/*[local-name()='title']") == 1)
    }

    @Test func niceTicksAndFormatting() {
        let ticks = NiceTicks(low: 0.13, high: 0.87)
        #expect(ticks.step == 0.2 && ticks.values.first == 0 && ticks.values.last == 1)
        #expect(NiceTicks(low: 3, high: 3).values.count > 1)
        #expect(NiceTicks(low: .nan, high: .infinity).values.count > 1)
        #expect(NiceTicks(integersFrom: 0, to: 30).values == stride(from: 0.0, through: 30, by: 5).map { $0 })
        #expect(NumberFormat.decimals(forStep: 0.05) == 2 && NumberFormat.decimals(forStep: 5) == 0)
        #expect(NumberFormat.fixed(-0.0001, 2) == "0.00" && NumberFormat.fixed(.nan, 2) == "–")
        #expect(NumberFormat.coordinate(.infinity) == "0")
        #expect(Set(Palette.colours).count == Palette.colours.count)
        #expect(Palette.sequential(0) == "#440154" && Palette.sequential(1) == "#FDE725")
    }

    @Test func emptyChartsStillRender() throws {
        let document = try Self.parse(chart(marks: []).render())
        #expect(try Self.count(document, "//*[@class='axis x-axis']") == 1)
    }

    @Test func extremeValuesNeverTrap() throws {
        for (low, high) in [(-1e308, 1e308), (-Double.greatestFiniteMagnitude, Double.greatestFiniteMagnitude), (1e-320, 2e-320), (5, 5)] {
            let ticks = NiceTicks(low: low, high: high)
            #expect(!ticks.values.isEmpty && ticks.values.count <= 1001, "\(low)…\(high)")
        }
        let (_, counts) = HistogramSeries.bin([1e300, -1e300, .infinity, 0.5], low: 0, high: 1, bins: 4)
        #expect(counts == [1, 0, 1, 1])
        let points = [(x: -1e308, y: Optional(1e308)), (x: 1e308, y: Optional(-1e308)), (x: 0, y: Optional(Double.nan))]
        let svg = chart(marks: [.line(LineSeries(name: "wild", points: points, style: Palette.style(0)))]).render()
        _ = try Self.parse(svg)
        #expect(!svg.contains("nan") && !svg.contains("inf"))
    }
}
