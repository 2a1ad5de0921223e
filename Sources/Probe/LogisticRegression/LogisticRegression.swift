import Steering

/// L2-regularised logistic regression in Float64, as scikit-learn's `LogisticRegression` defines it:
///
///     minimise  C · Σᵢ log(1 + exp(−yᵢ (w·xᵢ + b)))  +  ½ ‖w‖²      (b not penalised)
///
/// fitted by Newton's method with a Cholesky solve (LAPACK) when the Hessian is small
/// enough, which converges to machine precision in a few steps even on badly conditioned
/// layers, and by L-BFGS for wide models. Each evaluation of loss and gradient is one
/// pass over the data: a block of rows gives `z = X_b w` and, while still in cache,
/// `g += X_bᵀ r`; blocks of a fixed size are shared among cores and added in order
/// (``Summation``), so the coefficients do not depend on the thread count or the CPU's
/// kernel path. Because the L2 term makes the Hessian
/// ≥ I in `w`, stopping at ‖∇‖ ≤ `tolerance` bounds the error of `w` by about `tolerance`.
public struct LogisticRegression: Sendable, Equatable {
    public var weights: [Double]
    public var intercept: Double
    /// Iterations the solver took.
    public var iterations: Int
    /// Final gradient norm.
    public var gradientNorm: Double
    /// The solver that ran (``Solver/newton`` or ``Solver/lbfgs``, never `automatic`).
    public var solver: Solver

    /// Decision value `w·x + b` of one row.
    public func decision(_ x: UnsafePointer<Double>) -> Double {
        var z = intercept
        for j in weights.indices { z += weights[j] * x[j] }
        return z
    }

    /// How to minimise.
    public enum Solver: String, Sendable, Equatable {
        /// Newton when `d + 1 ≤ 2048`, L-BFGS above.
        case automatic
        /// Newton's method, Hessian by BLAS dsyrk, step by LAPACK dposv.
        case newton
        /// Limited-memory BFGS (10 pairs), Armijo backtracking.
        case lbfgs

        /// How saved files and reports name it.
        public var name: String {
            switch self {
            case .automatic: "automatic"
            case .newton: "Newton (Cholesky)"
            case .lbfgs: "L-BFGS"
            }
        }
    }

    /// Fits on a row-major `n × d` Float64 matrix (used as given, not standardised) with labels (true = positive class).
    public static func fit(
        _ x: [Double], rows n: Int, columns d: Int, labels: [Bool], c: Double, solver: Solver = .automatic,
        tolerance: Double = 1e-5, maxIterations: Int = 5000, workers: Int = StreamOptions().workers, kernelPath: KernelPath? = nil
    ) throws -> LogisticRegression {
        guard n > 0, d > 0, x.count == n * d else {
            throw SteerError(.shape, "logistic regression: \(x.count) values for \(n) rows × \(d) columns")
        }
        return try fit(
            try DesignMatrix(float64: x, rows: n, columns: d, standardise: false), labels: labels, c: c, solver: solver,
            tolerance: tolerance, maxIterations: maxIterations, workers: workers, kernelPath: kernelPath)
    }

    /// Fits on the standardised rows `x̃ = (x − μ) / σ` of a design matrix: the weights are on
    /// standardised features, as scikit-learn's `coef_` after a `StandardScaler`. The result is
    /// the same, bit for bit, for any `workers` and any `kernelPath` (nil: the process default).
    public static func fit(
        _ design: DesignMatrix, labels: [Bool], c: Double, solver: Solver = .automatic, tolerance: Double = 1e-5,
        maxIterations: Int = 5000, workers: Int = StreamOptions().workers, kernelPath: KernelPath? = nil
    ) throws -> LogisticRegression {
        let (n, d) = (design.rows, design.columns)
        guard labels.count == n else {
            throw SteerError(.shape, "logistic regression: \(labels.count) labels for \(n) rows")
        }
        guard c > 0, c.isFinite else { throw SteerError(.argument, "C must be a positive number, not \(c)") }
        guard labels.contains(true), labels.contains(false) else {
            throw SteerError(.value, "logistic regression needs rows of both classes")
        }
        let objective = Objective(design: design, targets: labels.map { $0 ? 1 : 0 }, c: c, workers: max(1, min(workers, n)), path: kernelPath)
        switch solver {
        case .newton: return try newton(objective, tolerance: tolerance, maxIterations: min(maxIterations, 200))
        case .automatic where d + 1 <= 2048: return try newton(objective, tolerance: tolerance, maxIterations: min(maxIterations, 200))
        default: return try lbfgs(objective, tolerance: tolerance, maxIterations: maxIterations)
        }
    }

