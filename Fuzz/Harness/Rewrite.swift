import Steering

// Drivers for the writer and the streaming engine: a rewrite driven by a hostile file must fail
// cleanly and leave nothing behind, and an accepted file must give bit-identical reductions for
// any number of workers.
#if canImport(Glibc)
    import Glibc
#endif

/// Rewrites `path` in its own format, negating the selected rows, as ablation and addition will.
func exerciseRewrite(_ path: String, _ flags: Flags) {
    let out = Scratch.folder + "/rewritten"
    unlink(out)
    do {
        let file = try TensorFile.open(path, options: flags.selection.readOptions)
        let acts = try Activations(file: file, selection: flags.selection)
        guard let cells = checkedProduct([acts.rowCount, acts.width, acts.layers.count]), cells <= 1 << 20 else { return }
        try TensorWriter.rewrite(file, to: out, addedMetadata: ["steer.edit": "fuzz"], editing: acts.layers.map(\.rows), blockRows: 3) {
            _, rows, values in
            for k in 0..<(rows.count * acts.width) { values[k] = -values[k] }
        }
        let back = try TensorFile.open(out, options: flags.selection.readOptions)
        oracle(
            back.tensors.map(\.shape) == file.tensors.map(\.shape) && back.tensors.map(\.name) == file.tensors.map(\.name),
            "a rewrite changed the tensors of \(path)")
        oracle(back.storage.size - back.dataStart == file.storage.size - file.dataStart, "a rewrite changed the data size of \(path)")
        exerciseEngine(acts)
    } catch is SteerError {
        oracle(access(out, F_OK) != 0, "a failed rewrite left \(out) behind")
    } catch {
        oracle(false, "a rewrite threw something other than SteerError: \(error)")
    }
    oracle(leftoverTemporaries().isEmpty, "a rewrite left temporary files: \(leftoverTemporaries())")
}

/// The engine's promise: means and projections do not depend on the number of workers.
func exerciseEngine(_ acts: Activations) {
    guard acts.width <= 1 << 12, acts.layers.count <= 16 else { return }
    let vectors = acts.layers.indices.map { l in (0..<acts.width).map { Double(($0 &* 7 &+ l) % 5) - 2 } }
    func run(_ workers: Int) -> ([[UInt64]], [[UInt64]])? {
        let options = StreamOptions(workers: workers, tileBytes: 4096)
        guard let means = try? acts.means(options), let scores = try? acts.project(onto: vectors, options) else { return nil }
        return (means.map { $0.map(\.bitPattern) }, scores.map { $0.map(\.bitPattern) })
    }
    guard let one = run(1), let three = run(3) else { return }
    oracle(one.0 == three.0 && one.1 == three.1, "results differ between 1 and 3 workers on \(acts.path)")
}

/// Temporary files an atomic write left in the scratch folder.
func leftoverTemporaries() -> [String] {
    guard let dir = opendir(Scratch.folder) else { return [] }
    defer { closedir(dir) }
    var found: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name.contains(".steer-tmp-") { found.append(name) }
    }
    return found
}
