import Charts
import Foundation
import FoundationXML
import Probe
import Report
import Steering
import TestSupport
import Testing

/// `steer report` read back as a reader's browser would: the page and every figure parse as
/// XML, each figure has its title, axes, caption and data points, and hostile prompt texts stay text.
@Suite struct ReportTests {
    static let pos = Fixtures.vectors("real/smollm2_train_harmful.safetensors")
    static let neg = Fixtures.vectors("real/smollm2_train_harmless.safetensors")
    static let hostile = "</svg><script>alert(1)</script> & <b>\"bold\"</b> &lt;"

    /// The committed subset (slots 0, 18, 28, 30; 2 positions): rows 0-179 train, 180-259 held out.
    static func request(pos: String = pos, neg: String = neg, heldOut: Bool = true, bootstrap: Int? = 50) -> ReportRequest {
        ReportRequest(
            pos: pos, neg: neg, valPos: heldOut ? pos : nil, valNeg: heldOut ? neg : nil, position: 0, rows: 0..<180,
            valRows: heldOut ? 180..<260 : nil, bootstrap: bootstrap, command: "steer report --pos \(hostile)", version: "test")
    }

    static let full: AnalysisReport? = try? AnalysisReport.run(request())

    static func parse(_ text: String) throws -> XMLDocument { try XMLDocument(xmlString: text, options: []) }

    static func nodes(_ node: XMLNode, _ xpath: String) throws -> [XMLNode] { try node.nodes(forXPath: xpath) }

    func report() throws -> AnalysisReport {
        guard let report = Self.full else { return try AnalysisReport.run(Self.request()) }
        return report
    }

