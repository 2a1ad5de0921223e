import Foundation
import Probe
import Steering
import TestSupport
import Testing

/// Logistic-regression probes against scikit-learn (`StandardScaler` + `LogisticRegression`, same C).
@Suite struct LinearProbeTests {
    static func reference(_ file: String, _ key: String) throws -> [[String: Any]] {
        try Fixtures.records(Fixtures.reference(file, key), "\(file) \(key)")
    }
    static func numbers(_ any: Any?) throws -> [Double] { try Fixtures.numbers(any, "numbers") }
    static func number(_ any: Any?) throws -> Double { try Fixtures.number(any, "number") }
    static func maxAbs(_ a: [Double], _ b: [Double]) -> Double {
        a.count == b.count ? Fixtures.zipped(a, b).map { abs($0 - $1) }.max() ?? 0 : .infinity
    }

    /// Coefficients to 1e-4, accuracy to 1e-3 (the bars), and tighter where the maths allows.
    func check(pos: String, neg: String, trainRows: Range<Int>, evalRows: Range<Int>, c: Double, reference: [[String: Any]]) throws {
        let t = ActivationSelection(position: 0, rows: trainRows)
        let probes = try ProbeSet.train(positive: Activations.open(pos, selection: t), negative: Activations.open(neg, selection: t), c: c)
        let e = ActivationSelection(position: 0, rows: evalRows)
        let scores = try probes.evaluate(positive: Activations.open(pos, selection: e), negative: Activations.open(neg, selection: e))
        #expect(probes.probes.count == reference.count)
        for (probe, (score, r)) in Fixtures.zipped(probes.probes, Fixtures.zipped(scores, reference)) {
            let (mean, scale, coef) = (try Self.numbers(r["mean"]), try Self.numbers(r["scale"]), try Self.numbers(r["coef"]))
            let (intercept, accuracy, auroc) = (try Self.number(r["intercept"]), try Self.number(r["accuracy"]), try Self.number(r["auroc"]))
            #expect(Self.maxAbs(probe.mean, mean) <= 1e-9 * max(1, mean.map(abs).max() ?? 1))
            #expect(scale.count == probe.scale.count && Fixtures.relativeError(probe.scale, scale) <= 1e-9)
            #expect(Self.maxAbs(probe.weights, coef) <= 1e-4, "slot \(probe.slot)")
            #expect(abs(probe.intercept - intercept) <= 1e-4)
            #expect(abs(score.accuracy - accuracy) <= 1e-3)
            #expect(abs(score.auroc - auroc) <= 1e-4)
        }
    }

    @Test(arguments: [1.0, 0.05])
    func syntheticProbesMatchScikitLearn(c: Double) throws {
        let dir = Fixtures.vectors("synthetic/")
        let reference = try Self.reference("synthetic/probe.json", String(c))
        try check(pos: dir + "pos_f32.npy", neg: dir + "neg_f32.npy", trainRows: 0..<20, evalRows: 20..<37, c: c, reference: reference)
    }

    @Test func committedRealSubsetMatchesScikitLearn() throws {
        let reference = try Self.reference("real/probe.json", "subset_p0")
        try check(
            pos: Fixtures.vectors("real/smollm2_test_harmful.slots18_28.npy"), neg: Fixtures.vectors("real/smollm2_test_harmless.slots18_28.npy"),
            trainRows: 0..<150, evalRows: 150..<300, c: 1, reference: reference)
    }

    /// Newton and L-BFGS reach the same optimum (the one scikit-learn finds).
    @Test func newtonAndLBFGSAgree() throws {
        let acts = try Activations.open(
            Fixtures.vectors("real/smollm2_test_harmful.slots18_28.npy"), selection: .init(layers: .slots([1]), position: 0, rows: 0..<150))
        let other = try Activations.open(
            Fixtures.vectors("real/smollm2_test_harmless.slots18_28.npy"), selection: .init(layers: .slots([1]), position: 0, rows: 0..<150))
        var x = try acts.matrix(layerIndex: 0) + other.matrix(layerIndex: 0)
        let d = acts.width
        for j in 0..<d {  // standardise as the probe does
            let column = (0..<300).map { x[$0 * d + j] }
            let mean = column.reduce(0, +) / 300
            let sd = (column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 300).squareRoot()
            for i in 0..<300 { x[i * d + j] = (x[i * d + j] - mean) / (sd > 0 ? sd : 1) }
        }
        let labels = (0..<300).map { $0 < 150 }
        let newton = try LogisticRegression.fit(x, rows: 300, columns: d, labels: labels, c: 1, solver: .newton, tolerance: 1e-8)
        let lbfgs = try LogisticRegression.fit(x, rows: 300, columns: d, labels: labels, c: 1, solver: .lbfgs, tolerance: 1e-8, maxIterations: 20000)
        #expect(newton.gradientNorm <= 1e-8 && lbfgs.gradientNorm <= 1e-8)
        #expect(Self.maxAbs(newton.weights, lbfgs.weights) <= 1e-6 && abs(newton.intercept - lbfgs.intercept) <= 1e-6)
        let reference = try Self.reference("real/probe.json", "subset_p0")
        #expect(Self.maxAbs(newton.weights, try Self.numbers(reference.last?["coef"])) <= 1e-4)
    }

