import Dispatch
import Foundation
import TextGuard
import Tokenization

/// Scores prompts from concurrent requests together: the first queued prompt waits at most
/// `maxWait` for others, then up to `maxBatch` of them run as one forward pass on a thread of their
/// own. The runtime packs a batch's prompts without padding, so a prompt's score does not depend on
/// its batch (to the last bits of `sgemm`), and no work is spent on padding whatever the lengths.
actor DynamicBatcher {
    private struct Item {
        let prompt: EncodedPrompt
        let continuation: CheckedContinuation<DetectorResult, any Error>
    }

    private let detectors: ServedDetectors
    private let maxBatch: Int
    private let maxWait: Duration
    private let metrics: ServerMetrics
    private let queue = DispatchQueue(label: "steer.serve.forward")
    private var pending: [Item] = []
    private var draining = false

    init(detectors: ServedDetectors, maxBatch: Int, maxWait: Duration, metrics: ServerMetrics) {
        self.detectors = detectors
        self.maxBatch = max(1, maxBatch)
        self.maxWait = maxWait
        self.metrics = metrics
    }

    /// The scores of `prompts`, in order (each joins the queue; they may land in different batches).
    func score(_ prompts: [EncodedPrompt]) async throws -> [DetectorResult] {
        try await withThrowingTaskGroup(of: (Int, DetectorResult).self) { group in
            for (i, prompt) in prompts.enumerated() {
                group.addTask { (i, try await self.score(prompt)) }
            }
            var results = [DetectorResult?](repeating: nil, count: prompts.count)
            for try await (i, result) in group { results[i] = result }
            return results.compactMap { $0 }
        }
    }

    private func score(_ prompt: EncodedPrompt) async throws -> DetectorResult {
        try await withCheckedThrowingContinuation { continuation in
            pending.append(Item(prompt: prompt, continuation: continuation))
            if !draining {
                draining = true
                Task { await drain() }
            }
        }
    }

    /// Runs batches while prompts are queued.
    private func drain() async {
        while !pending.isEmpty {
            if pending.count < maxBatch { try? await Task.sleep(for: maxWait) }
            let batch = Array(pending.prefix(maxBatch))
            pending.removeFirst(batch.count)
            let result = await forward(batch.map(\.prompt))
            metrics.batch(size: batch.count, tokens: batch.reduce(0) { $0 + $1.prompt.ids.count })
            switch result {
            case .success(let scores): for (item, score) in zip(batch, scores) { item.continuation.resume(returning: score) }
            case .failure(let error): for item in batch { item.continuation.resume(throwing: error) }
            }
        }
        draining = false
    }

    /// One forward pass on the batcher's own thread (never on the cooperative pool).
    private func forward(_ prompts: [EncodedPrompt]) async -> Result<[DetectorResult], any Error> {
        let detectors = detectors
        return await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: Result { try detectors.results(prompts) }) }
        }
    }
}