    /// The report spends no pass counting non-finite values: its own passes read every value it
    /// uses and stop at the first NaN, naming the file, row and slot (training and held-out files).
    @Test(arguments: [false, true])
    func aNaNStopsTheReportNamingItsRow(heldOut: Bool) throws {
        let dir = try Fixtures.temporaryDirectory()
        func write(_ name: String, shift: Float, nan: Int?) throws -> String {
            let (n, l, d) = (12, 2, 8)
            var values = (0..<(n * l * d)).map { Float($0 % 7) * 0.25 + shift + Float($0 / (l * d)) * 0.01 }
            if let nan { values[nan * l * d + d + 3] = .nan }  // row `nan`, slot 1
            var bytes = NPY.header(dtype: .float32, shape: [n, l, d])
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
            let path = dir + "/" + name
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }
        let (pos, neg) = (try write("pos.npy", shift: 1, nan: nil), try write("neg.npy", shift: 0, nan: nil))
        let bad = try write("bad.npy", shift: 1, nan: 9)
        let clean = try AnalysisReport.run(ReportRequest(pos: pos, neg: neg, valPos: pos, valNeg: neg, bootstrap: nil, command: "t", version: "t"))
        #expect(clean.inputs.count == 4 && clean.inputs.allSatisfy { $0.nonFinite == 0 })
        let request =
            heldOut
            ? ReportRequest(pos: pos, neg: neg, valPos: bad, valNeg: neg, bootstrap: nil, command: "t", version: "t")
            : ReportRequest(pos: bad, neg: neg, valPos: pos, valNeg: neg, bootstrap: nil, command: "t", version: "t")
        #expect {
            try AnalysisReport.run(request)
        } throws: { error in
            "\(error)".contains("bad.npy") && "\(error)".contains("NaN in row 9 (layer slot 1)")
        }
    }

    @Test func everySectionRunsOnTheRealSubset() throws {
        let report = try report()
        #expect(report.inputs.map(\.role) == ["train pos", "train neg", "held-out pos", "held-out neg"])
        #expect(report.inputs.allSatisfy { $0.nonFinite == 0 && $0.width == 576 && $0.slots == [0, 18, 28, 30] })
        #expect(report.inputs[2].rows == 80 && report.inputs[2].firstRow == 180)
        #expect(report.separation.count == 2)
        #expect(report.separation.allSatisfy { $0.train.count == 4 && $0.heldOut?.count == 4 })
        let cosines = try #require(report.comparison).cosines.layers
        #expect(cosines.map(\.layer) == [0, 18, 28, 30])
        #expect(cosines[0].degenerate && cosines[0].cosine == nil)  // t_post slot 0: the same token for every prompt
        #expect(cosines.dropFirst().allSatisfy { ($0.ciLow ?? 2) <= ($0.cosine ?? -2) && ($0.cosine ?? 2) <= ($0.ciHigh ?? -2) })
        #expect(try #require(report.comparison).crossLayer.count == 2)
        #expect(try #require(report.subspace).layers.count == 4)
        #expect(report.inputs[0].rows == report.inputs[1].rows && report.subspace?.mode == "to_mean")  // equal counts do not make pairs
        let guardSection = try #require(report.latentGuard)
        #expect(guardSection.nPos == 80 && guardSection.nNeg == 80 && guardSection.scoredRows == "held-out")
        #expect(guardSection.operatingPoints.map(\.name) == ["alpha_0", "max_f1", "youden", "fpr_1pct"])
        #expect(guardSection.histogram.positive.reduce(0, +) == 80 && guardSection.histogram.negative.reduce(0, +) == 80)
        #expect(guardSection.roc.first.map { $0.fpr == 0 && $0.tpr == 0 } == true)
        // Intervals and operating points on the α = 0 figures; length from the prompts files beside the rows.
        let alpha0 = try #require(guardSection.operatingPoints.first?.metrics)
        #expect(alpha0.interval(.auroc).map { $0.low <= alpha0.auroc && alpha0.auroc <= $0.high } == true)
        #expect(alpha0.thresholds?.count == 4 && alpha0.fprAt95TPR != nil)
        let length = try #require(guardSection.lengthBaseline)
        #expect(length.auroc > 0.5 && guardSection.residualized?.aurocCI?.count == 2)
        #expect(ReportPage.render(report, figures: []).contains("Prompt length alone"))
        let detectors = try #require(report.detectors)
        #expect(detectors.layers.count == 4 && detectors.layers.allSatisfy { $0.probeAuroc != nil && $0.projectionAuroc != nil })
        let scatter = try #require(report.scatter)
        #expect(scatter.points.count == 160 && scatter.layer != 0)
        #expect(report.command.contains(Self.hostile))
    }

    @Test func pageAndFiguresParseWithTitlesAxesCaptionsAndPoints() throws {
        let report = try report()
        let figures = ReportFigures.all(report)
        #expect(figures.count == 14)
        let page = ReportPage.render(report, figures: figures)
        let document = try Self.parse(page)
        #expect(try Self.nodes(document, "//script").isEmpty)
        let svgs = try Self.nodes(document, "//*[local-name()='svg']")
        #expect(svgs.count == figures.count)
        for svg in svgs {
            let id = (svg as? XMLElement)?.attribute(forName: "id")?.stringValue ?? "?"
            #expect(try Self.nodes(svg, "./*[local-name()='title']").first?.stringValue?.isEmpty == false, "\(id): no title")
            #expect(try Self.nodes(svg, ".//*[@class='figure-title']").count == 1, "\(id): no visible title")
            #expect(try Self.nodes(svg, ".//*[@class='axis x-axis']").count == 1, "\(id): no x axis")
            #expect(try Self.nodes(svg, ".//*[@class='axis y-axis']").count == 1, "\(id): no y axis")
            #expect(try Self.nodes(svg, ".//*[contains(@class, 'axis-label')]").count == 2, "\(id): axis labels")
            #expect(try Self.nodes(svg, "../*[local-name()='figcaption']").first?.stringValue?.hasSuffix(".") == true, "\(id): caption")
        }
        // The cosine figure: one point per slot whose two directions are non-zero (slot 0 is degenerate).
        let cosine = try #require(try Self.nodes(document, "//*[@id='cosine']").first)
        #expect(try Self.nodes(cosine, ".//*[@class='series line-series']/*[@class='point']").count == 3)
        #expect(try Self.nodes(cosine, ".//*[local-name()='polygon']").count == 1)  // the bootstrap band
        // The scatter: every held-out prompt.
        let scatter = try #require(try Self.nodes(document, "//*[@id='scatter']").first)
        #expect(try Self.nodes(scatter, ".//*[@class='point']").count == 160)
        #expect(try Self.nodes(scatter, ".//*[@class='legend-entry']").count == 2)
        // Separation: 2 positions × (train, held-out) lines of 4 slots, the best slots marked.
        let auroc = try #require(try Self.nodes(document, "//*[@id='separation-auroc']").first)
        #expect(try Self.nodes(auroc, ".//*[@class='series line-series']").count == 4)
        // Heatmaps: 4 × 4 cells each.
        #expect(try Self.nodes(document, "//*[@id='cross-layer-a']//*[@class='cell']").count == 16)
        // The command line (hostile here) is text.
        #expect(try Self.nodes(document, "//pre").first?.stringValue?.contains(Self.hostile) == true)
    }

    @Test func hostilePromptsRenderAsText() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (source, name) in [(Self.pos, "harmful"), (Self.neg, "harmless")] {
            try Fixtures.write(try Fixtures.read(source), to: "\(dir)/\(name).safetensors")
            let records = (0..<260).map { ["row": $0, "instruction": "\(Self.hostile) \(name) \($0)"] as [String: Any] }
            try JSONSerialization.data(withJSONObject: records).write(to: URL(fileURLWithPath: "\(dir)/\(name).prompts.json"))
        }
        let request = Self.request(pos: "\(dir)/harmful.safetensors", neg: "\(dir)/harmless.safetensors", bootstrap: nil)
        let report = try AnalysisReport.run(request)
        #expect(report.inputs.allSatisfy { $0.prompts?.hasSuffix(".prompts.json") == true })
        let scatter = try #require(report.scatter)
        #expect(scatter.points.allSatisfy { $0.prompt == "\(Self.hostile) \($0.label) \($0.row)" })
        let written = try ReportOutput.write(report, html: "\(dir)/report.html", json: "\(dir)/report.json", svgDirectory: "\(dir)/svg")
        let page = try String(contentsOfFile: "\(dir)/report.html", encoding: .utf8)
        #expect(!page.contains("<script"))
        let document = try Self.parse(page)
        #expect(try Self.nodes(document, "//script").isEmpty)
        let titles = try Self.nodes(document, "//*[@id='scatter']//*[@class='point']/*[local-name()='title']").compactMap(\.stringValue)
        #expect(titles.count == 160)
        #expect(
            titles.contains(
                "harmful row 180 (x \(NumberFormat.fixed(scatter.points[0].x, 2)), y \(NumberFormat.fixed(scatter.points[0].y, 2))): \(Self.hostile) harmful 180"
            ))
        let files = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/svg").sorted()
        #expect(files.count == ReportFigures.all(report).count && written.figures == files.count && written.figures > 5)
        for file in files {
            let svg = try String(contentsOfFile: "\(dir)/svg/\(file)", encoding: .utf8)
            #expect(!svg.contains("<script"))
            _ = try Self.parse(svg)
        }
    }

    @Test func jsonHoldsTheNumbersThePageShows() throws {
        let report = try report()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(try report.json())) as? [String: Any])
        for key in ["command", "version", "inputs", "separation", "comparison", "subspace", "guard", "detectors", "scatter", "notes"] {
            #expect(object[key] != nil, "JSON lacks \(key)")
        }
        // Every figure value shown with three decimals in the guard table is the JSON's.
        let guardSection = try #require(object["guard"] as? [String: Any])
        let points = try #require(guardSection["operating_points"] as? [[String: Any]])
        let page = ReportPage.render(report, figures: ReportFigures.all(report))
        for point in points {
            let metrics = try #require(point["metrics"] as? [String: Any])
            let accuracy = try #require(metrics["accuracy"] as? Double)
            #expect(page.contains("<td class=\"num\">\(NumberFormat.fixed(accuracy, 3))</td>"))
        }
    }

    @Test func sectionsWithoutInputsAreSkippedAndSaySo() throws {
        let report = try AnalysisReport.run(Self.request(heldOut: false, bootstrap: nil))
        #expect(report.detectors == nil)
        #expect(report.latentGuard?.scoredRows == "train")
        #expect(report.scatter?.rows == "train")
        #expect(report.comparison?.cosines.bootstrap == nil)
        let page = ReportPage.render(report, figures: ReportFigures.all(report))
        #expect(page.contains("Needs held-out rows"))
        _ = try Self.parse(page)
    }

    @Test func badInputsAreOneLineErrors() throws {
        #expect(throws: SteerError.self) { try AnalysisReport.run(ReportRequest(pos: Self.pos, neg: "/nonexistent.safetensors")) }
        var same = Self.request()
        same.vsPosition = 0
        #expect(throws: SteerError.self) { try AnalysisReport.run(same) }
        var slot = Self.request()
        slot.scatterSlot = 5
        #expect(throws: SteerError.self) { try AnalysisReport.run(slot) }
    }

    /// The README's library example, verbatim but for the paths.
    @Test func readmeLibraryExample() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (trainHarmful, trainHarmless) = (Self.pos, Self.neg)
        let (testHarmful, testHarmless) = (Self.pos, Self.neg)
        let report = try AnalysisReport.run(
            ReportRequest(
                pos: trainHarmful, neg: trainHarmless,
                valPos: testHarmful, valNeg: testHarmless, bootstrap: 1000))
        try ReportOutput.write(report, html: "\(dir)/report.html", json: "\(dir)/report.json", svgDirectory: "\(dir)/figures")
        let figures = ReportFigures.all(report)
        #expect(figures.count == 14 && FileManager.default.fileExists(atPath: "\(dir)/report.json"))
    }

    /// A file without a position axis (raw [N, d]): no comparison and no scatter, and the page says why.
    @Test func oneSlotWithoutPositions() throws {
        let request = ReportRequest(
            pos: Fixtures.vectors("real/minilm_train_harmful.layer4.f32le.bin"), neg: Fixtures.vectors("real/minilm_train_harmless.layer4.f32le.bin"),
            readOptions: TensorFile.ReadOptions(dtype: .float32, width: 384))
        let report = try AnalysisReport.run(request)
        #expect(report.comparison == nil && report.scatter == nil && report.detectors == nil)
        #expect(report.separation.count == 1 && report.separation[0].position == nil && report.separation[0].train.count == 1)
        let page = ReportPage.render(report, figures: ReportFigures.all(report))
        #expect(page.contains("Needs a second token position") && !page.contains("best the"))
        _ = try Self.parse(page)
    }
}
