/// numpy's `.npz`: a ZIP (``ZipArchive``) of `.npy` members, one array per name, stored
/// (`np.savez`) or deflated (`np.savez_compressed`).
///
/// When every member is stored, each `.npy` is parsed and read in place (zero copy). Otherwise
/// every member is written, inflated, into one unlinked temporary file (``SpillFile``) in blocks,
/// so memory stays flat, and read from there. Tensor names are the member names without
/// `.npy` (`layer.12`, `arr_0`); members that are not `.npy` are ignored.
enum NPZ {
    static func parse(_ file: ReadOnlyFile, archive: ZipArchive, options: TensorFile.ReadOptions) throws -> (
        tensors: [TensorInfo], storage: ReadOnlyFile
    ) {
        let members = archive.entries.filter { $0.name.hasSuffix(".npy") }
        guard !members.isEmpty else {
            throw SteerError.format(file.path, "a ZIP archive holding neither a torch data.pkl nor .npy members (not a .pt or .npz)")
        }
        for member in members where member.method != 0 && member.method != 8 {
            throw SteerError.unsupported(
                file.path, "member '\(member.name)' uses ZIP compression method \(member.method) (steer reads stored and deflated)")
        }
        let names = members.map { String($0.name.dropLast(4)) }
        if members.allSatisfy({ $0.method == 0 }) {
            let tensors = try zip(members, names).map { member, name in
                try NPY.parse(
                    file, options: options, start: member.dataOffset, end: member.dataOffset + member.compressedSize, name: name, member: true)
            }
            return (tensors, file)
        }
        let spill = try SpillFile(for: file.path)
        var ranges: [(start: Int, end: Int)] = []
        for member in members {
            let start = spill.size
            if member.method == 0 {
                try spill.append(from: file, offset: member.dataOffset, count: member.compressedSize)
            } else {
                try spill.appendInflated(
                    from: file, offset: member.dataOffset, compressed: member.compressedSize, expected: member.uncompressedSize, member: member.name)
            }
            ranges.append((start, spill.size))
        }
        let storage = try spill.finish()
        let tensors = try zip(ranges, names).map { range, name in
            try NPY.parse(storage, options: options, start: range.start, end: range.end, name: name, member: true)
        }
        return (tensors, storage)
    }
}