    /// Damped Newton: `H = C X̃ᵀ diag(p(1−p)) X̃ + diag(1, …, 1, 0)` with `X̃ = [X, 1]`.
    private static func newton(_ objective: Objective, tolerance: Double, maxIterations: Int) throws -> LogisticRegression {
        let (n, d, c) = (objective.design.rows, objective.design.columns, objective.c)
        var theta = [Double](repeating: 0, count: d + 1)
        var (f, g) = try objective.evaluate(theta)
        var iteration = 0
        var scaled = [Double](repeating: 0, count: n * (d + 1))
        while norm(g) > tolerance && iteration < maxIterations {
            iteration += 1
            // Rows of sqrt(C p (1 − p)) · [x̃, 1], then H = Bᵀ B + I (w only).
            scaled.withUnsafeMutableBufferPointer { rows in
                guard let base = rows.baseAddress else { return }
                for i in 0..<n {
                    let row = base + i * (d + 1)
                    objective.design.standardisedRow(i, into: row)
                    var z = theta[d]
                    for j in 0..<d { z += theta[j] * row[j] }
                    let p = sigmoid(z)
                    let weight = (c * p * (1 - p)).squareRoot()
                    for j in 0..<d { row[j] *= weight }
                    row[d] = weight
                }
            }
            // BLAS order (``Summation`` rule 5), on one OpenBLAS thread: the Hessian only shapes the step.
            let solved: [Double]? = singleThreadedBLAS {
                var hessian = LinearAlgebra.gramUpper(scaled, rows: n, columns: d + 1)
                for j in 0..<d { hessian[j * (d + 1) + j] += 1 }
                hessian[d * (d + 1) + d] += 1e-12 * max(1, hessian[d * (d + 1) + d])  // keep the intercept pivot positive
                return LinearAlgebra.solvePositiveDefinite(hessian, g)
            }
            guard var step = solved else { break }
            scale(&step, by: -1)
            guard let next = try armijo(objective, from: theta, value: f, gradient: g, direction: step) else { break }
            (theta, f, g) = (next.theta, next.f, next.g)
        }
        return LogisticRegression(weights: Array(theta[0..<d]), intercept: theta[d], iterations: iteration, gradientNorm: norm(g), solver: .newton)
    }

    private static func lbfgs(_ objective: Objective, tolerance: Double, maxIterations: Int) throws -> LogisticRegression {
        let d = objective.design.columns
        var theta = [Double](repeating: 0, count: d + 1)  // w, then b
        var (f, g) = try objective.evaluate(theta)
        let memory = 10
        var sHistory: [[Double]] = []
        var yHistory: [[Double]] = []
        var rhoHistory: [Double] = []
        var iteration = 0
        while norm(g) > tolerance && iteration < maxIterations {
            iteration += 1
            // Two-loop recursion: direction = −H g.
            var q = g
            var alphas = [Double](repeating: 0, count: sHistory.count)
            for k in stride(from: sHistory.count - 1, through: 0, by: -1) {
                alphas[k] = rhoHistory[k] * objective.dot(sHistory[k], q)
                objective.axpy(-alphas[k], yHistory[k], &q)
            }
            let gamma =
                sHistory.isEmpty
                ? 1 / max(norm(g), 1)
                : objective.dot(sHistory[sHistory.count - 1], yHistory[yHistory.count - 1])
                    / objective.dot(yHistory[yHistory.count - 1], yHistory[yHistory.count - 1])
            scale(&q, by: gamma)
            for k in sHistory.indices {
                let beta = rhoHistory[k] * objective.dot(yHistory[k], q)
                objective.axpy(alphas[k] - beta, sHistory[k], &q)
            }
            var direction = q
            scale(&direction, by: -1)
            if objective.dot(g, direction) >= 0 {  // not a descent direction: restart from steepest descent
                sHistory.removeAll()
                yHistory.removeAll()
                rhoHistory.removeAll()
                direction = g.map { -$0 / max(norm(g), 1) }
            }
            // No decrease possible: at the optimum to machine precision.
            guard let next = try armijo(objective, from: theta, value: f, gradient: g, direction: direction) else { break }
            var s = next.theta
            var y = next.g
            objective.axpy(-1, theta, &s)
            objective.axpy(-1, g, &y)
            let sy = objective.dot(s, y)
            if sy > 1e-12 * objective.dot(y, y) {
                sHistory.append(s)
                yHistory.append(y)
                rhoHistory.append(1 / sy)
                if sHistory.count > memory {
                    sHistory.removeFirst()
                    yHistory.removeFirst()
                    rhoHistory.removeFirst()
                }
            }
            (theta, f, g) = (next.theta, next.f, next.g)
        }
        return LogisticRegression(weights: Array(theta[0..<d]), intercept: theta[d], iterations: iteration, gradientNorm: norm(g), solver: .lbfgs)
    }