    /// The coefficients are the same bits for 1, 2 and 7 threads and on every kernel path this CPU
    /// has: the objective is summed in blocks of a fixed size, merged in order, with every dot
    /// product in ``Summation``'s 16-lane order (it was split by worker count and used BLAS `ddot`).
    @Test(arguments: [LogisticRegression.Solver.newton, .lbfgs])
    func coefficientsDoNotDependOnThreadsOrKernelPath(solver: LogisticRegression.Solver) throws {
        var random = SplitMix64(seed: 18)
        let (n, d) = (1500, 37)  // six blocks, and a width that leaves a tail past the 16 lanes
        let truth = (0..<d).map { _ in Double.random(in: -1...1, using: &random) }
        let x = (0..<(n * d)).map { _ in Double.random(in: -2...2, using: &random) + 0.3 }
        let labels = (0..<n).map { i in
            (0..<d).reduce(0.0) { $0 + truth[$1] * x[i * d + $1] } + Double.random(in: -2...2, using: &random) > 0
        }
        let design = try DesignMatrix(float64: x, rows: n, columns: d, standardise: true)
        func bits(_ m: LogisticRegression) -> [UInt64] { (m.weights + [m.intercept]).map(\.bitPattern) }
        // At most 60 iterations: L-BFGS does not reach 1e-9 and would run to its 5000-iteration cap;
        // the bits of every iterate must agree whether or not the fit has converged.
        let reference = try LogisticRegression.fit(design, labels: labels, c: 0.5, solver: solver, tolerance: 1e-9, maxIterations: 60, workers: 1)
        #expect(reference.iterations > 1)
        if solver == .newton { #expect(reference.gradientNorm <= 1e-7) }  // Newton stops at machine precision
        for workers in [1, 2, 7] {
            for path in KernelPath.supported {
                let fit = try LogisticRegression.fit(
                    design, labels: labels, c: 0.5, solver: solver, tolerance: 1e-9, maxIterations: 60, workers: workers, kernelPath: path)
                #expect(bits(fit) == bits(reference), "\(workers) workers, \(path)")
                #expect(fit.iterations == reference.iterations)
            }
        }
    }

    @Test func savedProbesLoadExactly() throws {
        let dir = Fixtures.vectors("synthetic/")
        let s = ActivationSelection(position: 0)
        let probes = try ProbeSet.train(
            positive: Activations.open(dir + "pos_f16.npy", selection: s), negative: Activations.open(dir + "neg_bf16.safetensors", selection: s),
            c: 0.5)
        let path = try Fixtures.temporaryDirectory() + "/probe.safetensors"
        try probes.write(to: path)
        #expect(try ProbeSet.read(path) == probes)
    }

    @Test func separableDataStaysFiniteAndDeterministic() throws {
        // Perfectly separable rows: the L2 term keeps the optimum finite.
        let x: [Double] = [2, 0, 3, 1, -2, 0, -3, -1]
        let a = try LogisticRegression.fit(x, rows: 4, columns: 2, labels: [true, true, false, false], c: 100)
        let b = try LogisticRegression.fit(x, rows: 4, columns: 2, labels: [true, true, false, false], c: 100)
        #expect(a == b && a.weights.allSatisfy(\.isFinite) && a.gradientNorm <= 1e-5)
        #expect(throws: SteerError.self) { try LogisticRegression.fit(x, rows: 4, columns: 2, labels: [true, true, true, true], c: 1) }
    }

    @Test(.enabled(if: Fixtures.sharedData != nil, Comment(rawValue: Fixtures.sharedNote)))
    func fullTrainToTestSweepMatchesScikitLearn() throws {
        let s = ActivationSelection(position: 0)
        let probes = try ProbeSet.train(
            positive: Activations.open(Fixtures.shared("smollm2/smollm2_train_harmful.safetensors"), selection: s),
            negative: Activations.open(Fixtures.shared("smollm2/smollm2_train_harmless.safetensors"), selection: s))
        let scores = try probes.evaluate(
            positive: Activations.open(Fixtures.shared("smollm2/smollm2_test_harmful.npy"), selection: s),
            negative: Activations.open(Fixtures.shared("smollm2/smollm2_test_harmless.npy"), selection: s))
        let reference = try Self.reference("real/probe.json", "full_t_inst")
        #expect(scores.count == reference.count)
        for (score, r) in Fixtures.zipped(scores, reference) {
            #expect(abs(score.accuracy - (try Self.number(r["accuracy"]))) <= 1e-3, "slot \(score.layer)")
            #expect(abs(score.auroc - (try Self.number(r["auroc"]))) <= 1e-4, "slot \(score.layer)")
        }
        let coef28 = try Fixtures.numbers(Fixtures.reference("real/probe.json", "full_t_inst_coef28"), "full_t_inst_coef28")
        #expect(Self.maxAbs(probes.probes[28].weights, coef28) <= 1e-4)
    }
}
