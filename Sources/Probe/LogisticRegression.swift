import Steering

/// L2-regularised logistic regression in Float64, as scikit-learn's `LogisticRegression` defines it:
///
///     minimise  C · Σᵢ log(1 + exp(−yᵢ (w·xᵢ + b)))  +  ½ ‖w‖²      (b not penalised)
///
/// fitted by Newton's method with a Cholesky solve (LAPACK) when the Hessian is small
/// enough, which converges to machine precision in a few steps even on badly conditioned
/// layers, and by L-BFGS for wide models. Each evaluation of loss and gradient is one
/// pass over the data: a block of rows gives `z = X_b w` and, while still in cache,
/// `g += X_bᵀ r`; blocks are split across cores. Because the L2 term makes the Hessian
/// ≥ I in `w`, stopping at ‖∇‖ ≤ `tolerance` bounds the error of `w` by about `tolerance`.
public struct LogisticRegression: Sendable, Equatable {
    public var weights: [Double]
    public var intercept: Double
    /// Iterations L-BFGS took.
    public var iterations: Int
    /// Final gradient norm.
    public var gradientNorm: Double

    /// Decision value `w·x + b` of one row.
    public func decision(_ x: UnsafePointer<Double>) -> Double {
        var z = intercept
        for j in weights.indices { z += weights[j] * x[j] }
        return z
    }

    /// How to minimise.
    public enum Solver: Sendable {
        /// Newton when `d + 1 ≤ 2048`, L-BFGS above.
        case automatic
        /// Newton's method, Hessian by BLAS dsyrk, step by LAPACK dposv.
        case newton
        /// Limited-memory BFGS (10 pairs), Armijo backtracking.
        case lbfgs
    }

    /// Fits on a row-major `n × d` matrix with labels (true = positive class).
    public static func fit(_ x: [Double], rows n: Int, columns d: Int, labels: [Bool], c: Double, solver: Solver = .automatic,
                           tolerance: Double = 1e-5, maxIterations: Int = 5000, workers: Int = StreamOptions().workers) throws -> LogisticRegression {
        guard n > 0, d > 0, x.count == n * d, labels.count == n else {
            throw SteerError(.shape, "logistic regression: \(x.count) values for \(n) rows × \(d) columns and \(labels.count) labels")
        }
        guard c > 0, c.isFinite else { throw SteerError(.argument, "C must be a positive number, not \(c)") }
        guard labels.contains(true), labels.contains(false) else {
            throw SteerError(.value, "logistic regression needs rows of both classes")
        }
        let objective = Objective(x: x, n: n, d: d, targets: labels.map { $0 ? 1 : 0 }, c: c, workers: max(1, min(workers, n)))
        switch solver {
        case .newton: return newton(objective, tolerance: tolerance, maxIterations: min(maxIterations, 200))
        case .automatic where d + 1 <= 2048: return newton(objective, tolerance: tolerance, maxIterations: min(maxIterations, 200))
        default: return lbfgs(objective, tolerance: tolerance, maxIterations: maxIterations)
        }
    }