    /// Backtracking line search: halves the step from 1 until the Armijo condition holds
    /// (sufficient decrease, c = 1e-4); nil when no step decreases the loss.
    private static func armijo(
        _ objective: Objective, from theta: [Double], value f: Double, gradient g: [Double],
        direction: [Double]
    ) throws -> (theta: [Double], f: Double, g: [Double])? {
        let slope = objective.dot(g, direction)
        var length = 1.0
        for _ in 0..<60 {
            var trial = theta
            objective.axpy(length, direction, &trial)
            let (ft, gt) = try objective.evaluate(trial)
            if ft <= f + 1e-4 * length * slope { return (trial, ft, gt) }
            length *= 0.5
        }
        return nil
    }

    /// Loss and gradient, one pass over the rows per call: each row is read once, for
    /// `z = x·u + b′` and then, still in cache, `acc += r x`. Standardisation is folded in:
    /// `u = w / σ`, `b′ = b − u·μ`, and `∇w = (acc − μ Σr) / σ + w`.
    ///
    /// The rows are cut into blocks of ``blockRows`` (never by the number of workers), each block
    /// summed in row order and the blocks merged in block order by the reduction engine, with
    /// every dot product in ``Summation``'s 16-lane order: the loss and gradient, and so the
    /// coefficients, are bit-identical for any thread count and on every kernel path.
    private struct Objective {
        let design: DesignMatrix
        let targets: [Double]
        let c: Double
        let workers: Int
        let path: KernelPath?

        func dot(_ a: [Double], _ b: [Double]) -> Double { Summation.dot(a, b, path: path) }
        func axpy(_ alpha: Double, _ x: [Double], _ y: inout [Double]) { Summation.axpy(alpha, x, &y, path: path) }

        /// Rows reduced as one block (one worker, one partial gradient).
        static let blockRows = 256

        /// The loss, `Σr` and `Σ r x` of some rows.
        struct Partial {
            var loss = 0.0
            var residual = 0.0
            var gradient: [Double]

            mutating func add(_ next: Partial) {
                loss += next.loss
                residual += next.residual
                gradient.withUnsafeMutableBufferPointer { g in
                    next.gradient.withUnsafeBufferPointer { h in for j in g.indices { g[j] += h[j] } }
                }
            }
        }

        func evaluate(_ theta: [Double]) throws -> (Double, [Double]) {
            let (n, d) = (design.rows, design.columns)
            let u = (0..<d).map { theta[$0] / design.scale[$0] }
            let shift = theta[d] - Summation.dot(u, design.mean, path: path)
            let blocks = (n + Self.blockRows - 1) / Self.blockRows
            let total = try u.withUnsafeBufferPointer { u in
                try reduceInOrder(blocks: blocks, workers: workers) { b, _ in
                    var part = Partial(gradient: [Double](repeating: 0, count: d))
                    guard let u = u.baseAddress else { return part }
                    part.gradient.withUnsafeMutableBufferPointer { acc in
                        guard let acc = acc.baseAddress else { return }
                        for i in (b * Self.blockRows)..<min(n, (b + 1) * Self.blockRows) {
                            let z = design.dot(row: i, u, path: path) + shift
                            let t = targets[i]
                            let margin = t == 1 ? z : -z
                            part.loss += margin > 0 ? log1p(exp(-margin)) : -margin + log1p(exp(margin))
                            let r = c * (sigmoid(z) - t)
                            part.residual += r
                            design.add(row: i, times: r, to: acc, path: path)
                        }
                    }
                    return part
                } merge: {
                    $0.add($1)
                }
            }
            let acc = total?.gradient ?? [Double](repeating: 0, count: d)
            let rsum = total?.residual ?? 0
            var gradient = [Double](repeating: 0, count: d + 1)
            for j in 0..<d { gradient[j] = (acc[j] - design.mean[j] * rsum) / design.scale[j] + theta[j] }
            gradient[d] = rsum
            let w = Array(theta[0..<d])
            return (c * (total?.loss ?? 0) + 0.5 * Summation.dot(w, w, path: path), gradient)
        }
    }
}

/// The logistic function, without overflow for large |z|.
private func sigmoid(_ z: Double) -> Double { z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z)) }

private func norm(_ a: [Double]) -> Double { LinearAlgebra.norm(a) }
private func scale(_ x: inout [Double], by alpha: Double) { for j in x.indices { x[j] *= alpha } }

#if canImport(Glibc)
    import Glibc
#endif
