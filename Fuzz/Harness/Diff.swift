import Foundation
import Steering

/// The `lora` target's adapter: the plain edit of the `ortho` fixture model written as a PEFT
/// LoRA adapter by `steer orthogonalize --as-lora`, made once per process.
enum LoraFixture {
    static let adapter = OrthoFixture.root + "/adapter"

    static let ready: Bool = {
        guard OrthoFixture.ready else { return false }
        do {
            _ = try WeightOrthogonalizer.writeLora(
                model: OrthoFixture.single, directions: OrthoFixture.directions, choice: .slot(1), out: adapter,
                options: .init(force: true, stream: .init(workers: 2)))
            return true
        } catch {
            fatalError("harness: cannot make the LoRA adapter fixture: \(error)")
        }
    }()
}

/// `steer diff --lora` on the fixture model: byte 0 picks which file of the adapter the rest of the
/// bytes replace (even: `adapter_config.json`, odd: `adapter_model.safetensors`); the adapter is
/// merged into the base and diffed (``ModelDiff/run(_:options:)``). Oracle: the merged copy is
/// removed, whatever happens.
func exerciseLoraDiff(_ bytes: [UInt8]) {
    guard LoraFixture.ready, let mode = bytes.first else { return }
    let name = mode % 2 == 0 ? LoraAdapter.configName : LoraAdapter.weightsName
    let path = LoraFixture.adapter + "/" + name
    guard let saved = try? Data(contentsOf: URL(fileURLWithPath: path)) else { return }
    defer { try? saved.write(to: URL(fileURLWithPath: path)) }
    try? Data(bytes.dropFirst()).write(to: URL(fileURLWithPath: path))
    let before = mergedCopies()
    _ = try? ModelDiff.run(.init(base: OrthoFixture.single, edited: .lora(LoraFixture.adapter)), options: .init(stream: .init(workers: 2)))
    guard mergedCopies() == before else { fatalError("oracle: steer diff --lora left its merged copy behind") }
}

/// The merged copies `AdapterMerge` has in the temporary directory.
private func mergedCopies() -> [String] {
    let folder = FileManager.default.temporaryDirectory.path
    return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasPrefix("steer-diff-merged-") }.sorted()
}