    /// Damped Newton: `H = C X̃ᵀ diag(p(1−p)) X̃ + diag(1, …, 1, 0)` with `X̃ = [X, 1]`.
    private static func newton(_ objective: Objective, tolerance: Double, maxIterations: Int) -> LogisticRegression {
        let (n, d, c) = (objective.n, objective.d, objective.c)
        var theta = [Double](repeating: 0, count: d + 1)
        var (f, g) = objective.evaluate(theta)
        var iteration = 0
        var scaled = [Double](repeating: 0, count: n * (d + 1))
        while norm(g) > tolerance && iteration < maxIterations {
            iteration += 1
            // Rows of sqrt(C p (1 − p)) · [x, 1], then H = Bᵀ B + I (w only).
            for i in 0..<n {
                var z = theta[d]
                for j in 0..<d { z += theta[j] * objective.x[i * d + j] }
                let p = z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z))
                let weight = (c * p * (1 - p)).squareRoot()
                for j in 0..<d { scaled[i * (d + 1) + j] = weight * objective.x[i * d + j] }
                scaled[i * (d + 1) + d] = weight
            }
            var hessian = LinearAlgebra.gramUpper(scaled, rows: n, columns: d + 1)
            for j in 0..<d { hessian[j * (d + 1) + j] += 1 }
            hessian[d * (d + 1) + d] += 1e-12 * max(1, hessian[d * (d + 1) + d])  // keep the intercept pivot positive
            guard var step = LinearAlgebra.solvePositiveDefinite(hessian, g) else { break }
            LinearAlgebra.scale(&step, by: -1)
            guard let next = armijo(objective, from: theta, value: f, gradient: g, direction: step) else { break }
            (theta, f, g) = (next.theta, next.f, next.g)
        }
        return LogisticRegression(weights: Array(theta[0..<d]), intercept: theta[d], iterations: iteration, gradientNorm: norm(g))
    }

    private static func lbfgs(_ objective: Objective, tolerance: Double, maxIterations: Int) -> LogisticRegression {
        let d = objective.d
        var theta = [Double](repeating: 0, count: d + 1)  // w, then b
        var (f, g) = objective.evaluate(theta)
        let memory = 10
        var sHistory: [[Double]] = [], yHistory: [[Double]] = [], rhoHistory: [Double] = []
        var iteration = 0
        while norm(g) > tolerance && iteration < maxIterations {
            iteration += 1
            // Two-loop recursion: direction = −H g.
            var q = g
            var alphas = [Double](repeating: 0, count: sHistory.count)
            for k in stride(from: sHistory.count - 1, through: 0, by: -1) {
                alphas[k] = rhoHistory[k] * dot(sHistory[k], q)
                axpy(-alphas[k], yHistory[k], &q)
            }
            let gamma = sHistory.isEmpty ? 1 / max(norm(g), 1) : dot(sHistory[sHistory.count - 1], yHistory[yHistory.count - 1]) / dot(yHistory[yHistory.count - 1], yHistory[yHistory.count - 1])
            LinearAlgebra.scale(&q, by: gamma)
            for k in sHistory.indices {
                let beta = rhoHistory[k] * dot(yHistory[k], q)
                axpy(alphas[k] - beta, sHistory[k], &q)
            }
            var direction = q
            LinearAlgebra.scale(&direction, by: -1)
            if dot(g, direction) >= 0 {  // not a descent direction: restart from steepest descent
                sHistory.removeAll(); yHistory.removeAll(); rhoHistory.removeAll()
                direction = g.map { -$0 / max(norm(g), 1) }
            }
            // No decrease possible: at the optimum to machine precision.
            guard let next = armijo(objective, from: theta, value: f, gradient: g, direction: direction) else { break }
            var s = next.theta, y = next.g
            axpy(-1, theta, &s)
            axpy(-1, g, &y)
            let sy = dot(s, y)
            if sy > 1e-12 * dot(y, y) {
                sHistory.append(s); yHistory.append(y); rhoHistory.append(1 / sy)
                if sHistory.count > memory { sHistory.removeFirst(); yHistory.removeFirst(); rhoHistory.removeFirst() }
            }
            (theta, f, g) = (next.theta, next.f, next.g)
        }
        return LogisticRegression(weights: Array(theta[0..<d]), intercept: theta[d], iterations: iteration, gradientNorm: norm(g))
    }

    /// Backtracking line search: halves the step from 1 until the Armijo condition holds
    /// (sufficient decrease, c = 1e-4); nil when no step decreases the loss.
    private static func armijo(_ objective: Objective, from theta: [Double], value f: Double, gradient g: [Double],
                               direction: [Double]) -> (theta: [Double], f: Double, g: [Double])? {
        let slope = dot(g, direction)
        var length = 1.0
        for _ in 0..<60 {
            var trial = theta
            axpy(length, direction, &trial)
            let (ft, gt) = objective.evaluate(trial)
            if ft <= f + 1e-4 * length * slope { return (trial, ft, gt) }
            length *= 0.5
        }
        return nil
    }

    /// Loss and gradient, one fused pass over the rows per call.
    private struct Objective {
        let x: [Double]
        let n: Int
        let d: Int
        let targets: [Double]
        let c: Double
        let workers: Int
        static let blockRows = 64

        func evaluate(_ theta: [Double]) -> (Double, [Double]) {
            let blocks = (n + Self.blockRows - 1) / Self.blockRows
            var losses = [Double](repeating: 0, count: workers)
            var gradients = [Double](repeating: 0, count: workers * (d + 1))
            x.withUnsafeBufferPointer { data in
                theta.withUnsafeBufferPointer { w in
                    losses.withUnsafeMutableBufferPointer { losses in
                        gradients.withUnsafeMutableBufferPointer { gradients in
                            guard let data = data.baseAddress, let w = w.baseAddress, let grads = gradients.baseAddress else { return }
                            LinearAlgebra.singleThreaded {
                                parallelFor(workers) { worker in
                                    let g = grads + worker * (d + 1)
                                    var z = [Double](repeating: 0, count: Self.blockRows)
                                    var loss = 0.0
                                    z.withUnsafeMutableBufferPointer { zb in
                                        guard let z = zb.baseAddress else { return }
                                        for block in (blocks * worker / workers)..<(blocks * (worker + 1) / workers) {
                                            let lower = block * Self.blockRows
                                            let count = min(Self.blockRows, n - lower)
                                            let rows = data + lower * d
                                            LinearAlgebra.multiply(rows, rows: count, columns: d, w, into: z)
                                            for i in 0..<count {
                                                let zi = z[i] + w[d]
                                                let t = targets[lower + i]
                                                let margin = t == 1 ? zi : -zi
                                                loss += margin > 0 ? log1p(exp(-margin)) : -margin + log1p(exp(margin))
                                                let p = zi >= 0 ? 1 / (1 + exp(-zi)) : exp(zi) / (1 + exp(zi))
                                                z[i] = c * (p - t)  // residual
                                                g[d] += z[i]
                                            }
                                            LinearAlgebra.multiplyTransposedAdding(rows, rows: count, columns: d, z, into: g)
                                        }
                                    }
                                    losses[worker] = loss
                                }
                            }
                        }
                    }
                }
            }
            var gradient = Array(gradients[0...d])
            for worker in 1..<max(1, workers) {
                LinearAlgebra.axpy(1, Array(gradients[(worker * (d + 1))..<((worker + 1) * (d + 1))]), &gradient)
            }
            let w = Array(theta[0..<d])
            let f = c * losses.reduce(0, +) + 0.5 * LinearAlgebra.dot(w, w)
            var regular = w + [0]
            LinearAlgebra.axpy(1, regular, &gradient)
            regular.removeAll()
            return (f, gradient)
        }
    }
}

private func dot(_ a: [Double], _ b: [Double]) -> Double { LinearAlgebra.dot(a, b) }
private func norm(_ a: [Double]) -> Double { LinearAlgebra.norm(a) }
private func axpy(_ alpha: Double, _ x: [Double], _ y: inout [Double]) { LinearAlgebra.axpy(alpha, x, &y) }

#if canImport(Glibc)
import Glibc
#endif
