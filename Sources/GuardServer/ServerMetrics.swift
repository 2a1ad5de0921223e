import Synchronization

/// The counters and histograms of `GET /metrics`, in the Prometheus text format.
final class ServerMetrics: Sendable {
    private struct Histogram {
        let bounds: [Double]
        var counts: [Int]
        var sum = 0.0
        var count = 0

        init(_ bounds: [Double]) {
            self.bounds = bounds
            counts = Array(repeating: 0, count: bounds.count)
        }

        mutating func observe(_ value: Double) {
            for (i, bound) in bounds.enumerated() where value <= bound { counts[i] += 1 }
            sum += value
            count += 1
        }

        func render(_ name: String, help: String) -> String {
            var text = "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
            for (bound, count) in zip(bounds, counts) { text += "\(name)_bucket{le=\"\(bound)\"} \(count)\n" }
            return text + "\(name)_bucket{le=\"+Inf\"} \(count)\n\(name)_sum \(sum)\n\(name)_count \(count)\n"
        }
    }

    private struct State {
        var requests: [Int: Int] = [:]
        var latency = Histogram([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
        var batches = Histogram([1, 2, 4, 8, 16, 32, 64, 128, 256])
        var prompts = 0
        var tokens = 0
    }

    private let state = Mutex(State())

    init() {}

    /// A request answered with `status` after `seconds`.
    func request(status: Int, seconds: Double) {
        state.withLock {
            $0.requests[status, default: 0] += 1
            $0.latency.observe(seconds)
        }
    }

    /// A forward pass of `size` prompts holding `tokens` tokens.
    func batch(size: Int, tokens: Int) {
        state.withLock {
            $0.batches.observe(Double(size))
            $0.prompts += size
            $0.tokens += tokens
        }
    }

    /// The exposition text.
    func render() -> String {
        state.withLock { s in
            var text = "# HELP steer_http_requests_total HTTP requests answered, by status.\n# TYPE steer_http_requests_total counter\n"
            for (status, count) in s.requests.sorted(by: { $0.key < $1.key }) {
                text += "steer_http_requests_total{status=\"\(status)\"} \(count)\n"
            }
            text += s.latency.render("steer_http_request_duration_seconds", help: "Time from a request's arrival to its response.")
            text += s.batches.render("steer_guard_batch_size", help: "Prompts per forward pass.")
            text +=
                "# HELP steer_guard_prompts_total Prompts scored.\n# TYPE steer_guard_prompts_total counter\nsteer_guard_prompts_total \(s.prompts)\n"
            text +=
                "# HELP steer_guard_tokens_total Tokens run through the model.\n# TYPE steer_guard_tokens_total counter\nsteer_guard_tokens_total \(s.tokens)\n"
            return text
        }
    }
}
