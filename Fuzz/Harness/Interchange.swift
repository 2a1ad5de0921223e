import Steering

/// A ZIP of stored members (CRCs left 0: steer does not check them), for the `pickle` target.
func storedZip(_ members: [(name: String, data: [UInt8])]) -> [UInt8] {
    func le(_ value: Int, _ width: Int) -> [UInt8] { (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
    var out: [UInt8] = []
    var central: [UInt8] = []
    for member in members {
        let name = Array(member.name.utf8)
        let offset = out.count
        out += le(0x0403_4B50, 4) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(0, 4)
        out += le(member.data.count, 4) + le(member.data.count, 4) + le(name.count, 2) + le(0, 2) + name + member.data
        central += le(0x0201_4B50, 4) + le(20, 2) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(0, 4)
        central += le(member.data.count, 4) + le(member.data.count, 4) + le(name.count, 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 2)
        central += le(0, 4) + le(offset, 4) + name
    }
    let start = out.count
    out += central
    out += le(0x0605_4B50, 4) + le(0, 2) + le(0, 2) + le(members.count, 2) + le(members.count, 2) + le(central.count, 4) + le(start, 4) + le(0, 2)
    return out
}

/// Reads a control vector as directions and exports it again: the plan for each convention, and the writer.
func exerciseControlVector(_ path: String) {
    guard let set = try? DirectionSet.read(path) else { return }
    for convention in LayerConvention.allCases {
        guard let plan = try? ControlVector.plan(set, convention: convention, file: path) else { continue }
        let out = Scratch.folder + "/export.gguf"
        Scratch.made.insert(out)
        try? ControlVector.write(set, plan: plan, scale: 0.5, modelHint: "fuzz", to: out)
        _ = try? DirectionSet.read(out)
    }
}
